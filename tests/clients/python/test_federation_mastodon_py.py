"""Mastodon.py (a real third-party client library) drives two Kith instances that federate over
loopback: a follow of a locked account, posts of every visibility, a reply, a favourite and a
boost, an edit, a profile update, a delete and an unfollow, each checked on the receiving side,
and each visibility checked for who must not see it.

Instance A runs on KITH_TEST_BACKEND and instance B always on SQLite, so a PostgreSQL run
federates PostgreSQL with SQLite and a SQLite run SQLite with SQLite.

Every HTTP exchange is printed (pytest shows it when the test fails), and the instances' kith.log
files are kept in KITH_TEST_LOG_DIR on failure (see conftest)."""

import os
import time

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonError, MastodonNotFoundError

DEADLINE = 20  # seconds for anything that crosses from one instance to the other
SHOWN = int(os.environ.get("KITH_TEST_HTTP_CHARS", "600"))  # of each response body printed


def client(kith, username: str) -> Mastodon:
    """Mastodon.py logged in as `username` with a token from `kith admin token`."""
    token = kith.cli("admin", "token", username, "--scopes", "read write follow")
    label = f"{username}@{kith.domain}"
    session = requests.Session()

    def show(res, *args, **kwargs):
        body = res.request.body
        if isinstance(body, bytes):
            body = body.decode(errors="replace")
        print(f"[{label}] {res.request.method} {res.request.url}"
              f"{' ' + body[:300] if body else ''} -> {res.status_code} {res.text[:SHOWN]}")

    session.hooks["response"].append(show)
    return Mastodon(access_token=token, api_base_url=kith.base, session=session,
                    version_check_mode="none", request_timeout=30)


def eventually(what: str, probe, timeout: float = DEADLINE):
    """Polls probe() until it returns something truthy, and returns that; library errors count
    as "not yet". Fails with the last value or error after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            value = probe()
            if value:
                return value
            last = value
        except MastodonError as e:
            last = e
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s; last: {last!r}")
        time.sleep(0.25)


def not_found(call) -> bool:
    try:
        call()
    except MastodonNotFoundError:
        return True
    return False


def by_uri(statuses, uri):
    return next((s for s in statuses if s.uri == uri), None)


def test_two_instances_federate_through_mastodon_py(kith_factory):
    a = kith_factory(users=["ana", "cy"])
    b = kith_factory(backend="sqlite", users=["bo"])
    ana, cy, bo = client(a, "ana"), client(a, "cy"), client(b, "bo")
    bo_me = bo.account_verify_credentials()
    assert bo.account_update_credentials(locked=True).locked is True

    # Ana finds bo on the other instance and asks to follow him; he is locked, so she waits.
    bo_acct = f"bo@{b.domain}"
    found = ana.search_v2(f"@{bo_acct}", resolve=True)
    assert [acc.acct for acc in found.accounts] == [bo_acct], found
    bo_at_a = found.accounts[0]
    assert bo_at_a.locked is True, bo_at_a
    rel = ana.account_follow(bo_at_a)
    assert rel.requested is True and rel.following is False, rel

    # Bo sees the request, from ana on A, and approves it.
    ana_acct = f"ana@{a.domain}"
    requests_ = eventually("ana's follow request reaches bo", bo.follow_requests)
    assert [acc.acct for acc in requests_] == [ana_acct], requests_
    ana_at_b = requests_[0]
    assert eventually("follow_request notification",
                      lambda: bo.notifications(types=["follow_request"]))[0].account.acct == ana_acct
    approved = bo.follow_request_authorize(ana_at_b)
    assert approved.followed_by is True, approved
    assert bo.follow_requests() == []
    eventually("bo's Accept reaches ana",
               lambda: ana.account_relationships(bo_at_a)[0].following is True)
    assert [acc.acct for acc in bo.account_followers(bo_me)] == [ana_acct]

    # Bo posts with each visibility; the direct one is to ana.
    texts = {
        "public": "hello fediverse",
        "unlisted": "a quieter hello",
        "private": "for followers only",
        "direct": f"just for you @{ana_acct}",
    }
    posted = {}
    for vis, text in texts.items():
        s = bo.status_post(text, visibility=vis)
        assert s.visibility == vis, s
        posted[vis] = s
    at_a = {}  # bo's posts as ana's instance knows them
    for vis, s in posted.items():
        arrived = eventually(f"bo's {vis} post in ana's home timeline",
                             lambda uri=s.uri: by_uri(ana.timeline_home(limit=40), uri))
        assert arrived.visibility == vis, arrived
        assert texts[vis].split("@")[0].strip() in arrived.content, arrived
        assert arrived.account.acct == bo_acct, arrived
        at_a[vis] = arrived
    mention = eventually("mention notification for ana",
                         lambda: ana.notifications(types=["mention"]))
    assert [n.status.uri for n in mention] == [posted["direct"].uri], mention

    # Cy, on ana's instance but following nobody, sees only what is public.
    assert cy.status(at_a["public"]).uri == posted["public"].uri
    assert cy.status(at_a["unlisted"]).uri == posted["unlisted"].uri
    for vis in ("private", "direct"):
        with pytest.raises(MastodonNotFoundError):
            cy.status(at_a[vis])
        assert ana.status(at_a[vis]).uri == posted[vis].uri
    profile = cy.account_statuses(bo_at_a)
    assert sorted(s.uri for s in profile) == sorted(posted[v].uri for v in ("public", "unlisted")), profile
    assert cy.timeline_home() == []
    # The federated timeline has only the public post, for cy and for ana, who follows bo.
    for viewer in (cy, ana):
        federated = viewer.timeline_public(remote=True)
        assert [s.uri for s in federated if s.account.acct == bo_acct] == [posted["public"].uri], federated

    # Ana replies; the reply reaches bo and threads under his post.
    reply = ana.status_post(f"@{bo_acct} welcome!", in_reply_to_id=at_a["public"])
    assert str(reply.in_reply_to_id) == str(at_a["public"].id), reply
    ctx = eventually("ana's reply in bo's thread",
                     lambda: bo.status_context(posted["public"]).descendants)
    assert [s.uri for s in ctx] == [reply.uri], ctx
    assert "welcome!" in ctx[0].content and ctx[0].account.acct == ana_acct, ctx

    # Ana favourites and boosts the public post: bo is told of both and the counts show them.
    assert ana.status_favourite(at_a["public"]).favourited is True
    boost = ana.status_reblog(at_a["public"])
    assert boost.reblog.uri == posted["public"].uri and boost.reblog.reblogged is True, boost
    assert boost.reblogged is True, "the boost itself shows the viewer boosted (as on Mastodon)"
    for kind in ("favourite", "reblog"):
        notes = eventually(f"{kind} notification for bo", lambda kind=kind: bo.notifications(types=[kind]))
        assert [(n.type, n.account.acct, n.status.uri) for n in notes] == \
            [(kind, ana_acct, posted["public"].uri)], notes
    counted = bo.status(posted["public"])
    assert (counted.favourites_count, counted.reblogs_count) == (1, 1), counted

    # Bo edits the post and his profile: ana sees both.
    edited = bo.status_update(posted["public"], status="edited text")
    assert "edited text" in edited.content and edited.edited_at is not None, edited
    seen = eventually("the edit reaches ana",
                      lambda: (now := ana.status(at_a["public"])) and "edited text" in now.content and now)
    assert seen.edited_at is not None, seen
    assert bo.account_update_credentials(display_name="Bo B.").display_name == "Bo B."
    eventually("bo's new display name reaches ana",
               lambda: ana.account(bo_at_a).display_name == "Bo B.")

    # Bo deletes the followers-only post: it is gone for ana too.
    bo.status_delete(posted["private"])
    eventually("the delete reaches ana", lambda: not_found(lambda: ana.status(at_a["private"])))
    assert by_uri(ana.timeline_home(limit=40), posted["private"].uri) is None
    assert ana.status(at_a["public"]).uri == posted["public"].uri, "only the deleted post went"

    # Ana unfollows: bo's side forgets her.
    assert ana.account_unfollow(bo_at_a).following is False
    eventually("the unfollow reaches bo", lambda: bo.account_followers(bo_me) == [])
    assert bo.account_relationships(ana_at_b)[0].followed_by is False
