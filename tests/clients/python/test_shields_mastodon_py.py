"""Mastodon.py (a real third-party client library) uses Mastodon 4.3's notification policy and
notification requests on Kith: reads and changes the policy, sees a stranger's direct message
held as a request, accepts one, dismisses one, accepts and dismisses several at once, and every
200 body matches the Mastodon API schema (NotificationPolicy, V1NotificationPolicy,
NotificationRequest)."""

import requests
from mastodon import Mastodon


def login(kith, username: str):
    token = kith.cli("admin", "token", username, "--scopes", "read write follow")
    api = Mastodon(access_token=token, api_base_url=kith.base, version_check_mode="none",
                   request_timeout=30)
    return api, token


def raw(kith, token: str, path: str):
    res = requests.get(kith.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert res.status_code == 200, (path, res.status_code, res.text)
    return res.json()


def test_policy_and_requests_from_mastodon_py(kith_factory, conformance):
    kith = kith_factory(users=["ana", "mallory", "eve", "olaf", "pia"])
    ana, token = login(kith, "ana")
    mallory, _ = login(kith, "mallory")
    eve, _ = login(kith, "eve")

    policy = ana.notifications_policy()
    assert policy.for_private_mentions == "filter"
    assert policy.for_not_following == "accept"
    conformance(raw(kith, token, "/api/v2/notifications/policy"), "NotificationPolicy")
    conformance(raw(kith, token, "/api/v1/notifications/policy"), "V1NotificationPolicy")

    changed = ana.update_notifications_policy(for_not_following="filter", for_new_accounts="accept")
    assert changed.for_not_following == "filter"
    assert ana.notifications_policy().for_not_following == "filter"
    conformance(raw(kith, token, "/api/v2/notifications/policy"), "NotificationPolicy")

    # A stranger's direct message is a message request.
    dm = mallory.status_post("@ana hello, we have not met", visibility="direct")
    assert ana.notifications() == []
    held = ana.notification_requests()
    assert [r.account.acct for r in held] == ["mallory"]
    assert held[0].last_status.uri == dm.uri
    conformance(raw(kith, token, "/api/v1/notifications/requests"), "NotificationRequest[]")
    one = ana.notification_request(held[0])
    assert one.id == held[0].id
    conformance(raw(kith, token, f"/api/v1/notifications/requests/{held[0].id}"), "NotificationRequest")
    summary = ana.notifications_policy().summary
    assert (summary.pending_requests_count, summary.pending_notifications_count) == (1, 1)

    ana.accept_notification_request(held[0])
    notes = ana.notifications()
    assert [(n.type, n.account.acct, n.status.uri) for n in notes] == [("mention", "mallory", dm.uri)]
    assert dm.uri in [s.uri for s in ana.timeline_home()]
    assert ana.notification_requests() == []
    assert ana.notifications_merged() is True

    # Dismissed: gone, and the message never shows.
    spam = eve.status_post("@ana buy my thing", visibility="direct")
    ana.dismiss_notification_request(ana.notification_requests()[0])
    assert ana.notification_requests() == []
    assert spam.uri not in [s.uri for s in ana.timeline_home()]

    # Several at once: ana filters those she does not follow, two strangers mention her.
    for name in ("olaf", "pia"):
        who, _ = login(kith, name)
        who.status_post(f"@ana hi from {name}")
    both = ana.notification_requests()
    assert sorted(r.account.acct for r in both) == ["olaf", "pia"]
    ana.accept_multiple_notification_requests([both[0]])
    ana.dismiss_multiple_notification_requests([both[1]])
    assert ana.notification_requests() == []
    assert both[0].account.acct in [n.account.acct for n in ana.notifications()]
    assert both[1].account.acct not in [n.account.acct for n in ana.notifications()]
