"""Issue 10 through a real client library: Mastodon.py reads Kith's rate-limit headers and
stops at the limit, and the moderation notifications (`admin.report` with its `report`,
`moderation_warning` with its `AccountWarning`) match the Mastodon API schema."""

import time

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonRatelimitError

from conftest import PASSWORD


def test_mastodon_py_reads_the_rate_limit_headers_and_stops_at_the_limit(kith_factory):
    kith = kith_factory(users=["ana"], env={"KITH_RATE_LIMIT_API": "3/5m", "KITH_RATE_LIMIT_EXEMPT_LOOPBACK": "false"})
    token = kith.cli("admin", "token", "ana", "--scopes", "read")
    api = Mastodon(access_token=token, api_base_url=kith.base, ratelimit_method="throw",
                   version_check_mode="none")
    for left in (2, 1, 0):
        assert api.account_verify_credentials()["username"] == "ana"
        assert api.ratelimit_limit == 3
        assert api.ratelimit_remaining == left
        assert api.ratelimit_reset > time.time()
    with pytest.raises(MastodonRatelimitError):
        api.account_verify_credentials()
    # The server refuses it too, whatever the client thinks.
    res = requests.get(kith.base + "/api/v1/accounts/verify_credentials",
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert res.status_code == 429
    assert res.json() == {"error": "Too many requests"}
    assert res.headers["X-RateLimit-Remaining"] == "0"
    assert int(res.headers["Retry-After"]) >= 1


def test_moderation_notifications_match_the_mastodon_schema(kith_factory, conformance):
    kith = kith_factory(users=["ana", "bob"], env={"KITH_RATE_LIMIT_EXEMPT_LOOPBACK": "false"})
    kith.cli("admin", "create-user", "modo", "--password", PASSWORD, "--role", "moderator")
    tokens = {name: kith.cli("admin", "token", name, "--scopes", "read write admin:read admin:write")
              for name in ("ana", "bob", "modo")}

    def call(method, path, who, **kw):
        res = requests.request(method, kith.base + path, timeout=30,
                               headers={"Authorization": f"Bearer {tokens[who]}"}, **kw)
        assert res.status_code == 200, f"{method} {path}: {res.status_code} {res.text}"
        assert "X-RateLimit-Remaining" in res.headers
        return res.json()

    ana = call("GET", "/api/v1/accounts/verify_credentials", "ana")
    post = call("POST", "/api/v1/statuses", "ana", data={"status": "buy my stuff"})
    report = call("POST", "/api/v1/reports", "bob",
                  data={"account_id": ana["id"], "status_ids[]": post["id"], "comment": "spam"})
    conformance(report, "Report")

    told = call("GET", "/api/v1/notifications", "modo")
    conformance(told, "Notification[]")
    assert told[0]["type"] == "admin.report"
    assert told[0]["report"]["id"] == report["id"]
    conformance(told[0]["report"], "Report")

    call("POST", f"/api/v1/admin/accounts/{ana['id']}/action", "modo",
         data={"type": "none", "report_id": report["id"], "text": "no ads here"})
    warned = call("GET", "/api/v1/notifications", "ana")
    conformance(warned, "Notification[]")
    assert warned[0]["type"] == "moderation_warning"
    warning = warned[0]["moderation_warning"]
    conformance(warning, "AccountWarning")
    assert warning["text"] == "no ads here"
    assert warning["target_account"]["id"] == ana["id"]
    assert warning["status_ids"] == [post["id"]]
    conformance(call("GET", f"/api/v1/notifications/{warned[0]['id']}", "ana"), "Notification")
