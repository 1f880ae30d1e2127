import t from 'tap';
import { isUserDataName, parseBackupFile, serializeBackupFile } from '../../daemon/profiles/index.js';
import { thrown } from '../fixtures/rules/context.js';

const utf16 = (text: string): Buffer => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);

t.test('a UTF-16LE file with BOM and CRLF is read', async (t) => {
  // DOMAIN.md §3.3 [AV-1600-AG p109] [AV-96-R1.5 admn094]: contact ABKNAME001=Extn201 etc.
  const file = utf16('ABKNAME001=Extn201\r\nABKNUMBER001=201\r\n\r\nPERSONALRING=3\r\nPHNLABEL01=Front desk\r\n');
  t.same([...parseBackupFile(file)], [['ABKNAME001', 'Extn201'], ['ABKNUMBER001', '201'], ['PERSONALRING', '3'], ['PHNLABEL01', 'Front desk']]);
});

t.test('UTF-8 files, CR or LF line ends and case-insensitive names are accepted', async (t) => {
  const file = Buffer.from('abkname002=Ann\rLangUser=Deutsch\nHOMEFAV01=a\u001fb\u001fc');
  t.same([...parseBackupFile(file)], [['ABKNAME002', 'Ann'], ['LANGUSER', 'Deutsch'], ['HOMEFAV01', 'a\u001fb\u001fc']]);
});

t.test('unknown and invalid lines are skipped and the last duplicate wins', async (t) => {
  // DOMAIN.md §3.3: spaces around a name are part of it; invalid data ignores the line.
  const file = utf16([
    'ABKNAME001=first', 'no equals sign', ' ABKNAME002=space before', 'SIPPASSWORD=never', 'PERSONALRING=9',
    'OPTCLICKS=1', 'ABKNAME001=second', 'ABKNAME003=bad\u0007bell', 'PHNEMERGNUM=911',
  ].join('\r\n'));
  t.same([...parseBackupFile(file)], [['OPTCLICKS', '1'], ['ABKNAME001', 'second']]);
});

t.test('a file with no valid line fails, and size is capped', async (t) => {
  t.match(thrown(() => parseBackupFile(utf16('JUNK=1\r\n'))), { code: 'backup_parse_error', message: /no valid NAME=value line/ });
  t.match(thrown(() => parseBackupFile(Buffer.alloc(0))), { code: 'backup_parse_error' });
  t.match(thrown(() => parseBackupFile(Buffer.alloc(11), 10)), { code: 'backup_too_large' });
});

t.test('writing gives UTF-16LE, BOM, CRLF and only user data', async (t) => {
  const out = serializeBackupFile([['ABKNAME001', 'Extn201'], ['EM_Mobile_Password', 'x'], ['optclicks', '1'], ['PERSONALRING', '0'], ['PHNLABEL01', 'two\nlines']]);
  t.same([...out.subarray(0, 2)], [0xff, 0xfe]);
  t.equal(out.subarray(2).toString('utf16le'), 'ABKNAME001=Extn201\r\nOPTCLICKS=1\r\n');
  t.same([...parseBackupFile(out)], [['ABKNAME001', 'Extn201'], ['OPTCLICKS', '1']], 'what is written reads back');
});

t.test('user data names follow the backup keys, not the admin settings sharing prefixes', async (t) => {
  for (const name of ['ABKNAME001', 'ABKNUMBER120', 'PHNLABEL01', 'SBMLABEL24', 'HOMEFAV03', 'LOGACTIVE', 'OPTAUDIOPATH', 'PHNSCRONCALL', 'PERSONALRING', 'LANGUSER', 'MMLBL01', 'CONDATA001']) t.ok(isUserDataName(name), name);
  for (const name of ['PHNEMERGNUM', 'LOGSRVR', 'BRURI', 'Log_Resync_Request_Msg', 'abkname001', 'ABKNAME', 'SIPPASSWORD']) t.notOk(isUserDataName(name), name);
});
