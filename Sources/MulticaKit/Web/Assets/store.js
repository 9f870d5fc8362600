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
