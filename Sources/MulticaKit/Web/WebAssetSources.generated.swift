// Generated from Sources/MulticaKit/Web/Assets by WebAssetSourceTests; do not edit.
// Regenerate: MULTICA_REGENERATE=1 swift test --filter WebAssetSourceTests

/// The web viewer's files, embedded in the binary (served by `WebAssets`).
enum WebAssetSources {
    static let files: [(path: String, contents: String)] = [
        (
            "api.js",
            #"""
// REST client: every call carries the bearer token and, when given, the workspace
// (X-Workspace-ID). Never throws for an HTTP status: callers get {status, ok, data}.
// A network failure resolves to status 0. A 401 also reaches `onUnauthorized`.

export class Api {
  constructor(token, onUnauthorized) {
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  async request(method, path, { body, workspace, ifMatch } = {}) {
    const headers = { Authorization: `Bearer ${this.token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (workspace) headers['X-Workspace-ID'] = workspace;
    if (ifMatch !== undefined && ifMatch !== null) headers['If-Match'] = `"${ifMatch}"`;
    let response;
    try {
      response = await fetch(path, {
        method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      return { status: 0, ok: false, data: { error: String(error) } };
    }
    let data = null;
    try { data = await response.json(); } catch { data = null; }
    if (response.status === 401 && this.onUnauthorized) this.onUnauthorized(data);
    return { status: response.status, ok: response.ok, data };
  }

  get(path, options) { return this.request('GET', path, options); }
  post(path, body, options = {}) { return this.request('POST', path, { ...options, body }); }
  put(path, body, options = {}) { return this.request('PUT', path, { ...options, body }); }
}

/// The claims of a JWT, read without verifying it (the server does that): for display only.
export function tokenClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(part + '='.repeat((4 - (part.length % 4)) % 4));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

"""#
        ),
        (
            "app.js",
            #"""
// Entry point: sign-in (the `#token=` fragment of `multica open`, or a pasted token,
// kept in sessionStorage), the workspace picker, and the wiring of store, views,
// REST actions and the live connection.

import { Api, tokenClaims } from './api.js';
import { Store } from './store.js';
import { Views } from './views.js';
import { LiveConnection } from './live.js';

const TOKEN_KEY = 'multica.token';
const WORKSPACE_KEY = 'multica.workspace';
const $ = (id) => document.getElementById(id);

let session = null; // { api, userId, store, views, live, workspace }
let countdown = null;

function show(section) {
  for (const id of ['sign-in', 'no-workspace', 'app']) $(id).hidden = id !== section;
}

function banner(message, kind = 'error') {
  const node = $('banner');
  node.textContent = message || '';
  node.dataset.kind = kind;
  node.hidden = !message;
}

function setConnection(state, detail = {}) {
  const box = $('connection');
  const text = $('connection-text');
  box.dataset.state = state;
  // When the next attempt is due (ms since the epoch), for scripts and tests that
  // must act while the page is known not to reconnect.
  if (state === 'reconnecting') box.dataset.retryAt = String(detail.at);
  else delete box.dataset.retryAt;
  clearInterval(countdown);
  $('retry').hidden = state !== 'reconnecting' && state !== 'offline';
  const render = () => {
    switch (state) {
      case 'live': text.textContent = 'live'; break;
      case 'connecting': text.textContent = 'connecting…'; break;
      case 'reconnecting': {
        const seconds = Math.max(0, Math.ceil((detail.at - Date.now()) / 1000));
        text.textContent = `reconnecting in ${seconds} s`;
        break;
      }
      case 'expired': text.textContent = 'offline: token expired'; break;
      case 'revoked': text.textContent = 'offline: access revoked'; break;
      default: text.textContent = 'offline';
    }
  };
  render();
  if (state === 'reconnecting') countdown = setInterval(render, 250);
}

function signOut(reason) {
  if (session?.live) session.live.stop();
  session = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $('sign-out').hidden = true;
  $('workspace-picker').hidden = true;
  $('who').textContent = '';
  $('sign-in-reason').textContent = reason
    || 'Paste a token, or run multica open, which opens this page signed in.';
  $('token-input').value = '';
  show('sign-in');
}

function tokenExpired() {
  setConnection('expired');
  signOut('Your token expired or is no longer valid: paste a new one (multica open prints one).');
}

/// A token from the fragment wins over a stored one; the fragment is wiped at once.
function takeFragment() {
  if (!location.hash.includes('token=')) return;
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  const workspace = fragment.get('workspace');
  history.replaceState(null, '', location.pathname + location.search);
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  if (workspace) sessionStorage.setItem(WORKSPACE_KEY, workspace);
}

async function start(token) {
  const claims = tokenClaims(token);
  const userId = claims.sub || '';
  let unauthorized = false;
  const api = new Api(token, () => { if (!unauthorized) { unauthorized = true; tokenExpired(); } });
  const store = new Store(userId);
  session = { api, userId, store, token, live: null, workspace: null };
  session.views = new Views(store, actions);
  $('who').textContent = claims.name || claims.email || userId;
  $('sign-out').hidden = false;
  const result = await api.get('/api/workspaces');
  if (unauthorized) return;
  if (!result.ok) { banner(`Cannot list workspaces: ${result.data?.error ?? `HTTP ${result.status}`}`); return; }
  const workspaces = result.data || [];
  const picker = $('workspace-picker');
  picker.replaceChildren(...workspaces.map((w) => {
    const option = document.createElement('option');
    option.value = w.id;
    option.textContent = w.name;
    return option;
  }));
  picker.hidden = workspaces.length === 0;
  if (workspaces.length === 0) { show('no-workspace'); setConnection('offline'); return; }
  const wanted = sessionStorage.getItem(WORKSPACE_KEY);
  const chosen = workspaces.find((w) => w.id === wanted || w.slug === wanted) || workspaces[0];
  picker.value = chosen.id;
  openWorkspace(chosen);
  picker.onchange = () => openWorkspace(workspaces.find((w) => w.id === picker.value));
}

function openWorkspace(workspace) {
  if (!session || !workspace) return;
  if (session.live) session.live.stop();
  banner('');
  sessionStorage.setItem(WORKSPACE_KEY, workspace.id);
  session.workspace = workspace.id;
  session.store.reset();
  session.store.workspace = workspace;
  document.title = `${workspace.name} · multica`;
  show('app');
  const live = new LiveConnection({
    token: session.token, workspace: workspace.id, store: session.store,
    refetch: () => refetch(workspace.id),
    onState: (state, detail) => {
      if (live !== session?.live) return;
      setConnection(state, detail);
      if (state === 'revoked') banner('Access revoked: you are no longer a member of this workspace.');
      if (state === 'expired') tokenExpired();
    },
  });
  session.live = live;
  live.start();
}

/// The REST snapshot of the workspace: issues, agents, the caller's inbox, and each
/// issue's comments (for the counts). Returns false when any read failed.
async function refetch(workspace) {
  const { api, store } = session;
  const query = `workspace_id=${encodeURIComponent(workspace)}`;
  const [issues, agents, inbox] = await Promise.all([
    api.get(`/api/issues?${query}`), api.get(`/api/agents?${query}`), api.get(`/api/inbox?${query}`),
  ]);
  if (!issues.ok || !agents.ok || !inbox.ok) return false;
  const comments = [];
  const pending = [...issues.data];
  let failed = false;
  const worker = async () => {
    for (let issue = pending.shift(); issue; issue = pending.shift()) {
      const list = await api.get(`/api/issues/${encodeURIComponent(issue.id)}/comments`);
      if (list.ok) comments.push([issue.id, list.data]); else if (list.status !== 404) failed = true;
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  if (failed || session?.store !== store) return false;
  store.loadSnapshot({ issues: issues.data, agents: agents.data, inbox: inbox.data, comments });
  return true;
}

const actions = {
  async move(id, status) {
    const { api, store, views } = session;
    const issue = store.issues.get(id);
    if (!issue || issue.status === status) return;
    const result = await api.put(`/api/issues/${encodeURIComponent(id)}`, { status }, { ifMatch: issue.version });
    if (result.ok) {
      views.setConflict(id, null);
      store.put('issues', result.data);
    } else if (result.status === 412 && result.data?.current) {
      const current = result.data.current;
      store.put('issues', current, true);
      views.setConflict(id, `Changed meanwhile: now “${current.title}” in ${current.status.replace(/_/g, ' ')}`
        + (Number.isInteger(current.version) ? ` (version ${current.version})` : '') + '. Move it again to apply.');
    } else {
      views.renderBoard();
      banner(`Move failed: ${result.data?.error ?? `HTTP ${result.status}`}`);
    }
  },
  async markRead(id) {
    const result = await session.api.post(`/api/inbox/${encodeURIComponent(id)}/read`);
    if (result.ok) session.store.put('inbox', result.data); else banner(`Mark read failed: ${result.data?.error ?? result.status}`);
  },
  async archive(id) {
    const result = await session.api.post(`/api/inbox/${encodeURIComponent(id)}/archive`);
    if (result.ok) session.store.put('inbox', { ...result.data, archived: true });
    else banner(`Archive failed: ${result.data?.error ?? result.status}`);
  },
};

function wire() {
  $('sign-in-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = $('token-input').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    banner('');
    start(token);
  });
  $('sign-out').addEventListener('click', () => { setConnection('offline'); signOut(); });
  $('retry').addEventListener('click', () => session?.live?.retryNow());
  $('new-issue').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('new-issue-title');
    const title = input.value.trim();
    if (!title || !session?.workspace) return;
    const result = await session.api.post('/api/issues', { title, workspace_id: session.workspace });
    if (result.ok) { input.value = ''; session.store.put('issues', result.data); } else banner(`Create failed: ${result.data?.error ?? result.status}`);
  });
}

function boot() {
  takeFragment();
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (session?.live) session.live.stop();
  session = null;
  if (token) start(token); else { setConnection('offline'); signOut(); }
}

wire();
boot();
// `multica open` into a tab that already shows the page changes only the fragment.
addEventListener('hashchange', () => { if (location.hash.includes('token=')) boot(); });

"""#
        ),
        (
            "index.html",
            #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>multica</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ASSETS}}/style.css">
<script type="module" src="{{ASSETS}}/app.js"></script>
</head>
<body>
<header id="top">
  <h1>multica</h1>
  <select id="workspace-picker" aria-label="Workspace" hidden></select>
  <span id="who"></span>
  <span class="spacer"></span>
  <div id="connection" data-state="offline" role="status" aria-live="polite">
    <span class="dot"></span><span id="connection-text">offline</span>
    <button id="retry" type="button" hidden>Retry now</button>
  </div>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<div id="banner" role="alert" hidden></div>

<section id="sign-in" hidden>
  <h2>Sign in</h2>
  <p id="sign-in-reason">Paste a token, or run <code>multica open</code>, which opens this page signed in.</p>
  <form id="sign-in-form">
    <textarea id="token-input" rows="4" spellcheck="false" autocomplete="off"
      placeholder="eyJhbGciOiJIUzI1NiIs… (multica token mint --user ID -q)"></textarea>
    <button type="submit">Sign in</button>
  </form>
</section>

<section id="no-workspace" hidden>
  <h2>No workspace</h2>
  <p>You are not a member of any workspace yet. Create one with <code>multica workspace create NAME</code>.</p>
</section>

<main id="app" hidden>
  <section id="board-pane">
    <form id="new-issue">
      <input id="new-issue-title" maxlength="500" placeholder="New issue title" autocomplete="off" required>
      <button type="submit">Create issue</button>
    </form>
    <div id="board"></div>
  </section>
  <aside id="side">
    <section id="inbox-pane">
      <h2>Inbox <span id="inbox-count" class="badge"></span></h2>
      <ul id="inbox"></ul>
      <p class="empty" id="inbox-empty">Nothing for you.</p>
    </section>
    <section id="agents-pane">
      <h2>Agents</h2>
      <ul id="agents"></ul>
      <p class="empty" id="agents-empty">No agents.</p>
    </section>
    <section id="log-pane">
      <h2>Events <select id="log-filter" aria-label="Event type filter"><option value="">all types</option></select></h2>
      <ol id="log" reversed></ol>
    </section>
  </aside>
</main>
</body>
</html>

"""#
        ),
        (
            "live.js",
            #"""
// The workspace's event stream (SPEC §7/§8). One LiveConnection per signed-in
// workspace; `stop()` ends it for good.
//
// The token travels only in the subprotocol list (`multica.v1, bearer.<jwt>`), never in
// a URL. After any drop it resumes with `since=<last applied seq>`, after a backoff of
// 0.5 s doubling to 30 s, with jitter. A snapshot is fetched from REST on the first
// connect, when the server answers `recovered:false`, and after a 4008 (slow consumer);
// events that arrive meanwhile are queued and applied after it. 4001 (token expired)
// and 4003 (membership revoked) stop the connection. A connection refused before it
// opened is probed with a plain GET /ws, which answers the upgrade's 401/403.
// A socket that shows no sign of life for 45 s (a silent drop) is closed and resumed.
//
// States reported to `onState(state, detail)`: connecting, live, reconnecting
// ({at: ms timestamp of the next attempt}), offline (browser offline), expired, revoked.

export const SUBPROTOCOL = 'multica.v1';
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const PING_EVERY_MS = 20000;
const SILENCE_LIMIT_MS = 45000;

export function backoffDelay(attempt) {
  const base = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(Math.min(MAX_DELAY_MS, base * (0.75 + Math.random() * 0.5)));
}

export class LiveConnection {
  constructor({ token, workspace, store, refetch, onState, onFrame }) {
    Object.assign(this, { token, workspace, store, refetch, onState, onFrame });
    this.socket = null;
    this.attempt = 0;
    this.timer = null;
    this.stopped = false;
    this.needsSnapshot = true;
    this.snapshotting = false;
    this.queue = [];
    this.lastFrameAt = 0;
    this.heartbeat = null;
    this.onOnline = () => { if (this.socket === null && !this.stopped) this.retryNow(); };
    this.onOffline = () => { if (this.socket === null && !this.stopped) this.setState('offline'); };
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
  }

  start() { this.connect(); }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    if (this.socket) { const s = this.socket; this.socket = null; s.close(1000); }
  }

  retryNow() {
    if (this.stopped || this.socket) return;
    clearTimeout(this.timer);
    this.connect();
  }

  setState(state, detail = {}) {
    this.state = state;
    this.onState(state, detail);
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const query = new URLSearchParams({ workspace_id: this.workspace });
    // Resume from the last applied event, also when a snapshot follows (4008): nothing is lost.
    if (this.store.lastSeq > 0) query.set('since', String(this.store.lastSeq));
    return `${scheme}//${location.host}/ws?${query}`;
  }

  connect() {
    if (this.stopped) return;
    if (navigator.onLine === false) { this.setState('offline'); return; }
    this.setState('connecting');
    let socket;
    try {
      socket = new WebSocket(this.url(), [SUBPROTOCOL, `bearer.${this.token}`]);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => { opened = true; this.lastFrameAt = Date.now(); this.startHeartbeat(socket); };
    socket.onmessage = (message) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = Date.now();
      this.onMessage(message.data);
    };
    socket.onclose = (close) => {
      if (socket !== this.socket) return;
      this.socket = null;
      clearInterval(this.heartbeat);
      this.onClose(close.code, opened);
    };
  }

  startHeartbeat(socket) {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (socket !== this.socket) return;
      if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) { socket.close(4000); this.socket = null; this.onClose(1006, true); return; }
      socket.send('{"type":"ping"}');
    }, PING_EVERY_MS);
  }

  onMessage(data) {
    let frame;
    try { frame = JSON.parse(data); } catch { return; }
    if (this.onFrame) this.onFrame(frame);
    if (frame.type === 'hello') { this.onHello(frame.payload || {}); return; }
    if (frame.type === 'pong' || frame.type === 'ack' || frame.type === 'error') return;
    if (this.snapshotting) this.queue.push(frame);
    else this.store.apply(frame);
  }

  async onHello(hello) {
    this.attempt = 0;
    if (hello.recovered === false) this.needsSnapshot = true;
    if (!this.needsSnapshot) { this.setState('live'); return; }
    this.needsSnapshot = false;
    this.snapshotting = true;
    this.queue = [];
    const socket = this.socket;
    const ok = await this.refetch();
    if (socket !== this.socket || this.stopped) { this.snapshotting = false; return; }
    if (!ok) {
      // The snapshot failed (server gone mid-way): start over on the next connect.
      this.snapshotting = false;
      this.needsSnapshot = true;
      socket.close(4000);
      return;
    }
    // The snapshot holds at least every event up to head_seq (it was read after the
    // hello): later ones, queued meanwhile, are applied on top.
    this.store.lastSeq = hello.head_seq ?? 0;
    this.snapshotting = false;
    const queued = this.queue;
    this.queue = [];
    for (const frame of queued) this.store.apply(frame);
    this.setState('live');
  }

  async onClose(code, opened) {
    if (this.stopped) return;
    if (this.snapshotting) { this.snapshotting = false; this.needsSnapshot = true; }
    if (code === 4001) { this.stopped = true; this.setState('expired'); return; }
    if (code === 4003) { this.stopped = true; this.setState('revoked'); return; }
    if (code === 4008) this.needsSnapshot = true;
    if (!opened) {
      const verdict = await this.probe();
      if (verdict === 401) { this.stopped = true; this.setState('expired'); return; }
      if (verdict === 403) { this.stopped = true; this.setState('revoked'); return; }
    }
    this.scheduleRetry();
  }

  /// Why the upgrade was refused: GET /ws without an upgrade answers the same status.
  async probe() {
    try {
      const response = await fetch(`/ws?${new URLSearchParams({ workspace_id: this.workspace })}`, {
        headers: { Authorization: `Bearer ${this.token}` }, cache: 'no-store', credentials: 'omit',
      });
      return response.status;
    } catch {
      return 0;
    }
  }

  scheduleRetry() {
    if (this.stopped) return;
    this.attempt += 1;
    const delay = backoffDelay(this.attempt);
    const at = Date.now() + delay;
    this.setState(navigator.onLine === false ? 'offline' : 'reconnecting', { at });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}

"""#
        ),
        (
            "store.js",
            #"""
// The page's one store: every object keyed by id, kept equal to what the REST API
// would return by applying the workspace's events in seq order.
//
// Idempotent: an event whose seq is not above the last applied one is ignored, and an
// object older than the stored copy (by `version`, else `updated_at`) never replaces
// it, so a REST snapshot and the events that raced with it merge in any order.
// Listeners get the set of parts that changed ('issues', 'comments', 'agents',
// 'inbox', 'log', 'workspace') once per apply.

export const STATUSES = ['backlog', 'todo', 'in_progress', 'in_review', 'done', 'blocked', 'cancelled'];
export const LOG_LIMIT = 200;

export class Store {
  constructor(userId) {
    this.userId = userId;
    this.listeners = new Set();
    this.reset();
  }

  reset() {
    this.issues = new Map();
    this.comments = new Map(); // issue id -> Set of comment ids
    this.agents = new Map();
    this.inbox = new Map();
    this.log = [];
    this.lastSeq = 0;
    this.workspace = null;
    this.emit(new Set(['issues', 'comments', 'agents', 'inbox', 'log', 'workspace']));
  }

  subscribe(listener) { this.listeners.add(listener); }

  emit(changed) {
    if (changed.size === 0) return;
    for (const listener of this.listeners) listener(changed);
  }

  /// Replaces the objects with a REST snapshot (the log is kept: it is history).
  loadSnapshot({ issues, agents, inbox, comments }) {
    this.issues = new Map(issues.map((issue) => [issue.id, issue]));
    this.agents = new Map(agents.map((agent) => [agent.id, agent]));
    this.inbox = new Map(inbox.filter((item) => !item.archived).map((item) => [item.id, item]));
    this.comments = new Map();
    for (const [issueId, list] of comments) this.comments.set(issueId, new Set(list.map((c) => c.id)));
    this.emit(new Set(['issues', 'comments', 'agents', 'inbox']));
  }

  commentCount(issueId) { return this.comments.get(issueId)?.size ?? 0; }

  /// Applies one event frame; returns false when it was a duplicate (seq ≤ last).
  apply(event) {
    if (typeof event.seq === 'number') {
      if (event.seq <= this.lastSeq) return false;
      this.lastSeq = event.seq;
    }
    const changed = new Set(['log']);
    this.log.push(event);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
    const p = event.payload || {};
    switch (event.type) {
      case 'issue:created':
      case 'issue:updated':
        if (p.issue && this.upsert(this.issues, p.issue)) changed.add('issues');
        break;
      case 'issue:deleted':
        if (this.issues.delete(p.issue_id)) changed.add('issues');
        this.comments.delete(p.issue_id);
        break;
      case 'comment:created':
      case 'comment:updated':
        if (p.comment) {
          const set = this.comments.get(p.comment.issue_id) ?? new Set();
          set.add(p.comment.id);
          this.comments.set(p.comment.issue_id, set);
          changed.add('comments');
        }
        break;
      case 'comment:deleted':
        if (this.comments.get(p.issue_id)?.delete(p.comment_id)) changed.add('comments');
        break;
      case 'agent:created':
      case 'agent:status':
        if (p.agent && this.upsert(this.agents, p.agent)) changed.add('agents');
        break;
      case 'agent:deleted':
        if (this.agents.delete(p.agent_id)) changed.add('agents');
        break;
      case 'inbox:new':
        if (p.item && p.item.recipient_id === this.userId && !p.item.archived) {
          this.inbox.set(p.item.id, p.item);
          changed.add('inbox');
        }
        break;
      case 'inbox:read': {
        const item = this.inbox.get(p.item_id);
        if (item) { this.inbox.set(item.id, { ...item, read: true }); changed.add('inbox'); }
        break;
      }
      case 'inbox:archived':
        if (this.inbox.delete(p.item_id)) changed.add('inbox');
        break;
      case 'workspace:updated':
        if (p.workspace) { this.workspace = p.workspace; changed.add('workspace'); }
        break;
      default:
        break;
    }
    this.emit(changed);
    return true;
  }

  /// Stores an object answered by a write (PUT, POST): same newer-wins rule. `force`
  /// takes it whatever its age (the `current` of a 412 is the truth).
  put(kind, object, force = false) {
    const map = this[kind];
    if (kind === 'inbox' && object.archived) {
      if (map.delete(object.id)) this.emit(new Set([kind]));
      return;
    }
    if (force) map.set(object.id, object);
    else if (!this.upsert(map, object)) return;
    this.emit(new Set([kind]));
  }

  upsert(map, object) {
    const current = map.get(object.id);
    if (current && isOlder(object, current)) return false;
    map.set(object.id, object);
    return true;
  }
}

/// True when `a` is an older copy than `b` of the same object.
export function isOlder(a, b) {
  if (Number.isInteger(a.version) && Number.isInteger(b.version)) return a.version < b.version;
  const ta = Date.parse(a.updated_at), tb = Date.parse(b.updated_at);
  return Number.isFinite(ta) && Number.isFinite(tb) && ta < tb;
}

"""#
        ),
        (
            "style.css",
            #"""
:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2330; --muted: #6b7385; --line: #e2e5ea;
  --accent: #3c64f4; --ok: #1f9d55; --warn: #d98c00; --bad: #d64545;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
[hidden] { display: none !important; }
code { background: #eef0f4; padding: 0 .3em; border-radius: 3px; }
button, select, input, textarea { font: inherit; }
button { border: 1px solid var(--line); background: var(--panel); border-radius: 6px; padding: .25em .7em; cursor: pointer; }
button:hover { border-color: var(--accent); }

#top { display: flex; align-items: center; gap: .8em; padding: .6em 1em; background: var(--panel); border-bottom: 1px solid var(--line); }
#top h1 { font-size: 1.1em; margin: 0; letter-spacing: .02em; }
#who { color: var(--muted); }
.spacer { flex: 1; }
#connection { display: flex; align-items: center; gap: .4em; padding: .2em .7em; border-radius: 999px; background: #eef0f4; }
#connection .dot { width: .6em; height: .6em; border-radius: 50%; background: var(--muted); }
#connection[data-state="live"] .dot { background: var(--ok); }
#connection[data-state="connecting"] .dot, #connection[data-state="reconnecting"] .dot { background: var(--warn); }
#connection[data-state="expired"] .dot, #connection[data-state="revoked"] .dot { background: var(--bad); }
#connection button { padding: 0 .5em; }

#banner { margin: .6em 1em 0; padding: .5em .8em; border-radius: 6px; background: #fdecec; color: #8a1f1f; border: 1px solid #f3c4c4; }

#sign-in, #no-workspace { max-width: 36em; margin: 3em auto; background: var(--panel); padding: 1.2em 1.5em; border-radius: 10px; border: 1px solid var(--line); }
#token-input { width: 100%; font-family: ui-monospace, monospace; font-size: 12px; margin-bottom: .6em; }

#app { display: grid; grid-template-columns: minmax(0, 1fr) 22em; gap: 1em; padding: 1em; }
#new-issue { display: flex; gap: .5em; margin-bottom: .8em; }
#new-issue input { flex: 1; padding: .35em .6em; border: 1px solid var(--line); border-radius: 6px; }
#board { display: grid; grid-template-columns: repeat(7, minmax(9em, 1fr)); gap: .6em; overflow-x: auto; }
.column { background: #eceff3; border-radius: 8px; padding: .5em; min-height: 12em; }
.column.over { outline: 2px dashed var(--accent); }
.column h3 { margin: 0 0 .5em; font-size: .8em; text-transform: uppercase; color: var(--muted); letter-spacing: .05em; }
.column .count { float: right; }
.cards { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: .45em; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .45em .55em; cursor: grab; }
.card .title { font-weight: 600; overflow-wrap: anywhere; }
.card .meta { color: var(--muted); font-size: .8em; margin: .2em 0; }
.card[data-priority="urgent"] { border-left: 3px solid var(--bad); }
.card[data-priority="high"] { border-left: 3px solid var(--warn); }
.card .move { font-size: .8em; width: 100%; }
.card .conflict { margin-top: .3em; font-size: .8em; color: #8a5a00; background: #fff4dc; border-radius: 4px; padding: .2em .4em; }

#side { display: flex; flex-direction: column; gap: 1em; min-width: 0; }
#side section { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .6em .8em; }
#side h2 { font-size: .95em; margin: 0 0 .5em; display: flex; align-items: center; gap: .5em; }
#side ul, #side ol { list-style: none; margin: 0; padding: 0; }
.empty { color: var(--muted); margin: 0; font-size: .9em; }
.badge:not(:empty) { background: var(--accent); color: #fff; border-radius: 999px; padding: 0 .5em; font-size: .8em; }
.inbox-item { border-top: 1px solid var(--line); padding: .4em 0; }
.inbox-item:first-child { border-top: 0; }
.inbox-item.unread .title { font-weight: 600; }
.inbox-item.read { color: var(--muted); }
.inbox-item .body { font-size: .85em; color: var(--muted); }
.inbox-item .buttons { display: flex; gap: .4em; margin-top: .25em; }
.inbox-item button { font-size: .8em; }
.agent { display: flex; justify-content: space-between; padding: .2em 0; }
.status { font-size: .8em; padding: 0 .5em; border-radius: 999px; background: #eef0f4; }
.status-working { background: #e3f4ea; color: var(--ok); }
.status-error, .status-blocked { background: #fdecec; color: var(--bad); }
#log-filter { font-size: .8em; margin-left: auto; }
#log { max-height: 22em; overflow-y: auto; font-size: .8em; font-family: ui-monospace, monospace; }
.event { display: grid; grid-template-columns: 3.5em 9em minmax(0, 1fr); gap: .4em; padding: .1em 0; border-top: 1px solid #f0f1f4; }
.event .seq { color: var(--muted); text-align: right; }
.event .type { color: var(--accent); }
.event .summary { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
@media (max-width: 1100px) { #app { grid-template-columns: 1fr; } }

"""#
        ),
        (
            "views.js",
            #"""
// Rendering: the store's objects into the DOM, keyed by id so an update touches one
// element. Text only ever goes in through textContent (no HTML from data).
// User actions are reported through the `actions` callbacks given to `mount`.

import { STATUSES } from './store.js';

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const label = (status) => status.replace(/_/g, ' ');

export class Views {
  constructor(store, actions) {
    this.store = store;
    this.actions = actions;
    this.cards = new Map();
    this.conflicts = new Map(); // issue id -> message
    this.logFilter = '';
    this.logTypes = new Set();
    this.buildBoard();
    // Assigned, not added: a new sign-in's Views replaces the previous one's handler.
    $('log-filter').onchange = (e) => { this.logFilter = e.target.value; this.renderLog(true); };
    store.subscribe((changed) => this.render(changed));
  }

  buildBoard() {
    const board = $('board');
    board.replaceChildren();
    this.columns = new Map();
    for (const status of STATUSES) {
      const column = el('section', 'column');
      column.dataset.status = status;
      const head = el('h3', null, label(status));
      const count = el('span', 'count', '0');
      head.append(' ', count);
      const list = el('ul', 'cards');
      column.append(head, list);
      column.addEventListener('dragover', (e) => { e.preventDefault(); column.classList.add('over'); });
      column.addEventListener('dragleave', () => column.classList.remove('over'));
      column.addEventListener('drop', (e) => {
        e.preventDefault();
        column.classList.remove('over');
        const id = e.dataTransfer.getData('text/plain');
        if (id) this.actions.move(id, status);
      });
      board.append(column);
      this.columns.set(status, { list, count });
    }
  }

  render(changed) {
    if (changed.has('issues') || changed.has('comments')) this.renderBoard();
    if (changed.has('inbox')) this.renderInbox();
    if (changed.has('agents')) this.renderAgents();
    if (changed.has('log')) this.renderLog(false);
  }

  setConflict(issueId, message) {
    if (message) this.conflicts.set(issueId, message); else this.conflicts.delete(issueId);
    this.renderBoard();
  }

  card(issue) {
    let card = this.cards.get(issue.id);
    if (!card) {
      card = el('li', 'card');
      card.dataset.id = issue.id;
      card.draggable = true;
      card.addEventListener('dragstart', (e) => e.dataTransfer.setData('text/plain', issue.id));
      const title = el('div', 'title');
      const meta = el('div', 'meta');
      const move = el('select', 'move');
      move.setAttribute('aria-label', 'Move to');
      for (const status of STATUSES) {
        const option = el('option', null, label(status));
        option.value = status;
        move.append(option);
      }
      move.addEventListener('change', () => this.actions.move(card.dataset.id, move.value));
      const conflict = el('div', 'conflict');
      conflict.hidden = true;
      card.append(title, meta, move, conflict);
      this.cards.set(issue.id, card);
    }
    const [title, meta, move, conflict] = card.children;
    if (title.textContent !== issue.title) title.textContent = issue.title;
    const comments = this.store.commentCount(issue.id);
    const parts = [issue.priority];
    if (issue.assignee_id) parts.push(`@${issue.assignee_id}`);
    parts.push(`${comments} comment${comments === 1 ? '' : 's'}`);
    if (Number.isInteger(issue.version)) parts.push(`v${issue.version}`);
    meta.textContent = parts.join(' · ');
    card.dataset.comments = String(comments);
    card.dataset.status = issue.status;
    card.dataset.priority = issue.priority;
    if (move.value !== issue.status) move.value = issue.status;
    const message = this.conflicts.get(issue.id);
    conflict.hidden = !message;
    conflict.textContent = message || '';
    return card;
  }

  renderBoard() {
    const byStatus = new Map(STATUSES.map((s) => [s, []]));
    for (const issue of this.store.issues.values()) (byStatus.get(issue.status) ?? byStatus.get('backlog')).push(issue);
    for (const [id, card] of this.cards) if (!this.store.issues.has(id)) { card.remove(); this.cards.delete(id); }
    for (const [status, issues] of byStatus) {
      issues.sort((a, b) => (a.position - b.position) || a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
      const { list, count } = this.columns.get(status);
      count.textContent = String(issues.length);
      let previous = null;
      for (const issue of issues) {
        const card = this.card(issue);
        const expected = previous ? previous.nextSibling : list.firstChild;
        if (card !== expected || card.parentNode !== list) list.insertBefore(card, expected);
        previous = card;
      }
      while (previous ? previous.nextSibling : list.firstChild) (previous ? previous.nextSibling : list.firstChild).remove();
    }
  }

  renderInbox() {
    const items = [...this.store.inbox.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
    const list = $('inbox');
    list.replaceChildren(...items.map((item) => {
      const li = el('li', `inbox-item ${item.read ? 'read' : 'unread'} severity-${item.severity}`);
      li.dataset.id = item.id;
      const title = el('div', 'title', item.title);
      const body = item.body ? el('div', 'body', item.body) : null;
      const buttons = el('div', 'buttons');
      if (!item.read) {
        const read = el('button', 'mark-read', 'Mark read');
        read.type = 'button';
        read.addEventListener('click', () => this.actions.markRead(item.id));
        buttons.append(read);
      }
      const archive = el('button', 'archive', 'Archive');
      archive.type = 'button';
      archive.addEventListener('click', () => this.actions.archive(item.id));
      buttons.append(archive);
      li.append(title);
      if (body) li.append(body);
      li.append(buttons);
      return li;
    }));
    const unread = items.filter((i) => !i.read).length;
    $('inbox-count').textContent = unread ? String(unread) : '';
    $('inbox-empty').hidden = items.length > 0;
  }

  renderAgents() {
    const agents = [...this.store.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
    $('agents').replaceChildren(...agents.map((agent) => {
      const li = el('li', 'agent');
      li.dataset.id = agent.id;
      li.append(el('span', 'name', agent.name), el('span', `status status-${agent.status}`, agent.status));
      return li;
    }));
    $('agents-empty').hidden = agents.length > 0;
  }

  renderLog(full) {
    const filter = $('log-filter');
    for (const event of this.store.log) {
      if (!this.logTypes.has(event.type)) {
        this.logTypes.add(event.type);
        const sorted = [...this.logTypes].sort();
        filter.replaceChildren(el('option', null, 'all types'), ...sorted.map((t) => { const o = el('option', null, t); o.value = t; return o; }));
        filter.firstChild.value = '';
        filter.value = this.logFilter;
      }
    }
    const list = $('log');
    const shown = this.store.log.filter((e) => !this.logFilter || e.type === this.logFilter);
    list.replaceChildren(...shown.slice().reverse().map((event) => {
      const li = el('li', 'event');
      li.dataset.type = event.type;
      li.append(el('span', 'seq', event.seq === undefined ? '·' : `#${event.seq}`), el('span', 'type', event.type),
        el('span', 'summary', summary(event)));
      return li;
    }));
  }
}

function summary(event) {
  const p = event.payload || {};
  if (p.issue) return `${p.issue.title} → ${label(p.issue.status)}`;
  if (p.comment) return p.comment.content.slice(0, 80);
  if (p.agent) return `${p.agent.name}: ${p.agent.status}`;
  if (p.item) return p.item.title;
  if (p.member) return p.member.user_id;
  if (p.workspace) return p.workspace.name;
  if (p.summary) return p.summary;
  return p.issue_id || p.agent_id || p.item_id || p.task_id || '';
}

"""#
        ),
    ]
}
