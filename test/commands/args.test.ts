import t from 'tap';
import { argsProblem } from '../../daemon/commands/args.js';
import { COMMANDS, type CommandArgs, type CommandName } from '../../daemon/commands/index.js';

const problem = (name: CommandName, args: CommandArgs): string | undefined => argsProblem(name, COMMANDS[name].args, args);

t.test('each command takes the arguments its schema names, of their kinds', async (t) => {
  t.equal(problem('status', {}), undefined);
  t.equal(problem('resync', { wait: true }), undefined);
  t.equal(problem('events', { limit: 5 }), undefined);
  t.equal(problem('login', { user: 'alice', password: 'p' }), undefined);
  t.equal(problem('params', {}), undefined, 'optional arguments may be left out');
  t.equal(problem('set', { ABKNAME001: 'Alice', PERSONALRING: '2' }), undefined);
  t.equal(problem('unset', { ABKNAME001: true }), undefined);
});

t.test('arguments that do not fit are named in the problem, never echoed', async (t) => {
  const cases: [CommandName, CommandArgs, RegExp][] = [
    ['status', { verbose: true }, /status takes no argument "verbose"/],
    ['login', { user: 'alice' }, /login needs args.password/],
    ['events', { limit: '5' }, /must be an integer/],
    ['events', { limit: 1.5 }, /must be an integer/],
    ['params', { name: 5 }, /must be a string/],
    ['params', { name: 'x'.repeat(1025) }, /must be a string/],
    ['resync', { wait: 1 }, /must be a boolean/],
    ['set', {}, /set takes 1 to 256 parameters/],
    ['set', Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`P${i}`, 'x'])), /set takes 1 to 256 parameters/],
    ['set', { A: 1 }, /set\.A must be a string/],
    ['set', { A: 'x'.repeat(1025) }, /set\.A must be a string/],
    ['set', { ['N'.repeat(65)]: 'x' }, /must be a string/],
    ['unset', { A: 'x' }, /unset\.A must be true/],
  ];
  for (const [name, args, message] of cases) t.match(problem(name, args), message, `${name} ${JSON.stringify(args).slice(0, 40)}`);
  t.notMatch(problem('status', { 'secret-looking': 'hunter2' }), /hunter2/);
});
