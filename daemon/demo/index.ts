/** The demo (SPEC §10): `provisiond --demo` with its own provisioning server and MQTT broker. */
export { Demo, DEMO_MAC, DEMO_REALM, DEMO_USER, type DemoAccount, type DemoOptions } from './demo.js';
export { runDemo, type RunDemoOptions } from './run.js';
export { DigestGuard, type Verdict } from './digest.js';
export { startDemoServer, MAX_BACKUP_BYTES, type DemoServer, type DemoServerOptions } from './server.js';
export { startDemoBroker, type DemoBroker } from './broker.js';
export { startDashboard, formatEvent, type Dashboard } from './dashboard.js';
export { ciscoProfile, avayaScript } from './content.js';
export { banner, type BannerFacts } from './banner.js';
