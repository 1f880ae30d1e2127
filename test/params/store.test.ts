import t from 'tap';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { MemorySecretKeeper, ParamStore, PUBLISHED_FILE, STATE_FILE } from '../../daemon/params/index.js';
import { Logger, Redactor } from '../../daemon/log/index.js';
import type { ProvisiondError } from '../../daemon/errors/index.js';

function quietLogger(lines: string[] = []): Logger {
  return new Logger({ level: 'debug', redactor: new Redactor(), sink: { out: (l) => lines.push(l), err: (l) => lines.push(l) } });
}

function published(dir: string): Record<string, string> {
  return JSON.parse(readFileSync(path.join(dir, PUBLISHED_FILE), 'utf8')).parameters;
}

function grepDir(dir: string, needle: string): string[] {
  return readdirSync(dir).filter((f) => readFileSync(path.join(dir, f), 'utf8').includes(needle));
}

t.test('values layer: defaults < settings < provisioned < local', async (t) => {
  const dir = t.testdir({});
  const store = new ParamStore({ stateDir: dir, factory: { Resync_Periodic: '600', Custom: 'factory' }, logger: quietLogger() });
  await store.load();
  t.equal(store.get('Resync_Random_Delay'), '2', 'owned default');
  t.equal(store.get('Resync_Periodic'), '600', 'settings override the default');
  t.equal(store.origin('Resync_Periodic'), 'settings');
  t.equal(store.origin('Resync_Random_Delay'), 'default');
  t.equal(store.origin('Nothing'), undefined);
  await store.applyProvisioned([{ name: 'Resync_Periodic', value: '900' }, { name: 'Custom', value: 'profile' }]);
  t.equal(store.get('Resync_Periodic'), '900');
  t.equal(store.origin('Custom'), 'provisioned');
  await store.setLocal([{ name: 'Custom', value: 'local' }]);
  t.equal(store.get('Custom'), 'local');
  t.equal(store.origin('Custom'), 'local');
  await store.applyProvisioned([{ name: 'Custom', value: 'profile2' }]);
  t.equal(store.get('Custom'), 'local', 'a local change beats a later profile');
  t.same(await store.clearLocal(['Custom']), ['Custom']);
  t.equal(store.get('Custom'), 'profile2');
  t.equal(published(dir).Custom, 'profile2');
});

t.test('within a profile the last value wins, aliases included, and only changed names are reported', async (t) => {
  const dir = t.testdir({});
  const store = new ParamStore({ stateDir: dir, logger: quietLogger() });
  await store.load();
  const seen: (readonly string[])[] = [];
  const off = store.onChange((names) => seen.push(names));
  const changed = await store.applyProvisioned([
    { name: 'Resync_At__HHmm_', value: '0300' },
    { name: 'Resync_At', value: '0400' },
    { name: 'Provision_Enable', value: 'yes' },
    { name: 'Line_Enable_1_', value: 'Yes' },
  ]);
  t.same(changed.sort(), ['Line_Enable_1_', 'Resync_At']);
  t.equal(store.get('Resync_At__HHmm_'), '0400');
  t.same(await store.applyProvisioned([{ name: 'Resync_At', value: '0400' }]), [], 'no change, no report');
  off();
  await store.setLocal([{ name: 'Line_Enable_1_', value: 'No' }]);
  t.equal(seen.length, 1);
});

t.test('a profile with one invalid value changes nothing, in memory or on disk', async (t) => {
  const dir = t.testdir({});
  const store = new ParamStore({ stateDir: dir, logger: quietLogger() });
  await store.load();
  await store.applyProvisioned([{ name: 'Resync_Periodic', value: '100' }]);
  const before = readFileSync(path.join(dir, PUBLISHED_FILE), 'utf8');
  const err = (await store
    .applyProvisioned([
      { name: 'Resync_Periodic', value: '200' },
      { name: 'SIP_Port_1_', value: '5060' },
      { name: 'Resync_Random_Delay', value: 'soon' },
    ])
    .catch((e: unknown) => e)) as ProvisiondError;
  t.equal(err.code, 'param_invalid');
  t.equal(store.get('Resync_Periodic'), '100');
  t.equal(store.get('SIP_Port_1_'), undefined);
  t.equal(readFileSync(path.join(dir, PUBLISHED_FILE), 'utf8'), before);
  t.equal(store.snapshot().Resync_Periodic, '100');
});

t.test('a failed write of the state leaves the applied set as it was', async (t) => {
  const dir = t.testdir({});
  const store = new ParamStore({ stateDir: path.join(dir, 'gone'), logger: quietLogger() });
  const err = (await store.applyProvisioned([{ name: 'X', value: '1' }]).catch((e: unknown) => e)) as ProvisiondError;
  t.equal(err.code, 'state_write_failed');
  t.equal(store.get('X'), undefined);
  await t.resolves(store.setLocal([]).catch(() => undefined), 'the queue goes on after a failure');
});

t.test('values survive a restart, and a changed settings file still shows through where nothing overrides it', async (t) => {
  const dir = t.testdir({});
  const first = new ParamStore({ stateDir: dir, factory: { A1: 'f' }, logger: quietLogger() });
  await first.load();
  await first.applyProvisioned([{ name: 'Profile_Rule', value: 'https://p.example/$MA.xml' }]);
  await first.setLocal([{ name: 'PHNLABEL1', value: 'Reception' }]);
  const second = new ParamStore({ stateDir: dir, factory: { A1: 'g' }, logger: quietLogger() });
  await second.load();
  t.equal(second.get('Profile_Rule'), 'https://p.example/$MA.xml');
  t.equal(second.get('PHNLABEL1'), 'Reception');
  t.equal(second.get('A1'), 'g');
});

t.test('a torn state file is detected and the previous good copy used', async (t) => {
  const dir = t.testdir({});
  const lines: string[] = [];
  const store = new ParamStore({ stateDir: dir, logger: quietLogger(lines) });
  await store.load();
  await store.applyProvisioned([{ name: 'Resync_Periodic', value: '111' }]);
  await store.applyProvisioned([{ name: 'Resync_Periodic', value: '222' }]);
  const file = path.join(dir, STATE_FILE);
  const whole = readFileSync(file, 'utf8');
  writeFileSync(file, whole.slice(0, whole.length / 2));
  writeFileSync(path.join(dir, PUBLISHED_FILE), '{"version":1,"param');
  const reopened = new ParamStore({ stateDir: dir, logger: quietLogger(lines) });
  await reopened.load();
  t.equal(reopened.get('Resync_Periodic'), '111', 'the previous good copy');
  t.equal(published(dir).Resync_Periodic, '111', 'parameters.json rewritten whole');
  t.ok(lines.some((l) => /damaged \(torn or truncated\)/.test(l)));
  t.ok(lines.some((l) => /using the previous good copy/.test(l)));
  writeFileSync(file + '.prev', '{"version":2}');
  writeFileSync(file, 'not json');
  const empty = new ParamStore({ stateDir: dir, logger: quietLogger() });
  await empty.load();
  t.equal(empty.get('Resync_Periodic'), '3600', 'both copies bad: factory state');
});

t.test('secret parameters never reach the disk and come back from the secret keeper', async (t) => {
  const dir = t.testdir({});
  const keeper = new MemorySecretKeeper();
  const redactor = new Redactor();
  const store = new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger(), redactor });
  await store.load();
  await store.applyProvisioned([
    { name: 'GPP_SA', value: 'gpp-secret-value' },
    { name: 'Profile_Rule', value: '[--uid admin --pwd rule-secret-pw]https://p.example/x.xml' },
    { name: 'Profile_Rule_B', value: '[--uid admin --pwd"nospace-secret"]https://p.example/b.xml' },
    { name: 'EM_Phone_Password', value: 'em-phone-secret' },
  ]);
  t.equal(published(dir).Profile_Rule_B, '[--uid *** --pwd***]https://p.example/b.xml');
  for (const needle of ['gpp-secret-value', 'rule-secret-pw', 'nospace-secret', 'em-phone-secret']) {
    t.same(grepDir(dir, needle), [], `${needle} is not in ${dir}`);
    t.ok(redactor.has(needle), 'registered for redaction');
  }
  t.equal(published(dir).Profile_Rule, '[--uid *** --pwd ***]https://p.example/x.xml');
  t.notOk('GPP_SA' in published(dir));
  t.equal(store.get('GPP_SA'), 'gpp-secret-value');
  const again = new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger() });
  await again.load();
  t.equal(again.get('Profile_Rule'), '[--uid admin --pwd rule-secret-pw]https://p.example/x.xml');
  t.equal(again.get('EM_Phone_Password'), 'em-phone-secret');
  await again.applyProvisioned([{ name: 'Profile_Rule', value: 'https://p.example/y.xml' }, { name: 'GPP_SA', value: '' }]);
  t.notOk(keeper.keys().some((key) => key.startsWith('provisioned:Profile_Rule#')), 'a rule without credentials leaves the keeper');
  t.notOk(keeper.keys().some((key) => key.startsWith('provisioned:GPP_SA#')));
  const lines: string[] = [];
  const lost = new ParamStore({ stateDir: dir, secretKeeper: new MemorySecretKeeper(), logger: quietLogger(lines) });
  await again.applyProvisioned([{ name: 'GPP_SB', value: 'other-secret' }]);
  await lost.load();
  t.equal(lost.get('GPP_SB'), '', 'a secret missing from the keeper falls back to the lower layer');
  t.ok(lines.some((l) => /missing from the vault/.test(l)));
});

t.test('factory secrets are registered for redaction, and user data never comes from a profile', async (t) => {
  const dir = t.testdir({});
  const store = new ParamStore({
    stateDir: dir,
    factory: { GPP_SD: 'factory-secret' },
    isUserData: (name) => name.startsWith('ABK'),
    logger: quietLogger(),
  });
  await store.load();
  t.ok(store['redactor'].has('factory-secret'), "without a redactor of its own the store registers with its logger's");
  t.same(await store.applyProvisioned([{ name: 'ABKNAME1', value: 'x' }, { name: 'Y', value: '1' }]), ['Y']);
  t.same(await store.setLocal([{ name: 'ABKNAME1', value: 'Alice' }]), ['ABKNAME1']);
  const plain = new ParamStore({ stateDir: t.testdir({}) });
  t.same(await plain.applyProvisioned([{ name: 'ABKNAME1', value: 'x' }]), ['ABKNAME1']);
});

t.test('a local secret that is cleared leaves the keeper; a state path that cannot be copied is an error', async (t) => {
  const dir = t.testdir({});
  const keeper = new MemorySecretKeeper();
  const store = new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger() });
  await store.load();
  await store.setLocal([{ name: 'EM_Mobile_Password', value: 'mobile-pw-1' }]);
  t.same(keeper.keys(), ['local:EM_Mobile_Password#1']);
  t.equal(await keeper.load('local:EM_Mobile_Password#1'), 'mobile-pw-1');
  await store.clearLocal(['EM_Mobile_Password']);
  t.same(keeper.keys(), [], 'a cleared secret leaves at once');
  const broken = t.testdir({ [STATE_FILE]: {} });
  const bad = new ParamStore({ stateDir: broken, logger: quietLogger() });
  await t.rejects(bad.setLocal([{ name: 'A', value: '1' }]));
  t.equal(bad.get('A'), undefined);
});

t.test('the previous-copy step never writes through a link planted at .prev, nor copies a linked state file', async (t) => {
  const { lstatSync, mkdirSync, symlinkSync } = await import('node:fs');
  const dir = t.testdir({ victim: 'do not overwrite\n' });
  const victim = path.join(dir, 'victim');
  const file = path.join(dir, STATE_FILE);
  symlinkSync(victim, file + '.prev');
  const store = new ParamStore({ stateDir: dir, logger: quietLogger() });
  await store.load();
  await store.setLocal([{ name: 'Resync_Periodic', value: '111' }]);
  await store.setLocal([{ name: 'Resync_Periodic', value: '222' }]);
  t.equal(readFileSync(victim, 'utf8'), 'do not overwrite\n', 'the linked file is untouched');
  t.ok(lstatSync(file + '.prev').isFile(), '.prev is a regular file of ours now');
  t.match(readFileSync(file + '.prev', 'utf8'), /"111"/);
  // A state file that is itself a link (or not a file) is not copied to .prev.
  const linked = t.testdir({ secretish: '{"version":1,"layers":{"provisioned":{},"local":{"X":"from elsewhere"}}}\n', [`${STATE_FILE}.prev`]: 'old' });
  symlinkSync(path.join(linked, 'secretish'), path.join(linked, STATE_FILE));
  const other = new ParamStore({ stateDir: linked, logger: quietLogger() });
  await other.setLocal([{ name: 'Resync_Periodic', value: '333' }]).catch(() => undefined);
  t.equal(readFileSync(path.join(linked, `${STATE_FILE}.prev`), 'utf8'), 'old');
  const dirState = t.testdir();
  mkdirSync(path.join(dirState, STATE_FILE));
  const third = new ParamStore({ stateDir: dirState, logger: quietLogger() });
  await third.setLocal([{ name: 'Resync_Periodic', value: '444' }]).catch(() => undefined);
  t.notOk(readdirSync(dirState).includes(`${STATE_FILE}.prev`));
  const broken = new ParamStore({ stateDir: `${dir}\0`, logger: quietLogger() });
  await t.rejects(broken.setLocal([{ name: 'Resync_Periodic', value: '555' }]), { code: 'state_read_failed' });
});

t.test('temp files a power cut left beside the state files are removed at load', async (t) => {
  const dir = t.testdir({
    [`.${STATE_FILE}.tmp-1-00000000`]: 'torn',
    [`.${STATE_FILE}.prev.tmp-1-00000001`]: 'torn',
    [`.${PUBLISHED_FILE}.tmp-1-00000002`]: 'torn',
  });
  const store = new ParamStore({ stateDir: dir, logger: quietLogger() });
  await store.load();
  t.same(readdirSync(dir).filter((name) => name.includes('.tmp-')), []);
});

t.test('a changed secret gets a new key; the old value stays one commit for .prev, and a restart remembers it', async (t) => {
  const dir = t.testdir({});
  const keeper = new MemorySecretKeeper();
  const store = new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger() });
  await store.load();
  await store.applyProvisioned([{ name: 'GPP_SA', value: 'first-secret' }]);
  await store.applyProvisioned([{ name: 'GPP_SA', value: 'second-secret' }]);
  t.same(keeper.keys().sort(), ['provisioned:GPP_SA#1', 'provisioned:GPP_SA#2'], 'the value .prev names is still there');
  // A torn state file: start-up falls back to .prev, and finds that state's own secret.
  const file = path.join(dir, STATE_FILE);
  writeFileSync(file, 'torn');
  const fallback = new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger() });
  await fallback.load();
  t.equal(fallback.get('GPP_SA'), 'first-secret', 'the previous state with its own secret, never the next one');
  await fallback.applyProvisioned([{ name: 'GPP_SA', value: 'third-secret' }]);
  const restarted = new ParamStore({ stateDir: dir, secretKeeper: keeper, logger: quietLogger() });
  await restarted.load();
  t.equal(restarted.get('GPP_SA'), 'third-secret');
  await restarted.applyProvisioned([{ name: 'GPP_SA', value: 'fourth-secret' }]);
  // The fallback went on from the .prev generation: its next key reused the torn state's.
  const held = await Promise.all(keeper.keys().sort().map(async (key) => [key, await keeper.load(key)]));
  t.same(held, [['provisioned:GPP_SA#2', 'third-secret'], ['provisioned:GPP_SA#3', 'fourth-secret']], 'the current value and the one .prev names; older ones go, across restarts too');
});

t.test('an unchanged profile writes nothing; derived values are computed once per applied set', async (t) => {
  const dir = t.testdir({});
  const store = new ParamStore({ stateDir: dir, logger: quietLogger() });
  await store.load();
  const profile = [{ name: 'Station_Name', value: 'desk-1' }, { name: 'GPP_SA', value: 'vaulted-secret-1' }];
  await store.applyProvisioned(profile, [{ name: 'Station_Name', access: 'ro' }]);
  const state = (): string => readFileSync(path.join(dir, STATE_FILE), 'utf8');
  const before = { state: state(), files: readdirSync(dir).sort() };
  let computed = 0;
  const station = (applied: ReadonlyMap<string, string>): string | undefined => (computed++, applied.get('Station_Name'));
  t.equal(store.derive(station), 'desk-1');
  t.same(await store.applyProvisioned(profile, [{ name: 'Station_Name', access: 'ro' }]), [], 'the same profile again changes nothing');
  t.same({ state: state(), files: readdirSync(dir).sort() }, before, 'and writes nothing (the generation in the state file is the same)');
  t.equal(store.derive(station), 'desk-1');
  t.equal(computed, 1, 'computed once while the applied set stays');
  await store.applyProvisioned(profile, [{ name: 'Station_Name', access: 'na' }]);
  t.not(state(), before.state, 'a changed restriction alone is written');
  await store.applyProvisioned([{ name: 'Station_Name', value: 'desk-2' }]);
  t.equal(store.derive(station), 'desk-2');
  t.equal(computed, 2, 'computed again once the applied set changed');
});
