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
