/** The fleet view (SPEC §8): `provisionctl dashboard`, its MQTT model, server and page. */
export { Fleet, MAX_PAYLOAD_BYTES, RECENT_EVENTS, WINDOW_MS, type DeviceView, type FleetChange, type FleetEvent, type LastResync, type OpenPrompt } from './fleet.js';
export { startDashboard, WS_MAX_PAYLOAD, WS_PATH, type Dashboard, type DashboardOptions } from './server.js';
export { DASHBOARD_FILES } from './page.js';
export { DASHBOARD_USAGE, parseDashboardArgs, runDashboardCli, type DashboardArgs, type DashboardIo } from './run.js';
