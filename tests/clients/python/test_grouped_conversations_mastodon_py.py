"""Issue 11: Mastodon.py (a real third-party client) reads grouped notifications (v2),
conversations, followed tags and the tag timeline, and mutes a conversation; every 200 body
matches the Mastodon OpenAPI schema."""

from collections import Counter

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonNotFoundError


def test_grouped_notifications_conversations_and_tags(kith_factory, conformance):
    kith = kith_factory(users=["ana", "bob", "carl"])
    tokens = {n: kith.cli("admin", "token", n, "--scopes", "read write follow") for n in ("ana", "bob", "carl")}
    api = {n: Mastodon(access_token=t, api_base_url=kith.base) for n, t in tokens.items()}
    me = {n: api[n].account_verify_credentials() for n in api}

    def raw(path, who="ana"):
        res = requests.get(kith.base + path, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=30)
        assert res.status_code == 200, f"GET {path}: {res.status_code} {res.text}"
        return res.json()

    # Two favourites and two follows group; a mention stays alone.
    post = api["ana"].status_post("group me")
    for fan in ("bob", "carl"):
        api[fan].status_favourite(post)
        api[fan].account_follow(me["ana"])
    api["carl"].status_post("@ana hello")
    # The v1 list carries the same group keys: groups are read from it (a group spans an
    # hour of the clock, so a run across the hour makes two).
    expected = Counter(n.group_key for n in api["ana"].notifications(limit=80))
    assert sum(expected.values()) == 5

    grouped = api["ana"].grouped_notifications()
    got = {g.group_key: g.notifications_count for g in grouped.notification_groups}
    assert got == dict(expected)
    assert grouped.notification_groups[0].type == "mention"
    assert {str(a.id) for a in grouped.accounts} >= {str(me["bob"].id), str(me["carl"].id)}
    favourite = next(g for g in grouped.notification_groups if g.type == "favourite")
    assert str(favourite.status_id) == str(post.id)
    assert [s.id for s in grouped.statuses].count(post.id) == 1
    for query in ("", "?expand_accounts=partial_avatars", "?grouped_types[]=follow", "?types[]=favourite"):
        conformance(raw(f"/api/v2/notifications{query}"), "GroupedNotificationsResults")
    key = favourite.group_key
    one = api["ana"].grouped_notification(key)
    assert [g.group_key for g in one.notification_groups] == [key]
    conformance(raw(f"/api/v2/notifications/{key}"), "GroupedNotificationsResults")
    who = api["ana"].grouped_notification_accounts(key)
    assert len(who) == favourite.notifications_count
    conformance(raw(f"/api/v2/notifications/{key}/accounts"), "Account[]")
    assert api["ana"].unread_grouped_notifications_count() == len(expected)
    api["ana"].dismiss_grouped_notification(key)
    with pytest.raises(MastodonNotFoundError):
        api["ana"].grouped_notification(key)

    # A direct message: a conversation for both, unread for bob until he reads it.
    dm = api["ana"].status_post("@bob a secret", visibility="direct")
    conversations = api["bob"].conversations()
    assert len(conversations) == 1
    assert conversations[0].unread is True
    assert [str(a.id) for a in conversations[0].accounts] == [str(me["ana"].id)]
    assert conversations[0].last_status.id == dm.id
    conformance(raw("/api/v1/conversations", who="bob"), "Conversation[]")
    read = api["bob"].conversations_read(conversations[0])
    assert read.unread is False
    assert api["ana"].conversations()[0].unread is False

    # Followed tags, any spelling, bring public posts home; the tag timeline has them.
    tag = api["ana"].tag_follow("CAFÉ")
    assert tag.name == "cafe" and tag.following is True
    conformance(raw("/api/v1/tags/cafe"), "Tag")
    conformance(raw("/api/v1/followed_tags"), "Tag[]")
    assert [t.name for t in api["ana"].followed_tags()] == ["cafe"]
    bobs = api["bob"].status_post("an espresso at the #Café", visibility="public")
    assert bobs.id in [s.id for s in api["ana"].timeline_home()]
    assert [s.id for s in api["ana"].timeline_hashtag("cafe")] == [bobs.id]
    conformance(raw("/api/v1/timelines/tag/cafe"), "Status[]")

    # Muting a conversation: `muted`, and no notification about it.
    muted = api["ana"].status_mute(post)
    assert muted.muted is True
    conformance(raw(f"/api/v1/statuses/{post.id}"), "Status")
    before = len(api["ana"].notifications())
    api["bob"].status_reblog(post)
    assert len(api["ana"].notifications()) == before
    # No translator: 404, as Mastodon answers without one.
    with pytest.raises(MastodonNotFoundError):
        api["ana"].status_translate(post)
