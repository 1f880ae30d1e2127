import t from 'tap';
import { defaultPort, Origin, OriginError } from '../../daemon/origin/index.js';

t.test('the default port of http, https and tftp is filled in, so default and explicit ports agree', async (t) => {
  t.equal(String(Origin.of('https://prov.example.test/cfg/$MA.xml')), 'https://prov.example.test:443');
  t.equal(String(Origin.of('http://10.0.0.5/')), 'http://10.0.0.5:80');
  // Cisco rules may name a TFTP server (DOMAIN.md §1.6): tftp://host/file.
  t.equal(String(Origin.of(new URL('tftp://tftp.example.com/spa.cfg'))), 'tftp://tftp.example.com:69');
  t.ok(Origin.of('https://a.example/').equals(Origin.of('https://a.example:443/other')));
  t.equal(Origin.of('http://a.example:8080/').port, 8080);
  t.equal(defaultPort('gopher'), undefined);
  t.equal(defaultPort('constructor'), undefined, 'only the table itself, not what objects inherit');
});

t.test('scheme and host are lower case, whichever way the URL or the parts spell them', async (t) => {
  const origin = Origin.of('HTTPS://Prov.Example.COM/x');
  t.equal(origin.scheme, 'https');
  t.equal(origin.host, 'prov.example.com');
  t.equal(String(Origin.of('tftp://TFTP.Example/x')), 'tftp://tftp.example:69', 'tftp hosts are opaque to the URL parser and lower-cased here');
  t.ok(Origin.from({ scheme: 'HTTPS', host: 'PROV.example.com' }).equals(origin));
  t.equal(String(Origin.of('http://Bücher.example/')), 'http://xn--bcher-kva.example:80', 'names in punycode as the URL parser writes them');
  t.equal(String(Origin.of('http://0x7f.1/')), 'http://127.0.0.1:80', 'IPv4 in its canonical spelling');
});

t.test('IPv6 addresses are written in brackets and compared in one spelling', async (t) => {
  const origin = Origin.of('https://[2001:DB8:0::1]:8443/x');
  t.equal(String(origin), 'https://[2001:db8::1]:8443');
  t.equal(origin.host, '[2001:db8::1]');
  t.equal(origin.bareHost, '2001:db8::1');
  t.ok(Origin.from({ scheme: 'https', host: 'fe80::1' }).equals(Origin.from({ scheme: 'https', host: '[FE80::0001]', port: 443 })), 'with or without brackets');
  t.equal(String(Origin.of('tftp://[FE80::0001]/x')), 'tftp://[fe80::1]:69');
  t.equal(Origin.of('http://h.example/').bareHost, 'h.example');
});

t.test('userinfo, path, query and fragment are not part of an origin', async (t) => {
  const origin = Origin.of('https://alice:secret@prov.example.test/p.xml?key=v#frag');
  t.equal(String(origin), 'https://prov.example.test:443');
  t.notMatch(JSON.stringify({ origin: String(origin) }), /alice|secret/);
});

t.test('another scheme, host or port is another origin', async (t) => {
  const base = Origin.of('https://h.example/');
  t.notOk(base.equals(Origin.of('http://h.example:443/')));
  t.notOk(base.equals(Origin.of('https://g.example/')));
  t.notOk(base.equals(Origin.of('https://h.example:8443/')));
  t.notOk(base.equals(undefined));
});

t.test('a scheme without a known default port must name one', async (t) => {
  t.equal(String(Origin.of('mqtts://Broker:8883')), 'mqtts://broker:8883');
  t.throws(() => Origin.of('gopher://old.example.com/'), { code: 'url_invalid', where: { path: 'port' } });
});

t.test('input that names no origin is a typed error naming the part, never the URL', async (t) => {
  const cases: [() => Origin, string][] = [
    [() => Origin.of('not a url'), 'url'],
    [() => Origin.of('http://alice:pw@h.example:0/'), 'port'],
    [() => Origin.of('tftp:///file'), 'host'],
    [() => Origin.from({ scheme: '1x', host: 'h' }), 'scheme'],
    [() => Origin.from({ scheme: 'https', host: '' }), 'host'],
    [() => Origin.from({ scheme: 'https', host: '[]' }), 'host'],
    [() => Origin.from({ scheme: 'https', host: 'a/b' }), 'host'],
    [() => Origin.from({ scheme: 'https', host: 'user@h' }), 'host'],
    [() => Origin.from({ scheme: 'https', host: 'a:b' }), 'host'],
    [() => Origin.from({ scheme: 'https', host: 'h', port: 1.5 }), 'port'],
    [() => Origin.from({ scheme: 'https', host: 'h', port: 70000 }), 'port'],
  ];
  for (const [make, part] of cases) {
    const error = t.throws(make) as unknown;
    t.ok(error instanceof OriginError, `${part}: an OriginError`);
    t.match(error, { code: 'url_invalid', where: { path: part } });
    t.notMatch((error as Error).message, /pw|alice/);
  }
});

t.test('an origin cannot be changed after it is made', async (t) => {
  const origin = Origin.of('https://h.example/');
  t.ok(Object.isFrozen(origin));
  t.throws(() => {
    (origin as unknown as { port: number }).port = 1;
  });
  t.equal(origin.port, 443);
});
