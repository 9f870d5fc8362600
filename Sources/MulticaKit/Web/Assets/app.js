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
