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
