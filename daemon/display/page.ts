/**
 * The display page (SPEC §8): plain HTML, CSS and JavaScript served by the daemon at `/`,
 * no build step. Kept as strings so the compiled daemon carries them without a copy step.
 * The script renders the `screen` messages of the feed and sends `auth` first.
 */
export interface PageFile {
  readonly type: string;
  readonly body: string;
}

/**
 * The HTML of a built-in page (this one, the fleet view): its script and style are files of
 * their own, because the CSP allows no inline code.
 */
export function pageHtml(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
${body}</body>
</html>
`;
}

const HTML = pageHtml(
  'provisiond display',
  `<main class="phone">
  <p class="brand">PROVISIOND</p>
  <section class="screen" aria-label="phone screen">
    <header class="statusbar"><span id="title">provisiond</span><span id="conn">connecting</span></header>
    <div class="body">
      <ul id="lines"></ul>
      <form id="prompt" hidden autocomplete="off"></form>
      <div id="message" role="status"></div>
    </div>
    <nav class="softkeys" id="softkeys" aria-label="softkeys"></nav>
  </section>
  <div class="keys" aria-hidden="true"><i></i><i></i><i></i><i></i></div>
  <section class="events" aria-label="recent events">
    <h2>Recent events</h2>
    <ol id="events"></ol>
  </section>
</main>
`,
);

const CSS = `/* provisiond display page: a desk phone in the browser. */
:root { --lcd: #dfe9d8; --ink: #1d2a1d; --dim: #5b6b58; --bezel: #23262b; --key: #3a3f47; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  background: #9aa3ad; font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
.phone { background: var(--bezel); border-radius: 28px; padding: 26px 26px 20px; width: 420px;
  box-shadow: 0 14px 40px rgba(0,0,0,.45), inset 0 2px 0 rgba(255,255,255,.08); }
.brand { color: #aab; font-size: 11px; letter-spacing: .25em; text-align: center; margin: 0 0 10px; }
.screen { background: var(--lcd); color: var(--ink); border-radius: 6px; height: 270px; display: flex;
  flex-direction: column; box-shadow: inset 0 0 0 3px #111, inset 0 3px 10px rgba(0,0,0,.35); overflow: hidden; }
.statusbar { display: flex; justify-content: space-between; background: var(--ink); color: var(--lcd);
  padding: 4px 10px; font: bold 14px "DejaVu Sans Mono", monospace; }
#conn { font-weight: normal; }
#conn.bad { color: #f3b0a0; }
.body { flex: 1; padding: 8px 12px; overflow: hidden; font-size: 15px; }
#lines { list-style: none; margin: 0 0 6px; padding: 0; }
#lines li { padding: 2px 0; }
#prompt label { display: flex; align-items: center; gap: 8px; margin: 4px 0; }
#prompt span { width: 80px; color: var(--dim); font-size: 13px; }
#prompt input { flex: 1; font: 15px "DejaVu Sans Mono", monospace; background: #f4f8f1; border: 1px solid var(--dim);
  padding: 3px 5px; color: var(--ink); }
#message { color: #8a1f11; font-size: 13px; min-height: 1em; }
.softkeys { display: grid; grid-template-columns: repeat(4, 1fr); border-top: 2px solid var(--ink); }
.softkeys button { font: bold 13px "DejaVu Sans", sans-serif; background: transparent; color: var(--ink); border: 0;
  border-right: 1px solid var(--dim); padding: 6px 0; cursor: pointer; }
.softkeys button:last-child { border-right: 0; }
.softkeys button:disabled { cursor: default; }
.softkeys button:not(:disabled):hover { background: rgba(29,42,29,.12); }
.keys { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin: 10px 6px 0; }
.keys i { display: block; height: 12px; border-radius: 6px; background: var(--key); }
.events { margin-top: 16px; color: #cfd3d8; font-size: 12px; }
.events h2 { font-size: 11px; letter-spacing: .15em; text-transform: uppercase; margin: 0 0 6px; color: #8d939b; }
#events { list-style: none; margin: 0; padding: 0; max-height: 150px; overflow: auto; font-family: "DejaVu Sans Mono", monospace; }
#events li { padding: 1px 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
#events li.bad { color: #f3b0a0; }
#events time { color: #8d939b; }
`;

const SCRIPT = `// provisiond display page: renders the phone screen from the local feed (SPEC §8).
// Plain script, no build step. The token comes from the URL fragment (#token=…, never sent
// to a server) or the query (?token=…); it is moved to sessionStorage and removed from the
// address bar so it does not stay in the history.
(function () {
  'use strict';
  var params = new URLSearchParams(location.hash.slice(1));
  var query = new URLSearchParams(location.search);
  var token = params.get('token') || query.get('token') || sessionStorage.getItem('provisiond.token') || '';
  if (token) sessionStorage.setItem('provisiond.token', token);
  if (params.get('token') || query.get('token')) history.replaceState(null, '', location.pathname);

  var $ = function (id) { return document.getElementById(id); };
  var socket = null;
  var screen = null;
  var renderedPromptId = null;
  var nextId = 1;
  var MAX_EVENTS = 8;

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function setConn(text, bad) {
    var conn = $('conn');
    conn.textContent = text;
    conn.className = bad ? 'bad' : '';
  }

  function connect() {
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(scheme + '//' + location.host + '/ws');
    setConn('connecting', false);
    socket.onopen = function () { send({ type: 'auth', token: token }); };
    socket.onmessage = function (frame) { receive(JSON.parse(frame.data)); };
    socket.onclose = function (close) {
      if (close.code === 4401) { setConn('wrong token', true); return; }
      setConn('offline', true);
      setTimeout(connect, 2000);
    };
  }

  function receive(message) {
    if (message.type === 'hello') {
      setConn('online', false);
      send({ type: 'command', id: 'events', name: 'events', args: { limit: MAX_EVENTS } });
    } else if (message.type === 'screen') {
      render(message.screen);
    } else if (message.type === 'event') {
      addEvent(message.event, true);
    } else if (message.type === 'result') {
      if (message.id === 'events' && message.ok) {
        $('events').textContent = '';
        message.data.forEach(function (event) { addEvent(event, true); });
      } else if (!message.ok) {
        showMessage(message.error.message);
      }
    }
  }

  function showMessage(text) {
    $('message').textContent = text;
  }

  function render(next) {
    screen = next;
    $('title').textContent = next.title;
    var lines = $('lines');
    lines.textContent = '';
    next.lines.forEach(function (line) {
      var li = document.createElement('li');
      li.textContent = line;
      lines.appendChild(li);
    });
    renderPrompt(next.prompt);
    renderSoftkeys(next.softkeys);
  }

  function renderPrompt(prompt) {
    var form = $('prompt');
    if (!prompt) {
      form.hidden = true;
      form.textContent = '';
      renderedPromptId = null;
      return;
    }
    // Re-rendering the same prompt would wipe what the user is typing.
    if (prompt.id === renderedPromptId) return;
    renderedPromptId = prompt.id;
    showMessage('');
    form.textContent = '';
    prompt.fields.forEach(function (field, index) {
      var label = document.createElement('label');
      var span = document.createElement('span');
      span.textContent = field.label;
      var input = document.createElement('input');
      input.name = field.name;
      input.type = field.secret ? 'password' : 'text';
      input.autocomplete = 'off';
      input.spellcheck = false;
      if (field.value) input.value = field.value;
      label.appendChild(span);
      label.appendChild(input);
      form.appendChild(label);
      if (index === 0) setTimeout(function () { input.focus(); }, 0);
    });
    form.hidden = false;
  }

  function renderSoftkeys(keys) {
    var bar = $('softkeys');
    bar.textContent = '';
    for (var i = 0; i < 4; i++) {
      var button = document.createElement('button');
      button.type = 'button';
      var key = keys[i];
      if (key) {
        button.textContent = key;
        button.dataset.key = key;
        button.addEventListener('click', press);
      } else {
        button.disabled = true;
      }
      bar.appendChild(button);
    }
  }

  function press(click) {
    var key = click.currentTarget.dataset.key;
    var prompt = screen && screen.prompt;
    if (prompt && key === screen.softkeys[0]) return submit();
    if (prompt && key === screen.softkeys[1]) return send({ type: 'cancel', id: nextId++, promptId: prompt.id });
    send({ type: 'softkey', id: nextId++, key: key });
  }

  function submit() {
    var form = $('prompt');
    var prompt = screen && screen.prompt;
    if (!prompt) return;
    var user = form.elements.namedItem('username');
    var password = form.elements.namedItem('password');
    send({
      type: 'answer',
      id: nextId++,
      promptId: prompt.id,
      username: user ? user.value : '',
      password: password ? password.value : '',
    });
  }

  function describe(event) {
    var extra = [event.kind, event.outcome, event.reason, event.operation].filter(Boolean).join(' ');
    return event.type + (extra ? ' ' + extra : '');
  }

  function addEvent(event, newest) {
    var list = $('events');
    var li = document.createElement('li');
    var time = document.createElement('time');
    time.textContent = String(event.ts).slice(11, 19);
    li.appendChild(time);
    li.appendChild(document.createTextNode(' ' + describe(event)));
    if (/failure|failed|rejected|corrupted|dropped/.test(event.type)) li.className = 'bad';
    if (newest) list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_EVENTS) list.removeChild(list.lastChild);
  }

  // Enter in any field submits (a form without a submit button has no implicit submission).
  $('prompt').addEventListener('keydown', function (e) {
    if (e.key === 'Enter') { e.preventDefault(); submit(); }
  });
  $('prompt').addEventListener('submit', function (e) { e.preventDefault(); });
  connect();
})();
`;

export const PAGE_FILES: Readonly<Record<string, PageFile>> = {
  '/': { type: 'text/html; charset=utf-8', body: HTML },
  '/app.css': { type: 'text/css; charset=utf-8', body: CSS },
  '/app.js': { type: 'text/javascript; charset=utf-8', body: SCRIPT },
};
