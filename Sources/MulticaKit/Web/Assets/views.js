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
