/**
 * The fleet view's page (SPEC §8): plain HTML, CSS and JavaScript, no build step, served by
 * `provisionctl dashboard` under a strict CSP (scripts and styles from the page's own origin
 * only, no inline code). Kept as strings so the compiled program carries them. The script
 * reads the token from the URL fragment, drops it from the address bar, sends `auth` first,
 * and renders only with `textContent`: whatever a phone put in an event is shown as text.
 */
import { pageHtml, type PageFile } from '../display/index.js';

const HTML = pageHtml(
  'provisiond fleet',
  `<header class="top">
  <h1>provisiond fleet</h1>
  <span id="summary"></span>
  <span id="conn" class="bad">connecting</span>
</header>
<main>
  <section aria-label="phones">
    <table id="devices">
      <thead><tr>
        <th>Phone</th><th>Status</th><th>Last resync</th><th>Next resync</th><th>EM</th><th>Open prompts</th>
        <th title="tls.rejected events in the last hour">TLS rejections (1 h)</th>
        <th title="auth.failure events in the last hour">Auth failures (1 h)</th>
        <th class="cmd">Commands</th>
      </tr></thead>
      <tbody></tbody>
    </table>
    <p id="empty">No phone has reported yet.</p>
  </section>
  <section aria-label="command replies" class="cmd" id="replies-box">
    <h2>Commands</h2>
    <ol id="replies"></ol>
  </section>
  <section aria-label="live events">
    <h2>Live events</h2>
    <form id="filters" autocomplete="off">
      <label>Device <select id="f-device"><option value="">all</option></select></label>
      <label>Type <select id="f-type"><option value="">all</option></select></label>
      <label>Operation <select id="f-operation"><option value="">all</option></select></label>
    </form>
    <table id="events">
      <thead><tr><th>Time</th><th>Phone</th><th>#</th><th>Type</th><th>Operation</th><th>Details</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
`,
);

const CSS = `/* provisiond fleet view */
:root { --bg: #f4f5f7; --ink: #1f2328; --dim: #656d76; --line: #d0d7de; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
.top { display: flex; align-items: baseline; gap: 18px; padding: 12px 20px; background: #24292f; color: #f6f8fa; }
.top h1 { font-size: 17px; margin: 0; letter-spacing: .04em; }
#summary { color: #d0d7de; }
#conn { margin-left: auto; font-size: 12px; }
#conn.bad { color: #ffaba8; }
main { padding: 12px 20px; }
h2 { font-size: 12px; text-transform: uppercase; letter-spacing: .12em; color: var(--dim); margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--dim); font-weight: 600; background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num.hot { color: var(--bad); font-weight: bold; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.badge.online { background: var(--ok); }
.badge.offline { background: var(--bad); }
.badge.unknown { background: var(--dim); }
.outcome-failed { color: var(--bad); }
.outcome-succeeded, .outcome-unchanged { color: var(--ok); }
.prompt { color: var(--warn); }
button { font: 12px inherit; margin-right: 4px; cursor: pointer; }
body:not(.commands) .cmd { display: none; }
#empty { color: var(--dim); }
#events { font: 12px "DejaVu Sans Mono", monospace; }
#events td { white-space: nowrap; max-width: 520px; overflow: hidden; text-overflow: ellipsis; }
#events tr.bad td { color: var(--bad); }
#filters { display: flex; gap: 16px; margin-bottom: 6px; }
#replies { margin: 0; padding-left: 20px; font: 12px "DejaVu Sans Mono", monospace; }
#replies .ok { color: var(--ok); }
#replies .error { color: var(--bad); }
`;

const JS = `'use strict';
(() => {
  const MAX_EVENTS = 500;
  const BAD = /(failed|failure|rejected|corrupted|dropped)$/;
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  if (location.hash) history.replaceState(null, '', location.pathname);
  const $ = (id) => document.getElementById(id);
  const devices = new Map();
  const events = [];
  const seen = { device: new Set(), type: new Set(), operation: new Set() };
  const pending = new Map();
  let ws;
  let nextId = 1;

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function time(iso) {
    if (!iso) return '–';
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toISOString().replace('T', ' ').slice(0, 19);
  }
  function conn(text, ok) {
    $('conn').textContent = text;
    $('conn').className = ok ? '' : 'bad';
  }

  function renderDevices() {
    const body = $('devices').tBodies[0];
    body.replaceChildren();
    let online = 0;
    for (const view of [...devices.values()].sort((a, b) => a.device.localeCompare(b.device))) {
      if (view.online) online++;
      const row = el('tr');
      row.dataset.device = view.device;
      row.append(el('td', view.device, 'device'));
      const status = el('td');
      const state = view.online === null ? 'unknown' : view.online ? 'online' : 'offline';
      status.append(el('span', state, 'badge ' + state));
      row.append(status);
      const last = view.lastResync;
      const lastCell = el('td', last ? time(last.at) + ' ' + last.outcome + (last.error ? ' (' + last.error + ')' : '') : '–', 'last' + (last ? ' outcome-' + last.outcome : ''));
      row.append(lastCell);
      row.append(el('td', view.resyncRunning ? 'running' : time(view.nextResync), 'next'));
      row.append(el('td', view.em === null ? '–' : view.em || 'off', 'em'));
      const prompts = el('td', null, 'prompts');
      for (const p of view.prompts) prompts.append(el('div', p.kind + (p.operation ? ' · ' + p.operation : '') + (p.realm ? ' · ' + p.realm : ''), 'prompt'));
      if (view.prompts.length === 0) prompts.textContent = '–';
      row.append(prompts);
      row.append(el('td', view.tlsRejections, 'num tls' + (view.tlsRejections ? ' hot' : '')));
      row.append(el('td', view.authFailures, 'num auth' + (view.authFailures ? ' hot' : '')));
      const actions = el('td', null, 'cmd');
      for (const name of ['resync', 'backup', 'restore']) {
        const button = el('button', name);
        button.type = 'button';
        button.dataset.command = name;
        button.addEventListener('click', () => send(view.device, name));
        actions.append(button);
      }
      row.append(actions);
      body.append(row);
    }
    $('empty').hidden = devices.size > 0;
    $('summary').textContent = devices.size + ' phones · ' + online + ' online · ' + (devices.size - online) + ' offline';
  }

  function remember(kind, value) {
    if (!value || seen[kind].has(value)) return;
    seen[kind].add(value);
    const select = $('f-' + kind);
    const option = el('option', value);
    option.value = value;
    select.append(option);
  }

  function details(event) {
    const skip = new Set(['v', 'seq', 'ts', 'device', 'type', 'operation']);
    return Object.keys(event).filter((k) => !skip.has(k)).map((k) => k + '=' + (typeof event[k] === 'string' ? event[k] : JSON.stringify(event[k]))).join(' ');
  }

  function renderEvents() {
    const want = { device: $('f-device').value, type: $('f-type').value, operation: $('f-operation').value };
    const body = $('events').tBodies[0];
    body.replaceChildren();
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if ((want.device && e.device !== want.device) || (want.type && e.type !== want.type) || (want.operation && e.operation !== want.operation)) continue;
      const row = el('tr', null, BAD.test(e.type) ? 'bad' : '');
      row.append(el('td', time(e.ts)), el('td', e.device), el('td', e.seq), el('td', e.type, 'type'), el('td', e.operation || ''), el('td', details(e)));
      body.append(row);
    }
  }

  function addEvent(event) {
    events.push(event);
    if (events.length > MAX_EVENTS) events.shift();
    remember('device', event.device);
    remember('type', event.type);
    if (typeof event.operation === 'string') remember('operation', event.operation);
  }

  function reply(text, cls, transaction) {
    const item = el('li', text, cls);
    if (transaction) item.dataset.transaction = transaction;
    $('replies').prepend(item);
  }

  function send(device, name) {
    const id = nextId++;
    pending.set(id, { device, name });
    ws.send(JSON.stringify({ type: 'command', id, device, name }));
  }

  function onMessage(message) {
    switch (message.type) {
      case 'hello':
        document.body.classList.toggle('commands', message.commands === true);
        conn(message.broker.connected ? 'broker connected' : 'broker unreachable', message.broker.connected);
        devices.clear();
        for (const view of message.devices) devices.set(view.device, view);
        events.length = 0;
        for (const event of message.events) addEvent(event);
        renderDevices();
        renderEvents();
        break;
      case 'broker':
        conn(message.connected ? 'broker connected' : 'broker unreachable', message.connected);
        break;
      case 'device':
        devices.set(message.view.device, message.view);
        renderDevices();
        break;
      case 'event':
        devices.set(message.view.device, message.view);
        addEvent(message.event);
        renderDevices();
        renderEvents();
        break;
      case 'sent':
        pending.delete(message.id);
        reply(time(new Date().toISOString()) + ' ' + message.device + ' cmd/' + message.name + ' sent, transaction ' + message.transaction, 'sent', message.transaction);
        break;
      case 'reply':
        reply(time(new Date().toISOString()) + ' ' + message.device + ' cmd/' + message.name + '/result transaction ' + (message.transaction === null ? '–' : message.transaction) + ' ' + message.status + (message.error ? ' ' + message.error.code + ': ' + message.error.message : ''), 'reply ' + message.status, message.transaction);
        break;
      case 'error':
        pending.delete(message.id);
        reply(message.code + ': ' + message.message, 'error');
        break;
    }
  }

  function connect() {
    ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws');
    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'auth', token })));
    ws.addEventListener('message', (e) => {
      try { onMessage(JSON.parse(e.data)); } catch (error) { console.error(error); }
    });
    ws.addEventListener('close', (e) => {
      if (e.code === 4003) return conn('refused: open the URL the dashboard printed', false);
      conn('dashboard unreachable; retrying', false);
      setTimeout(connect, 2000);
    });
  }

  for (const id of ['f-device', 'f-type', 'f-operation']) $(id).addEventListener('change', renderEvents);
  connect();
})();
`;

export const DASHBOARD_FILES: Readonly<Record<string, PageFile>> = {
  '/': { type: 'text/html; charset=utf-8', body: HTML },
  '/index.html': { type: 'text/html; charset=utf-8', body: HTML },
  '/app.css': { type: 'text/css; charset=utf-8', body: CSS },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: JS },
};
