import t from 'tap';
import { scrubUrl, scrubUrlsInText } from '../../daemon/events/index.js';

t.test('userinfo is removed from a provisioning URL', async (t) => {
  t.equal(scrubUrl('https://admin:s3cret@prov.example.com/cfg/spa.xml'), 'https://prov.example.com/cfg/spa.xml');
  t.equal(scrubUrl('http://user@prov.example.com/'), 'http://prov.example.com/');
});

t.test('secret query values are masked and other parameters kept as they were', async (t) => {
  // Cisco-style rule with credentials in the query, as administrators write them (DOMAIN.md).
  t.equal(
    scrubUrl('https://prov.example.com/cfg?mac=0011aabbccdd&pwd=hunter2&Token=abc%20d&x=1#frag'),
    'https://prov.example.com/cfg?mac=0011aabbccdd&pwd=***&Token=***&x=1#frag',
  );
  t.equal(scrubUrl('https://h/p?api_key=1&password=2&pass=3&secret=4&auth=5&sig=6'), 'https://h/p?api_key=***&password=***&pass=***&secret=***&auth=***&sig=***');
  t.equal(scrubUrl('https://h/p?a+b=1&%zz=2&key=3'), 'https://h/p?a+b=1&%zz=2&key=***');
});

t.test('a URL without secrets comes back normalised but otherwise unchanged', async (t) => {
  t.equal(scrubUrl('https://prov.example.com/a?b=c'), 'https://prov.example.com/a?b=c');
});

t.test('an unparseable URL is scrubbed textually', async (t) => {
  t.equal(scrubUrl('http://u:p@[bad/x?pwd=1&a=2'), 'http://[bad/x?pwd=***&a=2');
});

t.test('URLs inside free text are scrubbed, the rest of the text kept', async (t) => {
  t.equal(scrubUrlsInText('GET https://a:b@h/x?token=t failed: 401'), 'GET https://h/x?token=*** failed: 401');
  t.equal(scrubUrlsInText('no url here'), 'no url here');
});

t.test('a URL without secrets is remembered scrubbed; one with secrets is scrubbed afresh each time; many distinct URLs keep giving the same answers', async (t) => {
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 100; i++) t.equal(scrubUrl(`https://prov.example/spa${i}.cfg`), `https://prov.example/spa${i}.cfg`);
    t.equal(scrubUrl('https://u:p@prov.example/a?pwd=x'), 'https://prov.example/a?pwd=***');
    t.equal(scrubUrl('HTTPS://Prov.Example'), 'https://prov.example/', 'normalised the same way from the memo');
  }
});
