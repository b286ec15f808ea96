"""Issue 11: the entities of the everyday client-API endpoints match the Mastodon OpenAPI schema."""

import requests


def test_everyday_endpoints_match_the_mastodon_schema(kith_factory, conformance, monkeypatch):
    monkeypatch.setenv("KITH_RULES", '["Be kind.", "No advertising."]')
    kith = kith_factory(users=["ana", "bob"])
    tokens = {name: kith.cli("admin", "token", name, "--scopes", "read write follow") for name in ("ana", "bob")}
    auth = {name: {"Authorization": f"Bearer {t}"} for name, t in tokens.items()}

    def call(method, path, who="ana", **kw):
        res = requests.request(method, kith.base + path, headers=auth[who] if who else {}, timeout=30, **kw)
        assert res.status_code == 200, f"{method} {path}: {res.status_code} {res.text}"
        return res.json()

    ana = call("GET", "/api/v1/accounts/verify_credentials")
    post = call("POST", "/api/v1/statuses", data={"status": "hello @bob", "visibility": "public"})
    sid = post["id"]
    call("PUT", f"/api/v1/statuses/{sid}", data={"status": "hello again @bob"})
    call("POST", f"/api/v1/statuses/{sid}/favourite", who="bob")
    call("POST", f"/api/v1/statuses/{sid}/reblog", who="bob")
    conformance(call("POST", f"/api/v1/statuses/{sid}/bookmark", who="bob"), "Status")
    conformance(call("POST", f"/api/v1/statuses/{sid}/pin"), "Status")
    conformance(call("GET", "/api/v1/bookmarks", who="bob"), "Status[]")
    conformance(call("GET", "/api/v1/favourites", who="bob"), "Status[]")
    conformance(call("GET", f"/api/v1/statuses/{sid}/favourited_by", who=None), "Account[]")
    conformance(call("GET", f"/api/v1/statuses/{sid}/reblogged_by", who=None), "Account[]")
    conformance(call("GET", f"/api/v1/statuses/{sid}/source"), "StatusSource")
    history = call("GET", f"/api/v1/statuses/{sid}/history", who=None)
    assert len(history) == 2
    conformance(history, "StatusEdit[]")
    conformance(call("GET", f"/api/v1/accounts/{ana['id']}/statuses?pinned=true", who=None), "Status[]")
    conformance(call("POST", f"/api/v1/statuses/{sid}/unpin"), "Status")

    notes = call("GET", "/api/v1/notifications")
    assert notes
    conformance(notes, "Notification[]")
    conformance(call("GET", f"/api/v1/notifications/{notes[0]['id']}"), "Notification")
    assert call("GET", "/api/v1/notifications/unread_count") == {"count": len(notes)}
    markers = call("POST", "/api/v1/markers", data={"home[last_read_id]": sid, "notifications[last_read_id]": notes[0]["id"]})
    for timeline in ("home", "notifications"):
        conformance(markers[timeline], "Marker")
    assert call("GET", "/api/v1/markers?timeline[]=notifications")["notifications"]["last_read_id"] == notes[0]["id"]

    anon = lambda path: call("GET", path, who=None)  # noqa: E731
    rules = anon("/api/v1/instance/rules")
    assert [r["text"] for r in rules] == ["Be kind.", "No advertising."]
    conformance(rules, "Rule[]")
    conformance(anon("/api/v1/custom_emojis"), "CustomEmoji[]")
    conformance(call("GET", "/api/v1/preferences"), "Preferences")
    conformance(anon("/api/v1/trends/statuses"), "Status[]")
    conformance(anon("/api/v1/trends/tags"), "Tag[]")
    conformance(anon("/api/v1/trends/links"), "TrendsLink[]")
    conformance(call("GET", "/api/v2/suggestions"), "Suggestion[]")
    conformance(call("GET", "/api/v1/endorsements"), "Account[]")
    conformance(anon(f"/api/v1/accounts/{ana['id']}/featured_tags"), "FeaturedTag[]")
    assert isinstance(anon("/api/v1/instance/peers"), list)
    weeks = anon("/api/v1/instance/activity")
    assert len(weeks) == 12 and weeks[0]["statuses"] == "1" and all(set(w) == {"week", "statuses", "logins", "registrations"} for w in weeks)
    found = call("GET", "/api/v1/accounts/search?q=bo")
    assert [a["acct"] for a in found] == ["bob"]
    conformance(found, "Account[]")
    bob = found[0]
    call("POST", f"/api/v1/accounts/{bob['id']}/follow")
    familiar = call("GET", f"/api/v1/accounts/familiar_followers?id[]={ana['id']}", who="bob")
    conformance(familiar, "FamiliarFollowers[]")
    call("POST", f"/api/v1/accounts/{bob['id']}/block")
    blocks = call("GET", "/api/v1/blocks")
    assert [a["id"] for a in blocks] == [bob["id"]]
    conformance(blocks, "Account[]")

    conformance(call("POST", f"/api/v1/accounts/{bob['id']}/mute", data={"duration": "3600"}), "Relationship")
    mutes = call("GET", "/api/v1/mutes")
    assert [a["id"] for a in mutes] == [bob["id"]]
    conformance(mutes, "Account[]")
    conformance(call("POST", f"/api/v1/accounts/{bob['id']}/unmute"), "Relationship")
    assert call("POST", "/api/v1/domain_blocks", data={"domain": "spam.example"}) == {}
    assert call("GET", "/api/v1/domain_blocks") == ["spam.example"]
    assert call("DELETE", "/api/v1/domain_blocks", data={"domain": "spam.example"}) == {}
    assert call("GET", "/api/v1/domain_blocks") == []
