"""Browser scenarios for the web viewer (SPEC §8), run by BrowserViewerTests.

One scenario per invocation, against a real `multica serve` started by the Swift
suite, in headless Debian Chromium driven by Selenium. Every wait is bounded. On
failure a screenshot is saved under --artifacts and the exit status is 1. Network
facts (requests, WebSocket frames, handshake headers) come from Chrome's own
performance log, not from hooks in the page.
"""
import argparse, base64, hashlib, hmac, json, os, shutil, signal, statistics, subprocess, sys, time, traceback
import urllib.request, urllib.error

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

ARGS = None
DRIVERS = []
CHILDREN = []


# ---------------------------------------------------------------- tokens and REST

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(sub, ttl=3600, name=None):
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": sub, "exp": now + ttl, "iat": now, "name": name or sub}
    payload = b64(json.dumps(claims, separators=(",", ":")).encode())
    signature = hmac.new(ARGS.secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


class Rest:
    def __init__(self, user, ttl=3600, server=None):
        self.user = user
        self.token = jwt(user, ttl)
        self.server = server

    def call(self, method, path, body=None, expect=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request((self.server or ARGS.server) + path, data=data, method=method)
        request.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            request.add_header(k, v)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        result = json.loads(raw) if raw else None
        if expect is not None and status != expect:
            raise AssertionError(f"{method} {path} by {self.user}: HTTP {status} {raw[:300]!r}, wanted {expect}")
        return result

    def workspace(self, name):
        return self.call("POST", "/api/workspaces", {"name": name}, expect=201)["id"]

    def add(self, workspace, user, role="member"):
        Rest(user).call("GET", "/api/workspaces", expect=200)  # creates the user row
        return self.call("POST", f"/api/workspaces/{workspace}/members", {"user_id": user, "role": role}, expect=201)

    def issue(self, workspace, title, **fields):
        return self.call("POST", "/api/issues", {"workspace_id": workspace, "title": title, **fields}, expect=201)


# ---------------------------------------------------------------- browser

def browser(name):
    options = webdriver.ChromeOptions()
    options.binary_location = ARGS.chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1500,950",
                 "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--metrics-recording-only", "--disable-default-apps",
                 "--disable-features=Translate,OptimizationHints,MediaRouter", f"--user-data-dir={ARGS.artifacts}/profile-{name}-{os.getpid()}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(ARGS.chromedriver), options=options)
    driver.set_page_load_timeout(20)
    driver.get("about:blank")
    driver.set_script_timeout(20)
    driver.label = name
    driver.profile = f"{ARGS.artifacts}/profile-{name}-{os.getpid()}"
    driver.perf = []
    driver.console = []
    DRIVERS.append(driver)
    return driver


def drain(driver):
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        driver.perf.append((message["method"], message.get("params", {})))
    driver.console.extend(driver.get_log("browser"))


# The issue asks for "within 1 s"; the project's rule is that tests never assert
# timings (the machine is shared), so waits are bounded generously and the measured
# time is printed and compared with 1 s by `timed`.
VISIBLE_WITHIN = 5.0


def timed(what, condition):
    start = time.monotonic()
    wait(what, condition, VISIBLE_WITHIN, 0.005)
    elapsed = 1000 * (time.monotonic() - start)
    print(f"{what}: {elapsed:.0f} ms" + ("" if elapsed <= 1000 else " (over the 1 s target)"))
    return elapsed


def wait(what, condition, timeout=10.0, interval=0.02):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # a DOM node replaced mid-read: try again
            last = error
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last})" if last else ""))


def text(driver, css):
    return driver.execute_script("const n = document.querySelector(arguments[0]); return n ? n.textContent : null;", css)


def state(driver):
    return driver.execute_script("return document.getElementById('connection').dataset.state")


def card_titles(driver):
    return driver.execute_script("return [...document.querySelectorAll('#board .card .title')].map(n => n.textContent)")


def card(driver, title):
    return driver.execute_script(
        "return [...document.querySelectorAll('#board .card')].filter(c => c.querySelector('.title').textContent === arguments[0])"
        ".map(c => ({id: c.dataset.id, status: c.closest('.column').dataset.status, comments: c.dataset.comments}))", title)


def fresh_log(driver):
    """Forgets what the browser did before our page (its new-tab page)."""
    drain(driver)
    driver.perf.clear()
    driver.console.clear()


def open_signed_in(driver, rest, workspace):
    fresh_log(driver)
    driver.get(f"{ARGS.server}/#token={rest.token}&workspace={workspace}")
    wait(f"{driver.label} live", lambda: state(driver) == "live", 15)


def requests(driver):
    drain(driver)
    return [p for m, p in driver.perf if m == "Network.requestWillBeSent"]


def rest_fetches(driver, fragment):
    return [r for r in requests(driver) if fragment in r["request"]["url"] and r["request"]["method"] == "GET"]


def frames(driver):
    drain(driver)
    return [p["response"]["payloadData"] for m, p in driver.perf if m == "Network.webSocketFrameReceived"]


def severe_console(driver):
    drain(driver)
    return [e for e in driver.console if e.get("level") == "SEVERE"]


# ---------------------------------------------------------------- scenarios

def scenario_load():
    alice = Rest("alice")
    ws = alice.workspace("Acme")
    alice.issue(ws, "First issue", status="todo")
    alice.issue(ws, "Second issue", status="in_progress", priority="high")
    page = browser("alice")
    open_signed_in(page, alice, ws)
    wait("both cards", lambda: {"First issue", "Second issue"} <= set(card_titles(page)))
    assert page.execute_script("return location.hash") == "", "the fragment is still in location"
    assert "token" not in page.current_url, page.current_url
    assert page.execute_script("return sessionStorage.getItem('multica.token')") == alice.token
    time.sleep(0.3)
    errors = severe_console(page)
    assert not errors, f"console errors: {errors}"
    origin_http, origin_ws = ARGS.server + "/", ARGS.server.replace("http://", "ws://", 1) + "/"
    urls = [r["request"]["url"] for r in requests(page)]
    urls += [p["url"] for m, p in page.perf if m == "Network.webSocketCreated"]
    # chrome:// is the browser's own new-tab page, never the network.
    network = [u for u in urls if not u.startswith(("chrome:", "chrome-extension:", "about:", "data:"))]
    outside = [u for u in network if not (u.startswith(origin_http) or u.startswith(origin_ws))]
    assert not outside, f"requests left 127.0.0.1: {outside}"
    sockets = [p["url"] for m, p in page.perf if m == "Network.webSocketCreated"]
    assert sockets and all("token" not in u for u in sockets), sockets
    handshakes = [p["request"]["headers"] for m, p in page.perf if m == "Network.webSocketWillSendHandshakeRequest"]
    offered = [v for h in handshakes for k, v in h.items() if k.lower() == "sec-websocket-protocol"]
    assert offered and offered[0].startswith("multica.v1, bearer."), offered
    answered = [v for m, p in page.perf if m == "Network.webSocketHandshakeResponseReceived"
                for k, v in p["response"]["headers"].items() if k.lower() == "sec-websocket-protocol"]
    assert answered == ["multica.v1"] * len(answered) and answered, answered

    # A pasted token signs in too (a second browser: fresh sessionStorage).
    other = browser("pasted")
    fresh_log(other)
    other.get(ARGS.server + "/")
    wait("sign-in form", lambda: other.find_element(By.ID, "sign-in").is_displayed())
    other.find_element(By.ID, "token-input").send_keys(alice.token)
    other.find_element(By.CSS_SELECTOR, "#sign-in-form button").click()
    wait("pasted sign-in live", lambda: state(other) == "live", 15)
    wait("cards after paste", lambda: "First issue" in card_titles(other))
    assert other.execute_script("return sessionStorage.getItem('multica.token')") == alice.token
    print("load: fragment sign-in, fragment wiped, no console error, every request on 127.0.0.1, paste sign-in")


def scenario_live():
    alice, bob = Rest("alice"), Rest("bob")
    ws = alice.workspace("Acme")
    alice.add(ws, "bob")
    existing = alice.issue(ws, "Existing issue", status="todo")
    page = browser("alice")
    open_signed_in(page, alice, ws)
    wait("existing card", lambda: "Existing issue" in card_titles(page))

    bob.issue(ws, "Created by Bob", status="todo")
    timed("issue created by another user shown", lambda: "Created by Bob" in card_titles(page))

    bob.call("POST", f"/api/issues/{existing['id']}/comments", {"content": "looks good"}, expect=201)
    timed("comment count change shown", lambda: card(page, "Existing issue")[0]["comments"] == "1")

    bob.issue(ws, "Assigned to Alice", assignee_type="member", assignee_id="alice")
    timed("inbox:new shown", lambda: "New issue assigned: Assigned to Alice" in (text(page, "#inbox") or ""))
    assert "Assigned to Alice" in card_titles(page)

    page.find_element(By.CSS_SELECTOR, "#inbox .inbox-item .mark-read").click()
    wait("item marked read", lambda: page.find_elements(By.CSS_SELECTOR, "#inbox .inbox-item.read"))
    page.find_element(By.CSS_SELECTOR, "#inbox .inbox-item .archive").click()
    wait("item archived", lambda: not page.find_elements(By.CSS_SELECTOR, "#inbox .inbox-item"))
    assert alice.call("GET", f"/api/inbox?workspace_id={ws}", expect=200) == [], "archive did not reach the server"

    agent = alice.call("POST", "/api/agents", {"workspace_id": ws, "name": "Reviewer", "status": "idle"}, expect=201)
    wait("agent listed", lambda: "Reviewer" in (text(page, "#agents") or ""))
    alice.call("PUT", f"/api/agents/{agent['id']}", {"status": "working"}, expect=200)
    wait("agent status working", lambda: page.find_elements(By.CSS_SELECTOR, "#agents .status-working"))

    # The event log pane, filtered by type.
    Select(page.find_element(By.ID, "log-filter")).select_by_value("issue:created")
    types = page.execute_script("return [...document.querySelectorAll('#log .event')].map(e => e.dataset.type)")
    assert types and set(types) == {"issue:created"}, types

    # REST write → DOM update, 50 times (a MutationObserver stamps each card's arrival).
    page.execute_script("""
        window.__arrivals = {};
        new MutationObserver(() => {
          for (const t of document.querySelectorAll('#board .card .title'))
            if (t.textContent.startsWith('Latency ') && !(t.textContent in window.__arrivals))
              window.__arrivals[t.textContent] = performance.timeOrigin + performance.now();
        }).observe(document.getElementById('board'), {childList: true, subtree: true, characterData: true});""")
    sent = {}
    for i in range(50):
        title = f"Latency {i:02d}"
        sent[title] = time.time() * 1000
        bob.issue(ws, title)
        wait(f"{title} shown", lambda: page.execute_script("return arguments[0] in window.__arrivals", title), 5, 0.002)
    arrivals = page.execute_script("return window.__arrivals")
    latencies = sorted(arrivals[t] - sent[t] for t in sent)
    print(f"latency: REST write -> DOM update over 50 writes: p50 {statistics.median(latencies):.1f} ms, "
          f"max {max(latencies):.1f} ms (includes the POST round trip)")

    # Deletions apply too: the latency cards go before the screenshot.
    for issue in alice.call("GET", f"/api/issues?workspace_id={ws}", expect=200):
        if issue["title"].startswith("Latency "):
            alice.call("DELETE", f"/api/issues/{issue['id']}")
    wait("latency cards removed", lambda: not [t for t in card_titles(page) if t.startswith("Latency ")], 5)
    Select(page.find_element(By.ID, "log-filter")).select_by_value("")
    for title, status, priority in [("Write the launch post", "in_review", "high"), ("Fix login redirect", "blocked", "urgent"),
                                    ("Ship 1.0", "done", "medium"), ("Design review", "backlog", "low")]:
        bob.issue(ws, title, status=status, priority=priority)
    wait("showcase cards", lambda: "Design review" in card_titles(page))
    bob.issue(ws, "Triage crash reports", assignee_type="member", assignee_id="alice", status="todo", priority="urgent")
    wait("showcase inbox", lambda: page.find_elements(By.CSS_SELECTOR, "#inbox .inbox-item"))
    time.sleep(0.2)
    page.save_screenshot(os.path.join(ARGS.artifacts, "viewer.png"))
    if os.environ.get("MULTICA_UPDATE_SCREENSHOT") == "1" and ARGS.docs:
        page.save_screenshot(ARGS.docs)
    errors = severe_console(page)
    assert not errors, f"console errors: {errors}"


def scenario_move():
    alice, bob = Rest("alice"), Rest("bob")
    ws = alice.workspace("Acme")
    alice.add(ws, "bob")
    issue = alice.issue(ws, "Move me", status="todo")
    first, second = browser("alice"), browser("bob")
    open_signed_in(first, alice, ws)
    open_signed_in(second, bob, ws)
    wait("card in both", lambda: card(first, "Move me") and card(second, "Move me"))
    before = alice.call("GET", f"/api/issues/{issue['id']}", expect=200)

    select = first.find_element(By.CSS_SELECTOR, f'#board .card[data-id="{issue["id"]}"] select.move')
    Select(select).select_by_value("in_progress")
    timed("move shown in the second browser", lambda: card(second, "Move me")[0]["status"] == "in_progress")
    assert alice.call("GET", f"/api/issues/{issue['id']}", expect=200)["status"] == "in_progress"
    puts = [r for r in requests(first) if r["request"]["method"] == "PUT" and f"/api/issues/{issue['id']}" in r["request"]["url"]]
    assert len(puts) == 1, puts
    headers = {k.lower(): v for k, v in puts[0]["request"]["headers"].items()}
    if "version" in before:
        assert headers.get("if-match") == f'"{before["version"]}"', headers
        print(f"move: PUT carried If-Match {headers['if-match']}")
    else:
        assert "if-match" not in headers, headers
        print("move: PUT sent (the server has no object versions yet, so no If-Match)")

    # Creating from the page shows in the other browser.
    first.find_element(By.ID, "new-issue-title").send_keys("Made in the page")
    first.find_element(By.CSS_SELECTOR, "#new-issue button").click()
    timed("issue created in the page shown in the second browser", lambda: card(second, "Made in the page"))



def scenario_isolation():
    alice, carol = Rest("alice"), Rest("carol")
    a = alice.workspace("Tenant A")
    b = carol.workspace("Tenant B")
    alice.add(a, "bob")
    page_a, page_b = browser("alice"), browser("carol")
    open_signed_in(page_a, alice, a)
    open_signed_in(page_b, carol, b)
    secrets = []
    for i in range(10):
        title = f"SECRET-A-{i}"
        secrets.append(title)
        issue = alice.issue(a, title, assignee_type="member", assignee_id="bob")
        alice.call("POST", f"/api/issues/{issue['id']}/comments", {"content": f"SECRET-A-comment-{i}"}, expect=201)
    alice.call("POST", "/api/events", {"type": "issue:updated", "workspace_id": a, "payload": {"note": "SECRET-A-synthetic"}}, expect=201)
    carol.issue(b, "B visible")
    wait("A sees its issues", lambda: set(secrets) <= set(card_titles(page_a)))
    wait("B sees its own issue", lambda: "B visible" in card_titles(page_b))
    time.sleep(0.5)
    html = page_b.page_source
    assert "SECRET-A" not in html and "Tenant A" not in html, "workspace B's page shows data of A"
    received = frames(page_b)
    assert any("B visible" in f for f in received), "B's page received no frame of its own"
    leaked = [f for f in received if "SECRET-A" in f or a in f]
    assert not leaked, f"frames of A reached B: {leaked[:3]}"
    bodies = [p for m, p in page_b.perf if m == "Network.responseReceived"]
    for response in bodies:
        try:
            body = page_b.execute_cdp_cmd("Network.getResponseBody", {"requestId": response["requestId"]})["body"]
        except Exception:
            continue
        assert "SECRET-A" not in body, f"a REST answer to B carried A's data: {response['response']['url']}"
    picker = page_b.execute_script("return [...document.querySelectorAll('#workspace-picker option')].map(o => o.textContent)")
    assert "Tenant B" in picker and "Tenant A" not in picker, picker
    print(f"isolation: B received {len(received)} frames, none with any of A's {len(secrets)} titles; DOM clean")


def serve(port, db, extra=()):
    env = dict(os.environ, MULTICA_JWT_SECRET=ARGS.secret)
    log_path = os.path.join(ARGS.artifacts, f"serve-restart-{os.getpid()}-{port}.log")
    log = open(log_path, "w")
    child = subprocess.Popen([ARGS.binary, "serve", "--listen", f"127.0.0.1:{port}", "--db", db, *extra],
                             env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    child.log_path = log_path
    CHILDREN.append(child)

    def healthy():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                return r.status == 200
        except Exception:
            return False
    wait("restarted server healthy", healthy, 20, 0.05)
    return child


# Seconds the recovery scenario needs with the page not reconnecting: a restart, six
# writes and a move, with room for a loaded CI machine.
QUIET = 5.5


def wait_for_quiet_window(page, seconds):
    """Waits, while the server is down, until the page's next reconnect attempt is at
    least `seconds` ahead, and returns how far ahead it is."""
    ahead = "const at = Number(document.getElementById('connection').dataset.retryAt); return at ? (at - Date.now()) / 1000 : null;"

    def far():
        remaining = page.execute_script(ahead)
        return remaining if remaining is not None and remaining >= seconds else None
    return wait(f"a reconnect attempt scheduled {seconds} s ahead", far, 40, 0.05)


def scenario_recovery():
    alice, bob = Rest("alice"), Rest("bob")
    ws = alice.workspace("Acme")
    alice.add(ws, "bob")
    for i in range(3):
        alice.issue(ws, f"Before {i}")
    page = browser("alice")
    open_signed_in(page, alice, ws)
    wait("initial cards", lambda: {"Before 0", "Before 1", "Before 2"} <= set(card_titles(page)))
    snapshots_before = len(rest_fetches(page, "/api/issues?"))
    assert snapshots_before == 1, f"{snapshots_before} snapshots on load"

    os.kill(ARGS.serve_pid, signal.SIGKILL)
    wait("reconnecting shown", lambda: state(page) == "reconnecting", 5)
    assert "reconnecting in" in text(page, "#connection-text"), text(page, "#connection-text")
    assert page.find_element(By.ID, "retry").is_displayed(), "no retry button while reconnecting"
    # The restart, the writes and the stale move must all happen before the page's
    # next attempt. The backoff has jitter (attempt 4 is due 5.6-9.4 s after the
    # kill), so a fixed sleep raced it on a loaded machine; wait instead until the
    # next attempt is scheduled at least QUIET s ahead (attempt 5 waits 6-10 s).
    quiet = wait_for_quiet_window(page, QUIET)
    serve(ARGS.port, ARGS.db)
    written = [bob.issue(ws, f"While down {i}")["title"] for i in range(5)]
    # While the page is still waiting to reconnect its copy of "Before 0" is stale: a
    # move sends the old version in If-Match and the 412's `current` is shown.
    target = next(i for i in bob.call("GET", f"/api/issues?workspace_id={ws}", expect=200) if i["title"] == "Before 0")
    assert "version" in target, target
    bob.call("PUT", f"/api/issues/{target['id']}", {"title": "Before 0 (renamed)"}, expect=200)
    assert state(page) == "reconnecting", f"the page reconnected inside its {quiet:.1f} s quiet window"
    Select(page.find_element(By.CSS_SELECTOR, f'#board .card[data-id="{target["id"]}"] select.move')).select_by_value("done")
    note = wait("412 shown on the card", lambda: text(page, f'#board .card[data-id="{target["id"]}"] .conflict'), 5)
    assert "Before 0 (renamed)" in note and f"version {target['version'] + 1}" in note, note
    assert bob.call("GET", f"/api/issues/{target['id']}", expect=200)["status"] != "done", "a stale If-Match changed the issue"
    bob.call("POST", f"/api/issues/{bob.call('GET', f'/api/issues?workspace_id={ws}')[0]['id']}/comments", {"content": "meanwhile"}, expect=201)
    wait("live again", lambda: state(page) == "live", 40, 0.1)
    wait("events written while down shown", lambda: set(written) <= set(card_titles(page)), 5)
    titles = card_titles(page)
    duplicates = {t for t in titles if titles.count(t) > 1}
    assert not duplicates, f"duplicate cards: {duplicates}"
    assert len(titles) == 8, titles
    assert "Before 0 (renamed)" in titles and "Before 0" not in titles, titles
    snapshots_after = len(rest_fetches(page, "/api/issues?"))
    assert snapshots_after == snapshots_before, f"a full refetch happened although recovered was true ({snapshots_after})"
    sockets = [p["url"] for m, p in page.perf if m == "Network.webSocketCreated"]
    assert "since=" in sockets[-1], sockets
    hellos = [json.loads(f) for f in frames(page) if '"type":"hello"' in f]
    assert hellos[-1]["payload"]["recovered"] is True, hellos[-1]
    print(f"recovery: reconnected with {sockets[-1].split('?')[1]}, {len(written)} issues written while down shown once, "
          f"no refetch ({snapshots_after} snapshot in all), {len(sockets)} socket attempts; "
          f"a stale move {quiet:.1f} s before the next attempt got 412 and showed the newer version")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scenario_refetch():
    """recovered:false: the events the page missed were pruned, so it refetches from REST."""
    alice, bob = Rest("alice"), Rest("bob")
    ws = alice.workspace("Acme")
    alice.add(ws, "bob")
    alice.issue(ws, "Kept")
    page = browser("alice")
    open_signed_in(page, alice, ws)
    wait("initial card", lambda: "Kept" in card_titles(page))
    assert len(rest_fetches(page, "/api/issues?")) == 1
    os.kill(ARGS.serve_pid, signal.SIGKILL)
    wait("reconnecting shown", lambda: state(page) == "reconnecting", 5)
    # Writes through a server on another port (the page cannot reach it), then a
    # restart on the page's port that keeps only the newest 2 events of the log.
    other_port = free_port()
    other = serve(other_port, ARGS.db)
    writer = Rest("bob", server=f"http://127.0.0.1:{other_port}")
    missed = [writer.issue(ws, f"Missed {i}")["title"] for i in range(5)]
    other.kill()
    other.wait()
    # The page must not resume before the restarted server's first prune (which runs
    # just after it starts listening), or it would resume with recovered:true.
    wait_for_quiet_window(page, 3.0)
    restarted = serve(ARGS.port, ARGS.db, ["--retain-count", "2"])
    wait("the first prune after the restart",
         lambda: "retention pruned events" in open(restarted.log_path).read(), 5)
    if state(page) == "reconnecting":
        page.find_element(By.ID, "retry").click()
    wait("live again", lambda: state(page) == "live", 20, 0.05)
    wait("missed issues shown after the refetch", lambda: set(missed) <= set(card_titles(page)), 10)
    hellos = [json.loads(f) for f in frames(page) if '"type":"hello"' in f]
    assert hellos[-1]["payload"]["recovered"] is False, hellos[-1]
    assert len(rest_fetches(page, "/api/issues?")) == 2, "no refetch after recovered:false"
    titles = card_titles(page)
    assert len(titles) == len(set(titles)) == 6, titles
    # And it is live again from the new head.
    bob.issue(ws, "After the refetch")
    timed("issue after the refetch shown", lambda: "After the refetch" in card_titles(page))
    print("refetch: recovered:false after pruning made the page refetch once from REST and resume; retry button used")


def scenario_revoked():
    alice, bob = Rest("alice"), Rest("bob")
    ws = alice.workspace("Acme")
    alice.add(ws, "bob")
    page = browser("bob")
    open_signed_in(page, bob, ws)
    alice.call("DELETE", f"/api/workspaces/{ws}/members/bob", expect=204)
    wait("access revoked", lambda: "access revoked" in (text(page, "#connection-text") or "").lower(), 3)
    assert "Access revoked" in text(page, "#banner")
    time.sleep(1.0)
    assert state(page) == "revoked", "it kept reconnecting after 4003"
    print("revoked: member removal shows access revoked and stops reconnecting")


def scenario_expired():
    alice = Rest("alice")
    ws = alice.workspace("Acme")
    short = Rest("alice", ttl=4)
    page = browser("alice")
    open_signed_in(page, short, ws)
    wait("asks for a new token after expiry", lambda: page.find_element(By.ID, "sign-in").is_displayed(), 12)
    assert "expired" in text(page, "#sign-in-reason"), text(page, "#sign-in-reason")
    assert page.execute_script("return sessionStorage.getItem('multica.token')") is None
    # A token that is already expired when the page opens is refused the same way.
    stale = Rest("alice", ttl=-5)
    page.get(f"{ARGS.server}/#token={stale.token}&workspace={ws}")
    wait("asks for a new token at once", lambda: page.find_element(By.ID, "sign-in").is_displayed(), 5)
    assert "expired" in text(page, "#sign-in-reason")
    # And a new token signs in again.
    page.find_element(By.ID, "token-input").send_keys(alice.token)
    page.find_element(By.CSS_SELECTOR, "#sign-in-form button").click()
    wait("live with the new token", lambda: state(page) == "live", 10)
    print("expired: 4001 and a refused upgrade both ask for a new token; a new one signs in")


SCENARIOS = {name[len("scenario_"):]: f for name, f in globals().items() if name.startswith("scenario_")}


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    for flag in ("server", "secret", "binary", "db", "artifacts", "chromium", "chromedriver", "docs"):
        parser.add_argument("--" + flag, default="")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--serve-pid", type=int, default=0)
    ARGS = parser.parse_args()
    os.makedirs(ARGS.artifacts, exist_ok=True)
    status = 0
    try:
        SCENARIOS[ARGS.scenario]()
    except Exception:
        status = 1
        traceback.print_exc()
        for driver in DRIVERS:
            path = os.path.join(ARGS.artifacts, f"failed-{ARGS.scenario}-{driver.label}.png")
            try:
                driver.save_screenshot(path)
                print(f"screenshot: {path}", file=sys.stderr)
                print(f"console of {driver.label}: {driver.console + driver.get_log('browser')}", file=sys.stderr)
            except Exception as error:
                print(f"no screenshot: {error}", file=sys.stderr)
    finally:
        for driver in DRIVERS:
            try:
                driver.quit()
            except Exception:
                pass
        for child in CHILDREN:
            child.kill()
            child.wait()
        for driver in DRIVERS:
            shutil.rmtree(driver.profile, ignore_errors=True)
    sys.exit(status)


if __name__ == "__main__":
    main()
