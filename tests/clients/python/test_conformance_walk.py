"""Issue 11: a walk over every endpoint of the scope table (`kith_api::scopes::ENDPOINTS`, parsed from
crates/kith-api/src/scopes.rs, so a new route is walked without touching this file). Each route is
called with a token holding exactly the scope the table names, and every 2xx JSON body is validated
against the response schema the Mastodon OpenAPI document gives for that path and method. Routes the
document lacks (Kith's own, e.g. /api/v1/admin/kith/*) are checked for JSON only, and listed."""

import http.server
import json
import re
import struct
import subprocess
import sys
import threading
import zlib

import jsonschema
import requests

from conftest import PASSWORD, REPO

SCOPES_RS = REPO / "crates" / "kith-api" / "src" / "scopes.rs"

# Routes the walk cannot exercise, with the reason. Keep it short.
SKIP = {
    # Streaming answers with WebSocket / server-sent events, not a JSON body (tests/clients/js and the
    # Rust streaming tests cover it).
    **{("GET", p): "streaming" for p in (
        "/api/v1/streaming", "/api/v1/streaming/", "/api/v1/streaming/user",
        "/api/v1/streaming/user/notification", "/api/v1/streaming/public", "/api/v1/streaming/public/local",
        "/api/v1/streaming/public/remote", "/api/v1/streaming/hashtag", "/api/v1/streaming/hashtag/local",
        "/api/v1/streaming/list", "/api/v1/streaming/direct")},
    # A cohort needs a second Kith instance (crates/kith/tests/it/sharing.rs covers it); its listing is walked.
    ("POST", "/api/v1/admin/kith/cohort/invite"): "needs a peer instance",
    ("POST", "/api/v1/admin/kith/cohort/{id}/accept"): "needs a peer instance",
    ("PUT", "/api/v1/admin/kith/cohort/{id}"): "needs a peer instance",
    ("DELETE", "/api/v1/admin/kith/cohort/{id}"): "needs a peer instance",
}

# Answers other than 2xx that Mastodon documents for a route in this setting.
EXPECTED = {
    ("POST", "/api/v1/statuses/{id}/translate"): {404, 503},  # no translation service configured
}

# Answers that are not JSON by design.
NOT_JSON = {
    ("GET", "/api/v1/admin/domain_blocks/export"),  # Kith's own: Mastodon's blocklist CSV
    ("GET", "/api/v1/streaming/health"),  # the text "OK", as Mastodon's streaming server answers
}

# Last: routes that destroy what other routes use.
LAST = {("POST", "/api/v1/notifications/clear")}

# Response components for Mastodon routes whose path the OpenAPI document lacks (its admin API), or
# gives wrongly: it says GET /api/v1/filters answers one V1Filter (Mastodon answers an array) and
# DELETE /api/v2/filters/statuses/:id a FilterStatus (Mastodon's controller renders an empty object).
COMPONENTS = {
    ("GET", "/api/v1/filters"): "V1Filter[]",
    ("DELETE", "/api/v2/filters/statuses/{id}"): {"type": "object", "maxProperties": 0},
    ("GET", "/api/v1/trends"): "Tag[]",
    ("GET", "/api/v1/admin/domain_blocks"): "AdminDomainBlock[]",
    ("POST", "/api/v1/admin/domain_blocks"): "AdminDomainBlock",
    ("GET", "/api/v1/admin/domain_blocks/{id}"): "AdminDomainBlock",
    ("PUT", "/api/v1/admin/domain_blocks/{id}"): "AdminDomainBlock",
    ("GET", "/api/v1/admin/domain_allows"): "AdminDomainAllow[]",
    ("POST", "/api/v1/admin/domain_allows"): "AdminDomainAllow",
    ("GET", "/api/v1/admin/domain_allows/{id}"): "AdminDomainAllow",
    ("GET", "/api/v1/admin/accounts"): "AdminAccount[]",
    ("GET", "/api/v2/admin/accounts"): "AdminAccount[]",
    ("GET", "/api/v1/admin/accounts/{id}"): "AdminAccount",
    ("DELETE", "/api/v1/admin/accounts/{id}"): "AdminAccount",
    **{("POST", f"/api/v1/admin/accounts/{{id}}/{a}"): "AdminAccount"
       for a in ("approve", "reject", "enable", "unsilence", "unsuspend", "unsensitive")},
    ("GET", "/api/v1/admin/reports"): "AdminReport[]",
    ("GET", "/api/v1/admin/reports/{id}"): "AdminReport",
    **{("POST", f"/api/v1/admin/reports/{{id}}/{a}"): "AdminReport"
       for a in ("assign_to_self", "unassign", "resolve", "reopen")},
}


def endpoints():
    """(method, pattern, access, scope) of each row of ENDPOINTS, in table order."""
    src = SCOPES_RS.read_text()
    table = src[src.index("pub const ENDPOINTS"):]
    table = table[:table.index("\n];")]
    rows = re.findall(r'\(\s*"([A-Z]+)",\s*"([^"]+)",\s*(\w+)(?:\(\s*"([^"]*)"\s*\))?,?\s*\)', table)
    assert len(rows) == table.count('"/api/'), "a row of ENDPOINTS the walk cannot parse"
    return rows


def template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + bytes(v for x in range(width) for v in (x % 256, y % 256, 120)) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def test_every_endpoint_answers_in_the_mastodon_schema(kith_factory, request):
    spec = json.loads((REPO / "tests" / "conformance" / "mastodon-openapi-schema.json").read_text())
    paths = {}
    for p, ops in spec["paths"].items():
        paths.setdefault(template(p), {}).update(ops)
    kith = kith_factory(users=["bob", "cat", "dan", "eve"])
    kith.cli("admin", "create-user", "ana", "--password", PASSWORD, "--role", "admin")
    tokens = {}

    def token(scope, who="ana"):
        if (who, scope) not in tokens:
            tokens[(who, scope)] = kith.cli("admin", "token", who, "--scopes", scope)
        return tokens[(who, scope)]

    def call(method, path, who="ana", scope="read write follow admin:read admin:write", ok=(200,), **kw):
        res = requests.request(method, kith.base + path, timeout=30,
                               headers={"Authorization": f"Bearer {token(scope, who)}"}, **kw)
        assert res.status_code in ok, f"setup {method} {path}: {res.status_code} {res.text[:300]}"
        return res.json()

    # The data the routes need.
    ids = {name: call("GET", "/api/v1/accounts/verify_credentials", name)["id"]
           for name in ("ana", "bob", "cat", "dan", "eve")}
    call("POST", f"/api/v1/accounts/{ids['bob']}/follow")
    call("POST", f"/api/v1/accounts/{ids['cat']}/follow")
    call("POST", f"/api/v1/accounts/{ids['ana']}/follow", "bob")
    # A local custom emoji in ana's name and posts, so Status and Account carry `emojis`.
    (kith.workdir / "walk_tea.png").write_bytes(png(8, 8))
    kith.cli("admin", "emoji", "add", "walk_tea", str(kith.workdir / "walk_tea.png"), "--as", "ana")
    call("PATCH", "/api/v1/accounts/update_credentials", data={
        "locked": "true", "display_name": "Ana :walk_tea:",
        "fields_attributes[0][name]": "Site", "fields_attributes[0][value]": "https://example.com/ana",
        "source[language]": "en"})
    call("POST", f"/api/v1/accounts/{ids['bob']}/endorse")
    call("POST", f"/api/v1/accounts/{ids['bob']}/note", data={"comment": "met at the walk"})
    call("POST", f"/api/v1/accounts/{ids['ana']}/follow", "cat")
    call("POST", f"/api/v1/accounts/{ids['ana']}/follow", "dan")
    media = call("POST", "/api/v1/media", files={"file": ("a.png", png(8, 6), "image/png")},
                 data={"description": "a gradient"})
    post = call("POST", "/api/v1/statuses", data={"status": "hello :walk_tea: #walk @bob", "media_ids[]": media["id"]})
    assert [e["shortcode"] for e in post["emojis"]] == ["walk_tea"], post
    assert [e["shortcode"] for e in post["account"]["emojis"]] == ["walk_tea"], post["account"]
    featured = call("POST", "/api/v1/featured_tags", data={"name": "walk"})
    loose = call("POST", "/api/v1/media", files={"file": ("b.png", png(6, 6), "image/png")})  # attached to nothing
    spare = call("POST", "/api/v1/statuses", data={"status": "spare"})["id"]
    bobs = [call("POST", "/api/v1/statuses", "bob", data={"status": f"bob's {k}"})["id"] for k in range(2)]
    poll = call("POST", "/api/v1/statuses", "bob", data={"status": "tea or coffee?", "poll[options][]": ["tea", "coffee"],
                                                          "poll[expires_in]": "600"})
    call("POST", "/api/v1/statuses", "bob", data={"status": "@ana psst", "visibility": "direct"})
    call("POST", f"/api/v1/statuses/{post['id']}/favourite", "bob")
    call("POST", f"/api/v1/statuses/{post['id']}/bookmark")
    scheduled = call("POST", "/api/v1/statuses", data={"status": "later", "scheduled_at": "2099-01-01T00:00:00Z"})
    lst = call("POST", "/api/v1/lists", data={"title": "friends"})
    call("POST", f"/api/v1/lists/{lst['id']}/accounts", data={"account_ids[]": ids["bob"]})
    filt = call("POST", "/api/v2/filters", data={"title": "spoilers", "context[]": ["home"],
                                                  "keywords_attributes[][keyword]": "spoiler"})
    keyword = call("GET", f"/api/v2/filters/{filt['id']}/keywords")[0]
    fstatus = call("POST", f"/api/v2/filters/{filt['id']}/statuses", data={"status_id": poll["id"]})
    filt1 = call("POST", "/api/v1/filters", data={"phrase": "boring", "context[]": ["home"]})
    report = call("POST", "/api/v1/reports", "bob", data={"account_id": ids["dan"], "comment": "spam"})
    dblock = call("POST", "/api/v1/admin/domain_blocks", data={"domain": "bad.example"})
    dallow = call("POST", "/api/v1/admin/domain_allows", data={"domain": "good.example"})
    invite = call("POST", "/api/v1/admin/invites")
    app = requests.post(kith.base + "/api/v1/apps", timeout=30, data={
        "client_name": "walk", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write"}).json()

    def app_token(scope):
        return requests.post(kith.base + "/oauth/token", timeout=30, data={
            "grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "scope": scope}).json()["access_token"]

    call("PUT", "/api/v1/admin/registrations", data={"mode": "approval"})
    for name in ("pat", "pia"):  # two sign-ups waiting for approval
        res = requests.post(kith.base + "/api/v1/accounts", timeout=30,
                            headers={"Authorization": f"Bearer {app_token('write:accounts')}"},
                            data={"username": name, "email": f"{name}@mail.example", "password": PASSWORD,
                                  "agreement": "true", "locale": "en", "reason": "hi"})
        assert res.status_code == 200, res.text
    pending = [a["id"] for a in call("GET", "/api/v1/admin/accounts?pending=true")]
    assert len(pending) == 2, pending
    call("PUT", "/api/v1/admin/registrations", data={"mode": "open"})
    call("PATCH", "/api/v2/notifications/policy", data={"for_not_following": "filter"})
    for name in ("dan", "eve"):  # strangers to ana: their mentions are held as requests
        call("POST", "/api/v1/statuses", name, data={"status": "@ana hello"})
    held = [r["id"] for r in call("GET", "/api/v1/notifications/requests")]
    assert len(held) == 2, held
    notes = call("GET", "/api/v1/notifications")
    groups = call("GET", "/api/v2/notifications")["notification_groups"]
    conversation = call("GET", "/api/v1/conversations")[0]
    announcement = kith.cli("admin", "announcement", "add", "Welcome!", "--as", "ana").split()[-1]
    # A blocklist served from this machine (dev mode lets Kith fetch from loopback), subscribed to
    # for review: its rows become shared entries to approve, reject and confirm.
    csv = b"#domain,#severity\nevil.example,suspend\nrude.example,silence\n"

    class Blocklist(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(csv)))
            self.end_headers()
            self.wfile.write(csv)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Blocklist)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    request.addfinalizer(server.shutdown)
    blocklist_url = f"http://127.0.0.1:{server.server_port}/blocklist.csv"
    subscription = call("POST", "/api/v1/admin/kith/blocklist_subscriptions", data={"url": blocklist_url})
    call("POST", f"/api/v1/admin/kith/blocklist_subscriptions/{subscription['id']}/refresh")
    entries = [e["id"] for e in call("GET", "/api/v1/admin/kith/shared_entries")]
    assert len(entries) == 2, entries

    values = {  # what each route's placeholder stands for, by route prefix (longest first)
        "/api/v1/accounts/": ids["bob"], "/api/v1/follow_requests/{id}/authorize": ids["cat"],
        "/api/v1/follow_requests/{id}/reject": ids["dan"], "/api/v1/polls/": poll["poll"]["id"],
        "/api/v1/scheduled_statuses/": scheduled["id"], "/api/v1/statuses/": post["id"],
        "/api/v1/lists/": lst["id"], "/api/v1/timelines/list/": lst["id"],
        "/api/v2/filters/keywords/": keyword["id"], "/api/v2/filters/statuses/": fstatus["id"],
        "/api/v2/filters/": filt["id"], "/api/v1/filters/": filt1["id"],
        "/api/v1/notifications/": notes[-1]["id"], "/api/v2/notifications/": groups[-1]["group_key"],
        "/api/v1/conversations/": conversation["id"], "/api/v1/tags/": "walk", "/api/v1/timelines/tag/": "walk",
        "/api/v1/media/": loose["id"], "/api/v1/admin/accounts/": ids["eve"],
        "/api/v1/admin/reports/": report["id"], "/api/v1/admin/statuses/": bobs[0],
        "/api/v1/admin/domain_blocks/": dblock["id"], "/api/v1/admin/domain_allows/": dallow["id"],
        "/api/v1/admin/invites/": invite["id"], "/api/v1/announcements/": announcement,
        "/api/v1/admin/kith/blocklist_subscriptions/": subscription["id"],
        "/api/v1/admin/kith/shared_entries/": entries[0],  # approved, then confirmed
        ("POST", "/api/v1/admin/kith/shared_entries/{id}/reject"): entries[1],
        "/api/v1/notifications/requests/": held[0], ("POST", "/api/v1/notifications/requests/{id}/dismiss"): held[1],
        ("POST", "/api/v1/admin/accounts/{id}/approve"): pending[0],
        ("POST", "/api/v1/admin/accounts/{id}/reject"): pending[1],
        "/api/v1/featured_tags/": featured["id"],
        ("GET", "/api/v1/accounts/{id}/endorsements"): ids["ana"],
        ("GET", "/api/v1/accounts/{id}/featured_tags"): ids["ana"],
        ("POST", "/api/v1/tags/{name}/feature"): "stroll", ("POST", "/api/v1/tags/{name}/unfeature"): "stroll",
        ("DELETE", "/api/v1/statuses/{id}"): spare, ("DELETE", "/api/v1/admin/statuses/{id}"): bobs[1],
    }
    params = {  # form parameters of the routes that need some
        ("POST", "/api/v1/apps"): {"client_name": "walk2", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
        ("POST", "/api/v1/admin/domain_blocks"): {"domain": "worse.example"},
        ("POST", "/api/v1/admin/domain_blocks/import"): {"csv": "#domain,#severity\nx.example,suspend\n"},
        ("PUT", "/api/v1/admin/domain_blocks/{id}"): {"severity": "silence"},
        ("POST", "/api/v1/admin/domain_allows"): {"domain": "better.example"},
        ("POST", "/api/v1/admin/kith/blocklist_subscriptions"): {"url": blocklist_url + "?again"},
        ("POST", "/api/v1/domain_blocks"): {"domain": "spam.example"},
        ("DELETE", "/api/v1/domain_blocks"): {"domain": "spam.example"},
        ("PATCH", "/api/v1/accounts/update_credentials"): {"note": "walking"},
        ("POST", "/api/v1/statuses"): {"status": "walked"},
        ("POST", "/api/v1/accounts/{id}/note"): {"comment": "walked by"},
        ("POST", "/api/v1/featured_tags"): {"name": "walked"},
        ("POST", "/api/v1/polls/{id}/votes"): {"choices[]": "0"},
        ("PUT", "/api/v1/scheduled_statuses/{id}"): {"scheduled_at": "2099-02-01T00:00:00Z"},
        ("PUT", "/api/v1/statuses/{id}"): {"status": "hello again #walk @bob"},
        ("POST", "/api/v1/lists"): {"title": "more"},
        ("PUT", "/api/v1/lists/{id}"): {"title": "friends!"},
        ("POST", "/api/v1/lists/{id}/accounts"): {"account_ids[]": ids["cat"]},
        ("DELETE", "/api/v1/lists/{id}/accounts"): {"account_ids[]": ids["cat"]},
        ("POST", "/api/v2/filters"): {"title": "more", "context[]": "public"},
        ("PUT", "/api/v2/filters/{id}"): {"title": "spoilers!"},
        ("POST", "/api/v2/filters/{id}/keywords"): {"keyword": "leak"},
        ("PUT", "/api/v2/filters/keywords/{id}"): {"keyword": "spoilers"},
        ("POST", "/api/v2/filters/{id}/statuses"): {"status_id": post["id"]},
        ("POST", "/api/v1/filters"): {"phrase": "dull", "context[]": "home"},
        ("PUT", "/api/v1/filters/{id}"): {"phrase": "boring!", "context[]": "home"},
        ("PATCH", "/api/v2/notifications/policy"): {"for_not_following": "accept"},
        ("PATCH", "/api/v1/notifications/policy"): {"filter_not_following": "false"},
        ("POST", "/api/v1/notifications/requests/accept"): {"id[]": "1"},
        ("POST", "/api/v1/notifications/requests/dismiss"): {"id[]": "1"},
        ("POST", "/api/v1/markers"): {"home[last_read_id]": post["id"]},
        ("POST", "/api/v1/media"): {"description": "again"},
        ("POST", "/api/v2/media"): {"description": "again"},
        ("PUT", "/api/v1/media/{id}"): {"description": "a gradient, blue"},
        ("POST", "/api/v1/reports"): {"account_id": ids["dan"]},
        ("POST", "/api/v1/admin/accounts/{id}/action"): {"type": "suspend"},
        ("POST", "/api/v1/admin/reports/{id}/notes"): {"content": "looked at it"},
        ("PUT", "/api/v1/admin/registrations"): {"mode": "open"},
        ("POST", "/api/v1/accounts"): {"username": "zed", "email": "zed@mail.example", "password": PASSWORD,
                                       "agreement": "true", "locale": "en"},
    }
    query = {
        ("GET", "/api/v1/accounts/search"): {"q": "bo"},
        ("GET", "/api/v1/accounts/familiar_followers"): {"id[]": ids["bob"]},
        ("GET", "/api/v1/accounts/lookup"): {"acct": "bob"},
        ("GET", "/api/v1/accounts/relationships"): {"id[]": ids["bob"]},
        ("GET", "/api/v2/search"): {"q": "walk"},
        ("GET", "/api/v1/markers"): {"timeline[]": "home"},
    }
    files = {("POST", p): {"file": ("b.png", png(4, 4), "image/png")} for p in ("/api/v1/media", "/api/v2/media")}

    two_placeholders = {
        ("PUT", "/api/v1/announcements/{id}/reactions/{name}"): f"/api/v1/announcements/{announcement}/reactions/👍",
        ("DELETE", "/api/v1/announcements/{id}/reactions/{name}"): f"/api/v1/announcements/{announcement}/reactions/👍",
    }

    def value(method, pattern):
        if (method, pattern) in values:
            return values[(method, pattern)]
        if pattern in values:
            return values[pattern]
        prefix = max((k for k in values if isinstance(k, str) and pattern.startswith(k)), key=len, default=None)
        assert prefix, f"{method} {pattern}: no value for its placeholder (add one, or a SKIP entry)"
        return values[prefix]

    def response_schema(method, pattern, status):
        op = paths.get(template(pattern), {}).get(method.lower())
        if op is None:
            return None
        responses = op.get("responses", {})
        res = responses.get(str(status)) or responses.get("200") or {}
        return ((res.get("content") or {}).get("application/json") or {}).get("schema", {})

    rows = endpoints()
    table = {(m, p) for m, p, _, _ in rows}
    stale = [r for d in (SKIP, EXPECTED, NOT_JSON, LAST, COMPONENTS) for r in d if r not in table]
    assert not stale, f"entries for routes no longer in ENDPOINTS: {stale}"
    order = {"GET": 0, "POST": 1, "PUT": 1, "PATCH": 1, "DELETE": 2}
    # Reads first, then writes in table order, then deletions (nested resources before their parent).
    rows.sort(key=lambda r: (((r[0], r[1]) in LAST) * 3 or order[r[0]], -len(r[1]) if r[0] == "DELETE" else 0))
    failures, not_in_schema, walked = [], [], 0
    for method, pattern, access, scope in rows:
        if (method, pattern) in SKIP:
            continue
        path = pattern
        if (method, pattern) in two_placeholders:
            path = two_placeholders[(method, pattern)]
        elif "{" in pattern:
            path = re.sub(r"\{[^}]+\}", lambda _: str(value(method, pattern)), pattern)
        headers = {}
        if access in ("Token", "AnyToken"):  # as an app does, with its own (client credentials) token
            headers["Authorization"] = f"Bearer {app_token(scope or 'read')}"
        elif access != "Public":
            headers["Authorization"] = f"Bearer {token(scope or 'read')}"
        res = requests.request(method, kith.base + path, headers=headers, timeout=30,
                               params=query.get((method, pattern)), data=params.get((method, pattern)),
                               files=files.get((method, pattern)))
        walked += 1
        if res.status_code in EXPECTED.get((method, pattern), ()):
            continue
        if not 200 <= res.status_code < 300:
            failures.append(f"{method} {path}: {res.status_code} {res.text[:200]}")
            continue
        if (method, pattern) in NOT_JSON:
            continue
        try:
            body = res.json()
        except ValueError:
            failures.append(f"{method} {path}: not JSON: {res.text[:100]!r}")
            continue
        schema = response_schema(method, pattern, res.status_code)
        if (method, pattern) in COMPONENTS:
            component = COMPONENTS[(method, pattern)]
            ref = component if isinstance(component, dict) else {"$ref": f"#/components/schemas/{component.removesuffix('[]')}"}
            schema = {"type": "array", "items": ref} if str(component).endswith("[]") else ref
        if schema is None:
            not_in_schema.append(f"{method} {pattern}")
            continue
        errors = sorted(jsonschema.Draft202012Validator({**schema, "components": spec["components"]})
                        .iter_errors(body), key=str)
        if errors:
            detail = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:160]}"
                               for e in errors[:5])
            failures.append(f"{method} {pattern}: {len(errors)} schema violation(s): {detail}")

    print(f"walked {walked} routes; not in the Mastodon schema (checked for JSON only):")
    print("\n".join(f"  {r}" for r in not_in_schema))
    assert not failures, f"{len(failures)} of {walked} routes failed:\n" + "\n".join(failures)


def test_the_api_doc_is_up_to_date_with_the_scope_table():
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "api-doc"), "--check"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
