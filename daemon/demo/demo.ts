/**
 * The demo assembled (SPEC §10): a throw-away directory, a run-time PKI, the Digest-protected
 * provisioning server, an aedes broker, the dashboard client, and the daemon pointed at them.
 * Everything started is stopped by `stop()`, newest first; a failed start stops what it had.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from '../app/index.js';
import { loadDisplayToken } from '../display/index.js';
import { packageRoot } from '../fsutil/index.js';
import type { Logger } from '../log/index.js';
import type { Settings } from '../settings/index.js';
import type { Notifier } from '../systemd/index.js';
import { makeTestPki } from '../tls/index.js';
import { banner } from './banner.js';
import { startDemoBroker } from './broker.js';
import { startDashboard } from './dashboard.js';
import { startDashboard as startFleetView } from '../dashboard/index.js';
import { DigestGuard } from './digest.js';
import { startDemoServer } from './server.js';

export const DEMO_REALM = 'provisioning@demo';
export const DEMO_USER = 'demo';
/** A made-up MAC in Cisco's OUI, so `$MA` in the profile rule is stable across runs. */
export const DEMO_MAC = '00:0e:08:de:30:01';

export interface DemoOptions {
  /** The daemon's base settings for a state directory (the shipped file, display port). */
  readonly baseSettings: (dir: string) => Settings;
  /** Console output for the person watching (standard output under `provisiond --demo`). */
  readonly say: (line: string) => void;
  /** Where the throw-away directory is made; default: the system temp directory. */
  readonly tmpRoot?: string;
  readonly logger?: Logger;
  readonly notifier?: Notifier;
}

/** The throw-away Digest account. Printed for the person to type: see `Demo.start`. */
export interface DemoAccount {
  readonly user: string;
  readonly password: string;
}

type Stop = () => Promise<unknown>;

export class Demo {
  readonly app: App;
  readonly dir: string;
  readonly account: DemoAccount;
  readonly serverOrigin: string;
  readonly pageUrl: string;
  /** The fleet view (`provisionctl dashboard`), token in the fragment. */
  readonly fleetUrl: string;
  private readonly stops: Stop[];

  private constructor(fields: { app: App; dir: string; account: DemoAccount; serverOrigin: string; pageUrl: string; fleetUrl: string; stops: Stop[] }) {
    this.app = fields.app;
    this.dir = fields.dir;
    this.account = fields.account;
    this.serverOrigin = fields.serverOrigin;
    this.pageUrl = fields.pageUrl;
    this.fleetUrl = fields.fleetUrl;
    this.stops = fields.stops;
  }

  static async start(options: DemoOptions): Promise<Demo> {
    const stops: Stop[] = [];
    // A short temp path keeps the Unix socket under the 108-byte sun_path limit.
    const dir = await fsp.mkdtemp(path.join(options.tmpRoot ?? tmpdir(), 'provisiond-demo-'));
    stops.push(() => fsp.rm(dir, { recursive: true, force: true }));
    try {
      return await Demo.assemble(options, dir, stops);
    } catch (err) {
      await runStops(stops);
      throw err;
    }
  }

  private static async assemble(options: DemoOptions, dir: string, stops: Stop[]): Promise<Demo> {
    const { say } = options;
    const pki = makeTestPki();
    const anchorsDir = path.join(dir, 'anchors');
    const backupDir = path.join(dir, 'backup');
    await fsp.mkdir(anchorsDir);
    await fsp.mkdir(backupDir);
    await fsp.writeFile(path.join(anchorsDir, 'demo-root.pem'), pki.root.certPem);

    // A throw-away credential of a server that lives as long as this process: the person
    // must read it to type it, so it is printed, and deliberately not registered with the
    // log redactor (that would turn the printed line into ***). Once typed into the prompt,
    // the daemon registers it like any account password, so its own logs never show it.
    const account: DemoAccount = { user: DEMO_USER, password: randomBytes(5).toString('hex') };
    const server = await startDemoServer({ certPem: pki.chainPem, keyPem: pki.leaf.keyPem, guard: new DigestGuard(DEMO_REALM, { [account.user]: account.password }), backupDir, say });
    stops.push(() => server.stop());
    const broker = await startDemoBroker();
    stops.push(() => broker.stop());

    const base = options.baseSettings(dir);
    const http = base.display.http === false ? { host: '127.0.0.1', port: 0 } : base.display.http;
    const port = (await portFree(http.host, http.port)) ? http.port : 0;
    // The image's technicians' group (phonetech) is not on a demo machine; the socket stays the user's.
    const { socketGroup: _imageGroup, ...display } = base.display;
    const settings: Settings = {
      ...base,
      device: { ...base.device, mac: DEMO_MAC, serial: 'DEMO0001', model: 'CP-8841-3PCC' },
      trust: { anchorsDir, useSystemStore: false },
      mqtt: { ...base.mqtt, url: broker.url, commands: true },
      display: { ...display, http: { host: http.host, port } },
      parameters: { ...base.parameters, Profile_Rule: `${server.origin}/cisco/$MA.xml`, Resync_Random_Delay: '0' },
    };
    const dashboard = await startDashboard(broker.url, settings.mqtt.topicPrefix, say);
    stops.push(() => dashboard.stop());
    // The fleet view as `provisionctl dashboard --commands` would serve it, on a free loopback port.
    const fleet = await startFleetView({ mqttUrl: broker.url, host: '127.0.0.1', port: 0, prefix: settings.mqtt.topicPrefix, commands: true });
    stops.push(() => fleet.close());

    const app = new App({ settings, logger: options.logger, notifier: options.notifier });
    stops.push(() => app.stop());
    await app.start();
    const token = await loadDisplayToken(settings.stateDir, app.redactor);
    const pageUrl = `${app.display!.url}/#token=${token}`;
    // Written straight to the console, not through the Logger, which would redact the token.
    say(
      banner({
        pageUrl,
        fleetUrl: fleet.url,
        ...account,
        realm: DEMO_REALM,
        serverOrigin: server.origin,
        socketPath: app.display!.socketPath!,
        provisionctl: `node ${path.join(packageRoot(), 'dist', 'daemon', 'cli', 'main.js')}`,
        mqttPort: broker.port,
        topicPrefix: settings.mqtt.topicPrefix,
        demoDir: dir,
        backupDir,
        ...(port !== http.port && { portNote: `Port ${http.port} is taken: the display page listens on ${app.display!.port} instead.` }),
      }),
    );
    return new Demo({ app, dir, account, serverOrigin: server.origin, pageUrl, fleetUrl: fleet.url, stops });
  }

  /** Stops the daemon, the dashboard, the broker and the server, and removes the directory. */
  async stop(): Promise<void> {
    await runStops(this.stops);
  }
}

async function runStops(stops: Stop[]): Promise<void> {
  for (let stop = stops.pop(); stop !== undefined; stop = stops.pop()) await stop();
}

/** Whether `port` can be listened on now (0 always can). */
function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}
