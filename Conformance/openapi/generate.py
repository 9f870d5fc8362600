#!/usr/bin/env python3
"""Generates the OpenAPI 3.1 document of multica's REST API (SPEC §6) and embeds it
in Sources/MulticaKit/API/OpenAPIDocument.swift, served at GET /openapi.json.

The document is written here, as data, because it is easier to keep exact in Python
than in a Swift string; the Swift file is the output and is committed. A test
(OpenAPIDocumentTests) fails when the router and the document disagree on routes.

Run: python3 Conformance/openapi/generate.py
"""
import json, os

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def nullable(t, **kw): return {"type": [t, "null"], **kw}
S = {"type": "string"}
TS = {"type": "string", "format": "date-time"}
def enum(*values): return {"type": "string", "enum": list(values)}
def arr(items): return {"type": "array", "items": items}
def obj(props, required=(), extra=True):
    o = {"type": "object", "properties": props}
    if required: o["required"] = list(required)
    if not extra: o["additionalProperties"] = False
    return o

ISSUE_STATUS = enum("backlog", "todo", "in_progress", "in_review", "done", "blocked", "cancelled")
PRIORITY = enum("urgent", "high", "medium", "low", "none")
AGENT_STATUS = enum("idle", "working", "blocked", "error", "offline")
TASK_STATUS = enum("queued", "dispatched", "running", "completed", "failed", "cancelled")
ACTOR = enum("member", "agent", "system")
ROLE = enum("owner", "admin", "member")
VERSION = {"type": "integer", "minimum": 1, "description": "1 on create, +1 per change; also sent as ETag"}

schemas = {
    "Error": obj({"error": S}, ["error"]),
    "VersionMismatch": obj({"error": {"const": "version mismatch"}, "current": {"type": "object"}}, ["error", "current"]),
    "Status": obj({"status": S}, ["status"]),
    "Workspace": obj({
        "id": S, "name": S, "slug": S, "description": nullable("string"), "settings": {"type": "object"},
        "created_at": TS, "updated_at": TS, "version": VERSION,
    }, ["id", "name", "slug", "settings", "created_at", "updated_at"]),
    "Member": obj({
        "id": S, "workspace_id": S, "user_id": S, "role": ROLE, "created_at": TS,
        "name": nullable("string"), "email": nullable("string"),
    }, ["id", "workspace_id", "user_id", "role", "created_at"]),
    "Issue": obj({
        "id": S, "workspace_id": S, "title": S, "description": nullable("string"), "status": ISSUE_STATUS,
        "priority": PRIORITY, "assignee_type": {"type": ["string", "null"], "enum": ["member", "agent", None]},
        "assignee_id": nullable("string"), "creator_type": ACTOR, "creator_id": S,
        "parent_issue_id": nullable("string"), "acceptance_criteria": arr(S), "context_refs": {"type": "array"},
        "position": {"type": "number"}, "due_date": nullable("string", format="date-time"),
        "created_at": TS, "updated_at": TS, "version": VERSION,
    }, ["id", "workspace_id", "title", "status", "priority", "creator_type", "creator_id",
        "acceptance_criteria", "context_refs", "position", "created_at", "updated_at"]),
    "Comment": obj({
        "id": S, "issue_id": S, "author_type": ACTOR, "author_id": S, "content": S,
        "type": enum("comment", "status_change", "progress_update", "system"),
        "created_at": TS, "updated_at": TS, "version": VERSION,
    }, ["id", "issue_id", "author_type", "author_id", "content", "type", "created_at", "updated_at"]),
    "Agent": obj({
        "id": S, "workspace_id": S, "name": S, "description": S, "avatar_url": nullable("string"),
        "runtime_mode": enum("local", "cloud"), "visibility": enum("workspace", "private"), "status": AGENT_STATUS,
        "max_concurrent_tasks": {"type": "integer"}, "owner_id": nullable("string"), "skills": S,
        "tools": {"type": "array"}, "triggers": {"type": "array"}, "created_at": TS, "updated_at": TS, "version": VERSION,
    }, ["id", "workspace_id", "name", "description", "runtime_mode", "visibility", "status",
        "max_concurrent_tasks", "skills", "tools", "triggers", "created_at", "updated_at"]),
    "InboxItem": obj({
        "id": S, "workspace_id": S, "recipient_type": S, "recipient_id": S, "type": S,
        "severity": enum("action_required", "attention", "info"), "issue_id": nullable("string"), "title": S,
        "body": nullable("string"), "read": {"type": "boolean"}, "archived": {"type": "boolean"}, "created_at": TS,
    }, ["id", "workspace_id", "recipient_type", "recipient_id", "type", "severity", "title", "read", "archived", "created_at"]),
    "Task": obj({
        "id": S, "workspace_id": S, "agent_id": S, "issue_id": S, "status": TASK_STATUS, "priority": {"type": "integer"},
        "created_at": TS, "dispatched_at": nullable("string", format="date-time"),
        "started_at": nullable("string", format="date-time"), "completed_at": nullable("string", format="date-time"),
        "result": nullable("string"), "error": nullable("string"),
    }, ["id", "workspace_id", "agent_id", "issue_id", "status", "priority", "created_at"]),
    "Event": obj({
        "id": S, "seq": {"type": "integer"}, "type": S, "workspace_id": S, "actor_type": ACTOR, "actor_id": S,
        "ts": S, "synthetic": {"type": "boolean"}, "payload": {"type": "object"},
    }, ["id", "seq", "type", "workspace_id", "actor_type", "actor_id", "ts", "synthetic", "payload"]),
    "EventPage": obj({
        "events": arr(ref("Event")), "head_seq": {"type": "integer"}, "lowest_retained_seq": {"type": "integer"},
    }, ["events", "head_seq", "lowest_retained_seq"]),
    "NewEvent": obj({"type": S, "workspace_id": S, "payload": {"type": "object"}}, ["type", "payload"]),
    "StoredEvent": obj({"id": S, "seq": {"type": "integer"}, "type": S, "workspace_id": S}, ["id", "seq", "type", "workspace_id"]),
    "WorkspaceCreate": obj({"name": S, "slug": S, "description": nullable("string")}, ["name"]),
    "WorkspacePatch": obj({"name": S, "description": nullable("string"), "settings": {"type": "object"}}),
    "MemberAdd": obj({"user_id": S, "role": ROLE}, ["user_id"]),
    "IssueBody": obj({
        "workspace_id": S, "title": S, "description": nullable("string"), "status": ISSUE_STATUS, "priority": PRIORITY,
        "assignee_type": {"type": ["string", "null"], "enum": ["member", "agent", None]}, "assignee_id": nullable("string"),
        "parent_issue_id": nullable("string"), "acceptance_criteria": arr(S), "context_refs": {"type": "array"},
        "position": {"type": "number"}, "due_date": nullable("string", format="date-time"),
    }),
    "CommentCreate": obj({"content": S, "type": enum("comment", "status_change", "progress_update", "system")}, ["content"]),
    "CommentUpdate": obj({"content": S}, ["content"]),
    "AgentBody": obj({
        "workspace_id": S, "name": S, "description": S, "avatar_url": nullable("string"),
        "runtime_mode": enum("local", "cloud"), "visibility": enum("workspace", "private"), "status": AGENT_STATUS,
        "max_concurrent_tasks": {"type": "integer", "minimum": 1, "maximum": 100}, "owner_id": nullable("string"),
        "skills": S, "tools": {"type": "array"}, "triggers": {"type": "array"},
    }),
    "TaskProgress": obj({"summary": S, "step": {"type": "integer", "minimum": 0}, "total": {"type": "integer", "minimum": 0}}, ["summary"]),
    "TaskComplete": obj({"result": nullable("string")}),
    "TaskFail": obj({"error": nullable("string")}),
}

def json_body(schema): return {"content": {"application/json": {"schema": schema}}}
def resp(desc, schema=None, headers=None):
    r = {"description": desc}
    if schema is not None: r.update(json_body(schema))
    if headers: r["headers"] = headers
    return r
ERR = {code: {"$ref": f"#/components/responses/E{code}"} for code in (400, 401, 403, 404, 409, 412, 413, 429, 431, 503)}
ETAG = {"ETag": {"schema": {"type": "string"}, "description": 'the object\'s version, "<version>"'}}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": 'the "<version>" the change applies to; 412 when it no longer matches'}
WS_QUERY = {"name": "workspace_id", "in": "query", "required": False, "schema": S,
            "description": "the workspace (or the X-Workspace-ID header)"}
WS_HEADER = {"name": "X-Workspace-ID", "in": "header", "required": False, "schema": S}
def path_param(name): return {"name": name, "in": "path", "required": True, "schema": S}

def op(summary, ok_status, ok, *, body=None, body_required=True, errors=(400, 401, 403, 404), params=(), public=False, tag=None):
    o = {"summary": summary, "responses": {str(ok_status): ok}}
    for e in errors: o["responses"][str(e)] = ERR[e]
    # Any request can be malformed at the HTTP level (a header value the parser
    # refuses: 400) or too large in its head (431); both are answered, then closed.
    o["responses"]["400"] = ERR[400]
    o["responses"]["431"] = ERR[431]
    if not public: o["responses"]["401"] = ERR[401]
    if body is not None: o["requestBody"] = {"required": body_required, **json_body(body)}
    if params: o["parameters"] = list(params)
    if public: o["security"] = []
    if tag: o["tags"] = [tag]
    return o

def write(summary, ok_status, ok, **kw):
    """A PUT/PATCH/DELETE of a versioned object: If-Match and 412."""
    kw["params"] = list(kw.get("params", ())) + [IF_MATCH]
    kw["errors"] = tuple(kw.get("errors", (400, 403, 404))) + (412,)
    return op(summary, ok_status, ok, **kw)

WS = [WS_QUERY, WS_HEADER]
ID = [path_param("id")]
paths = {
    "/healthz": {"get": op("the process answers", 200, resp("ok", ref("Status")), errors=(), public=True, tag="health")},
    "/readyz": {"get": op("the database answers", 200, resp("ready", ref("Status")), errors=(503,), public=True, tag="health")},
    "/metrics": {"get": op("Prometheus text exposition", 200, {"description": "metrics", "content": {"text/plain": {"schema": S}}},
                           errors=(), public=True, tag="health")},
    "/openapi.json": {"get": op("this document", 200, resp("the OpenAPI document", {"type": "object"}), errors=(), public=True, tag="health")},
    "/ws": {"get": op("WebSocket upgrade (SPEC §7); a plain GET is refused", 101, {"description": "switching protocols"},
                      errors=(400, 403, 404, 503), public=True, tag="realtime",
                      params=[{"name": "token", "in": "query", "required": False, "schema": S}, WS_QUERY,
                              {"name": "since", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
                              {"name": "subscribe", "in": "query", "required": False, "schema": {"type": "boolean"}}])},
    "/api/workspaces": {
        "get": op("workspaces the caller is a member of", 200, resp("list", arr(ref("Workspace"))), errors=(), tag="workspaces"),
        "post": op("create a workspace (caller becomes owner)", 201, resp("created", ref("Workspace"), ETAG),
                   body=ref("WorkspaceCreate"), errors=(400, 409, 413), tag="workspaces"),
    },
    "/api/workspaces/{id}": {
        "parameters": ID,
        "get": op("one workspace", 200, resp("the workspace", ref("Workspace"), ETAG), errors=(403, 404), tag="workspaces"),
        "patch": write("change a workspace (owner or admin)", 200, resp("the workspace", ref("Workspace"), ETAG),
                       body=ref("WorkspacePatch"), errors=(400, 403, 404, 413), tag="workspaces"),
        "delete": write("delete a workspace (owner)", 204, {"description": "deleted"}, errors=(403, 404), tag="workspaces"),
    },
    "/api/workspaces/{id}/members": {
        "parameters": ID,
        "get": op("members", 200, resp("list", arr(ref("Member"))), errors=(403, 404), tag="members"),
        "post": op("add a member (owner or admin)", 201, resp("created", ref("Member")), body=ref("MemberAdd"),
                   errors=(400, 403, 404, 409, 413), tag="members"),
    },
    "/api/workspaces/{id}/members/{member}": {
        "parameters": ID + [path_param("member")],
        "delete": op("remove a member (a member id or a user id)", 204, {"description": "removed"}, errors=(403, 404, 409), tag="members"),
    },
    "/api/workspaces/{id}/leave": {
        "parameters": ID,
        "post": op("leave a workspace", 204, {"description": "left"}, errors=(403, 404, 409), tag="members"),
    },
    "/api/events": {
        "get": op("the durable event log", 200, resp("a page", ref("EventPage")), errors=(400, 403, 404),
                  params=WS + [{"name": "since", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 0}},
                               {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
                  tag="events"),
        "post": op("publish synthetic events: one, or a batch of up to 1,000", 201,
                   resp("stored", {"oneOf": [ref("StoredEvent"), obj({"events": arr(ref("StoredEvent"))}, ["events"])]}),
                   body={"oneOf": [ref("NewEvent"), {"type": "array", "items": ref("NewEvent"), "minItems": 1, "maxItems": 1000}]},
                   errors=(400, 403, 404, 413), tag="events"),
    },
    "/api/issues": {
        "get": op("issues of a workspace", 200, resp("list", arr(ref("Issue"))), errors=(400, 403, 404),
                  params=WS + [{"name": "status", "in": "query", "required": False, "schema": ISSUE_STATUS},
                               {"name": "assignee_id", "in": "query", "required": False, "schema": S},
                               {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}],
                  tag="issues"),
        "post": op("create an issue", 201, resp("created", ref("Issue"), ETAG), body=ref("IssueBody"), params=WS,
                   errors=(400, 403, 404, 413), tag="issues"),
    },
    "/api/issues/{id}": {
        "parameters": ID,
        "get": op("one issue", 200, resp("the issue", ref("Issue"), ETAG), errors=(403, 404), tag="issues"),
        "put": write("change the fields present", 200, resp("the issue", ref("Issue"), ETAG), body=ref("IssueBody"),
                     errors=(400, 403, 404, 413), tag="issues"),
        "delete": write("delete an issue", 204, {"description": "deleted"}, errors=(403, 404), tag="issues"),
    },
    "/api/issues/{id}/comments": {
        "parameters": ID,
        "get": op("comments of an issue", 200, resp("list", arr(ref("Comment"))), errors=(403, 404), tag="comments"),
        "post": op("add a comment", 201, resp("created", ref("Comment"), ETAG), body=ref("CommentCreate"),
                   errors=(400, 403, 404, 413), tag="comments"),
    },
    "/api/comments/{id}": {
        "parameters": ID,
        "put": write("edit a comment (its author)", 200, resp("the comment", ref("Comment"), ETAG), body=ref("CommentUpdate"),
                     errors=(400, 403, 404, 413), tag="comments"),
        "delete": write("delete a comment (author, owner or admin)", 204, {"description": "deleted"}, errors=(403, 404), tag="comments"),
    },
    "/api/agents": {
        "get": op("agents of a workspace", 200, resp("list", arr(ref("Agent"))), errors=(400, 403, 404), params=WS, tag="agents"),
        "post": op("create an agent (owner or admin)", 201, resp("created", ref("Agent"), ETAG), body=ref("AgentBody"), params=WS,
                   errors=(400, 403, 404, 409, 413), tag="agents"),
    },
    "/api/agents/{id}": {
        "parameters": ID,
        "get": op("one agent", 200, resp("the agent", ref("Agent"), ETAG), errors=(403, 404), tag="agents"),
        "put": write("change an agent (owner or admin)", 200, resp("the agent", ref("Agent"), ETAG), body=ref("AgentBody"),
                     errors=(400, 403, 404, 409, 413), tag="agents"),
        "delete": write("delete an agent (owner or admin)", 204, {"description": "deleted"}, errors=(403, 404, 409), tag="agents"),
    },
    "/api/inbox": {
        "get": op("the caller's inbox in a workspace", 200, resp("list", arr(ref("InboxItem"))), errors=(400, 403, 404), params=WS, tag="inbox"),
    },
    "/api/inbox/{id}/read": {"parameters": ID, "post": op("mark read", 200, resp("the item", ref("InboxItem")), errors=(403, 404), tag="inbox")},
    "/api/inbox/{id}/archive": {"parameters": ID, "post": op("archive", 200, resp("the item", ref("InboxItem")), errors=(403, 404), tag="inbox")},
    "/api/daemon/agents/{agentId}/tasks/claim": {
        "parameters": [path_param("agentId")],
        "post": {**op("claim the next task", 200, resp("the dispatched task", ref("Task")), errors=(403, 404, 409), tag="daemon"),
                 },
    },
    "/api/daemon/tasks/{id}/start": {"parameters": ID, "post": op("start a task", 200, resp("the task", ref("Task")), errors=(403, 404, 409), tag="daemon")},
    "/api/daemon/tasks/{id}/progress": {"parameters": ID, "post": op("report progress", 200, resp("the task", ref("Task")),
                                                                     body=ref("TaskProgress"), errors=(400, 403, 404, 409, 413), tag="daemon")},
    "/api/daemon/tasks/{id}/complete": {"parameters": ID, "post": op("complete a task", 200, resp("the task", ref("Task")),
                                                                     body=ref("TaskComplete"), body_required=False, errors=(400, 403, 404, 409, 413), tag="daemon")},
    "/api/daemon/tasks/{id}/fail": {"parameters": ID, "post": op("fail a task", 200, resp("the task", ref("Task")),
                                                                 body=ref("TaskFail"), body_required=False, errors=(400, 403, 404, 409, 413), tag="daemon")},
}
paths["/api/daemon/agents/{agentId}/tasks/claim"]["post"]["responses"]["204"] = {"description": "nothing queued, or the agent is at max_concurrent_tasks"}

descriptions = {400: "bad JSON or field (with its line and column)", 401: "missing or invalid token", 403: "not allowed",
                404: "not found", 409: "conflict", 412: "version mismatch", 413: "body too large", 429: "rate limited",
                431: "header fields too large (the connection is then closed)", 503: "storage unavailable"}
responses = {f"E{c}": resp(d, ref("VersionMismatch") if c == 412 else ref("Error")) for c, d in descriptions.items()}

document = {
    "openapi": "3.1.0",
    "info": {"title": "multica", "version": "1", "description": "REST API of multica serve (SPEC §6). Errors are {\"error\": \"…\"}."},
    "servers": [{"url": "http://127.0.0.1:8080"}],
    "security": [{"bearer": []}],
    "paths": paths,
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        "schemas": schemas,
        "responses": responses,
    },
}

text = json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False)
assert '"""#' not in text
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
out = os.path.join(root, "Sources", "MulticaKit", "API", "OpenAPIDocument.swift")
with open(out, "w") as f:
    f.write('''/// The OpenAPI 3.1 document of every REST route, served at `GET /openapi.json`.
///
/// Generated by `Conformance/openapi/generate.py` (edit that, then run it); embedded
/// as a literal so the binary needs no resource bundle. `OpenAPIDocumentTests`
/// fails when the router and this document disagree on the routes.
enum OpenAPIDocument {
    static let json = #"""
''' + text + '''
"""#
}
''')
print("wrote", out)
