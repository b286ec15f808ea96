"""Mastodon.py (a real third-party client library) makes a poll and votes in it, on one Kith and
across two (the vote travels to the poll's instance), schedules a status, and repeats a post
with an Idempotency-Key. Every entity is checked against the Mastodon API schema."""

import datetime
import time

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError


def client(kith, name: str) -> Mastodon:
    token = kith.cli("admin", "token", name, "--scopes", "read write follow")
    return Mastodon(access_token=token, api_base_url=kith.base, version_check_mode="none", request_timeout=30)


def eventually(what: str, check, timeout: float = 30):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_mastodon_py_makes_and_votes_in_a_poll(kith_factory, conformance):
    kith = kith_factory(users=["ana", "bo"])
    ana, bo = client(kith, "ana"), client(kith, "bo")

    status = ana.status_post("Tea or coffee?", poll=ana.make_poll(["tea", "coffee"], expires_in=600))
    raw = requests.get(f"{kith.base}/api/v1/statuses/{status.id}", timeout=10).json()
    conformance(raw, "Status")
    conformance(raw["poll"], "Poll")
    assert [o["title"] for o in raw["poll"]["options"]] == ["tea", "coffee"]

    poll = bo.poll_vote(status.poll.id, [1])
    assert poll.voted and poll.own_votes == [1]
    assert poll.options[1].votes_count == 1
    raw = requests.get(f"{kith.base}/api/v1/polls/{poll.id}",
                       headers={"Authorization": f"Bearer {bo.access_token}"}, timeout=10).json()
    conformance(raw, "Poll")

    with pytest.raises(MastodonAPIError) as twice:
        bo.poll_vote(status.poll.id, [0])
    assert "already voted" in str(twice.value)
    with pytest.raises(MastodonNotFoundError):
        bo.poll_vote("123456789", [0])
    with pytest.raises(MastodonAPIError):
        ana.status_post("too many", poll=ana.make_poll(["a", "b", "c", "d", "e"], expires_in=600))


def test_mastodon_py_votes_in_a_remote_poll(kith_factory, conformance):
    home = kith_factory(users=["ana"])
    other = kith_factory(users=["cy"])
    ana, cy = client(home, "ana"), client(other, "cy")
    found = cy.account_search(f"ana@{home.domain}", resolve=True)
    cy.account_follow(found[0].id)
    eventually("follow accepted", lambda: cy.account_relationships(found[0].id)[0].following)

    status = ana.status_post("Left or right?", poll=ana.make_poll(["left", "right"], expires_in=600))
    copy = eventually("the poll in cy's home",
                      lambda: next((s for s in cy.timeline_home() if s.uri == status.uri), None))
    assert [o.title for o in copy.poll.options] == ["left", "right"]
    cy.poll_vote(copy.poll.id, [0])
    counted = eventually("the vote counted on ana's instance",
                         lambda: (p := ana.poll(status.poll.id)).options[0].votes_count == 1 and p)
    conformance(requests.get(f"{home.base}/api/v1/polls/{counted.id}", timeout=10).json(), "Poll")
    assert ana.status_context(status.id).descendants == []


def test_mastodon_py_schedules_and_repeats_safely(kith_factory, conformance):
    kith = kith_factory(users=["ana"])
    ana = client(kith, "ana")
    at = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=15)
    scheduled = ana.status_post("later", scheduled_at=at)
    headers = {"Authorization": f"Bearer {ana.access_token}"}
    raw = requests.get(f"{kith.base}/api/v1/scheduled_statuses/{scheduled.id}", headers=headers, timeout=10).json()
    conformance(raw, "ScheduledStatus")
    assert [s.id for s in ana.scheduled_statuses()] == [scheduled.id]
    moved = ana.scheduled_status_update(scheduled.id, at + datetime.timedelta(hours=1))
    assert moved.scheduled_at > scheduled.scheduled_at
    ana.scheduled_status_delete(scheduled.id)
    assert ana.scheduled_statuses() == []
    with pytest.raises(MastodonAPIError):
        ana.status_post("too soon", scheduled_at=datetime.datetime.now(datetime.timezone.utc))

    first = ana.status_post("once", idempotency_key="same-key")
    again = ana.status_post("once", idempotency_key="same-key")
    assert first.id == again.id
    assert len(ana.account_statuses(ana.me().id)) == 1
