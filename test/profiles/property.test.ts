import t from 'tap';
import fc from 'fast-check';
import { ProvisiondError } from '../../daemon/errors/index.js';
import { parseBackupFile, parseFlatProfile, parseProfile, parseSettingsScript, serializeBackupFile } from '../../daemon/profiles/index.js';

const typedOnly = (error: unknown): void => {
  if (!(error instanceof ProvisiondError) || !/^(profile|backup)_/.test(error.code)) throw error;
};

const xmlPieces = ['<', '>', '/', '</', '/>', '<!--', '-->', '<?', '?>', '<![CDATA[', ']]>', '<!DOCTYPE', 'flat-profile', 'A', 'B',
  ' ua="ro"', " ua='x'", ' g="1"', '&amp;', '&#x41;', '&#0;', '&', ';', '\n', ' ', 'text'];
const xmlText = fc.oneof(fc.string({ maxLength: 80 }), fc.array(fc.constantFrom(...xmlPieces), { maxLength: 40 }).map((a) => a.join('')));
const scriptPieces = ['SET ', 'IF ', '$A', ' SEQ ', ' GOTO ', 'GOTO ', 'GET ', '# ', 't', 'x', '"', ' ', '\n', '1', 'a.txt'];
const scriptText = fc.array(fc.constantFrom(...scriptPieces), { maxLength: 40 }).map((a) => a.join(''));

t.test('random flat profiles parse or fail with a typed error', async (t) => {
  fc.assert(fc.property(xmlText, (text) => {
    try {
      parseFlatProfile(text, { maxDepth: 8 });
    } catch (error) {
      typedOnly(error);
    }
  }), { numRuns: 3000 });
  t.pass('3000 documents');
});

t.test('random settings scripts end, with updates or a typed error', async (t) => {
  await fc.assert(fc.asyncProperty(scriptText, async (text) => {
    try {
      await parseSettingsScript(text, { maxSteps: 10_000, params: () => '1', fetch: async (name) => (name === 'a.txt' ? Buffer.from(text) : null) });
    } catch (error) {
      typedOnly(error);
    }
  }), { numRuns: 1000 });
  t.pass('1000 scripts');
});

t.test('random bytes as a profile fail with a typed error or parse', async (t) => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
    try {
      await parseProfile(bytes, bytes.length % 2 === 0 ? { key: 'k' } : {});
    } catch (error) {
      typedOnly(error);
    }
  }), { numRuns: 1000 });
  t.pass('1000 byte strings');
});

const userName = fc.oneof(
  fc.integer({ min: 1, max: 999 }).map((n) => `ABKNAME${String(n).padStart(3, '0')}`),
  fc.integer({ min: 1, max: 99 }).map((n) => `PHNLABEL${String(n).padStart(2, '0')}`),
  fc.constantFrom('OPTCLICKS', 'LANGUSER', 'LOGACTIVE'),
);
const userValue = fc.string({ maxLength: 30 }).filter((v) => !/[\u0000-\u001e\u007f]/.test(v));

t.test('backup files: write then read gives the same data, and reading is stable', async (t) => {
  fc.assert(fc.property(fc.uniqueArray(fc.tuple(userName, userValue), { minLength: 1, maxLength: 20, selector: ([n]) => n }), (entries) => {
    const read = parseBackupFile(serializeBackupFile(entries));
    const again = parseBackupFile(serializeBackupFile(read));
    return JSON.stringify([...read]) === JSON.stringify(entries) && JSON.stringify([...again]) === JSON.stringify(entries);
  }), { numRuns: 500 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    try {
      parseBackupFile(bytes);
    } catch (error) {
      typedOnly(error);
    }
  }), { numRuns: 1000 });
  t.pass('round trips and random files');
});
