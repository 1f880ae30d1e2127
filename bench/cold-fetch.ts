/**
 * One fetch in a new process with the real fetcher, as a cron job would run it: the `fetch`
 * and `resync` benchmarks run this (`node dist/bench/cold-fetch.js`) to compare a cold fetch
 * of ours with a cold `curl --digest`. The request comes as JSON on stdin (the password
 * never on a command line): `{ url, username, password, caFile? }`; it prints the body's
 * length. No state directory: like curl, it starts with nothing cached.
 */
import { readFileSync } from 'node:fs';
import { Fetcher, type FetcherOptions } from '../daemon/http/index.js';

interface ColdRequest {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly caFile?: string;
}

const request = JSON.parse(readFileSync(0, 'utf8')) as ColdRequest;
let tls: FetcherOptions['tls'];
if (request.caFile !== undefined) {
  const { loadTrustStore, tlsConnectionOptions } = await import('../daemon/tls/index.js');
  const store = await loadTrustStore({ trustCerts: [{ name: 'bench CA', data: readFileSync(request.caFile) }] });
  const options = tlsConnectionOptions(store, { checkName: true });
  tls = () => options;
}
const fetcher = new Fetcher({ userAgent: 'provisiond-bench', ...(tls && { tls }) });
const result = await fetcher.fetch({ url: request.url, operation: 'resync', credentials: async () => ({ username: request.username, password: request.password, source: 'rule' }) });
fetcher.close();
process.stdout.write(`${result.body.length}\n`);
