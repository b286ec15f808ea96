"""Issue 11: lists and filters driven by Mastodon.py (a real third-party client library), with
every 200 body of the endpoints checked against the Mastodon OpenAPI schema (read raw, since
Mastodon.py turns times into datetimes)."""

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonAPIError, MastodonNotFoundError


def clients(kith, names):
    out = {}
    for name in names:
        token = kith.cli("admin", "token", name, "--scopes", "read write follow")
        api = Mastodon(access_token=token, api_base_url=kith.base, version_check_mode="none", request_timeout=30)
        out[name] = (api, {"Authorization": f"Bearer {token}"})
    return out


def raw(kith, auth, path):
    res = requests.get(kith.base + path, headers=auth, timeout=30)
    assert res.status_code == 200, f"GET {path}: {res.status_code} {res.text}"
    return res.json()


def test_lists_with_mastodon_py(kith_factory, conformance):
    kith = kith_factory(users=["ana", "bob", "cat"])
    c = clients(kith, ["ana", "bob", "cat"])
    ana, auth = c["ana"]
    bob, cat = c["bob"][0], c["cat"][0]
    bob_acct = ana.account_lookup("bob")
    cat_acct = ana.account_lookup("cat")
    ana.account_follow(bob_acct)

    friends = ana.list_create("Friends", replies_policy="followed", exclusive=False)
    assert friends.title == "Friends" and friends.replies_policy == "followed"
    conformance(raw(kith, auth, f"/api/v1/lists/{friends.id}"), "List")
    ana.list_accounts_add(friends, [bob_acct])
    # cat is not followed: Mastodon's 422.
    with pytest.raises(MastodonAPIError) as refused:
        ana.list_accounts_add(friends, [cat_acct])
    assert refused.value.args[1] == 422
    members = ana.list_accounts(friends)
    assert [a.id for a in members] == [bob_acct.id]
    conformance(raw(kith, auth, f"/api/v1/lists/{friends.id}/accounts"), "Account[]")
    assert [l.id for l in ana.account_lists(bob_acct)] == [friends.id]
    conformance(raw(kith, auth, f"/api/v1/accounts/{bob_acct.id}/lists"), "List[]")

    bob.status_post("bob in the list")
    cat.status_post("cat outside it")
    timeline = ana.timeline_list(friends)
    assert [s.content for s in timeline] == ["<p>bob in the list</p>"]
    conformance(raw(kith, auth, f"/api/v1/timelines/list/{friends.id}"), "Status[]")

    updated = ana.list_update(friends, "Close friends", replies_policy="none", exclusive=True)
    assert updated.title == "Close friends" and updated.exclusive is True
    home = [s.content for s in ana.timeline_home()]
    assert "<p>bob in the list</p>" not in home
    conformance(raw(kith, auth, "/api/v1/lists"), "List[]")

    ana.list_accounts_delete(friends, [bob_acct])
    assert ana.list_accounts(friends) == []
    ana.list_delete(friends)
    with pytest.raises(MastodonNotFoundError):
        ana.list(friends.id)


def test_filters_with_mastodon_py(kith_factory, conformance):
    kith = kith_factory(users=["ana", "bob"])
    c = clients(kith, ["ana", "bob"])
    ana, auth = c["ana"]
    bob = c["bob"][0]
    ana.account_follow(ana.account_lookup("bob"))
    bob.status_post("the finale was a spoiler")
    bob.status_post("an ordinary day")
    bob.status_post("rusty nails")

    warn = ana.create_filter_v2("Spoilers", ["home", "public"], "warn",
                                keywords_attributes=[{"keyword": "spoiler", "whole_word": True}])
    hide = ana.create_filter_v2("Ordinary", ["home"], "hide", expires_in=3600,
                                keywords_attributes=[{"keyword": "ordinary", "whole_word": True},
                                                     {"keyword": "rust", "whole_word": True}])
    conformance(raw(kith, auth, f"/api/v2/filters/{warn.id}"), "Filter")
    conformance(raw(kith, auth, "/api/v2/filters"), "Filter[]")
    conformance(raw(kith, auth, f"/api/v2/filters/{hide.id}/keywords"), "FilterKeyword[]")

    home = raw(kith, auth, "/api/v1/timelines/home")
    conformance(home, "Status[]")
    texts = [s["content"] for s in home]
    assert "<p>an ordinary day</p>" not in texts, "hidden in home"
    assert "<p>rusty nails</p>" in texts, "whole word: rust is not rusty"
    marked = next(s for s in home if "spoiler" in s["content"])
    assert marked["filtered"][0]["filter"]["id"] == warn.id
    assert marked["filtered"][0]["keyword_matches"] == ["spoiler"]
    for result in marked["filtered"]:
        conformance(result, "FilterResult")
    public = [s["content"] for s in raw(kith, auth, "/api/v1/timelines/public")]
    assert "<p>an ordinary day</p>" in public, "the hide filter is for home only"

    # Keywords: add, remove with _destroy through an update.
    kw = ana.add_filter_keyword_v2(warn, "twist", whole_word=False)
    conformance(raw(kith, auth, f"/api/v2/filters/keywords/{kw.id}"), "FilterKeyword")
    ana.update_filter_v2(warn, title="Spoilers!", keywords_attributes=[{"id": kw.id, "_destroy": True}])
    got = ana.filter_v2(warn)
    assert got.title == "Spoilers!" and [k.keyword for k in got.keywords] == ["spoiler"]
    # A status named by a filter.
    status = bob.status_post("a post to filter by id")
    fs = ana.add_filter_status_v2(warn, status)
    conformance(raw(kith, auth, f"/api/v2/filters/statuses/{fs.id}"), "FilterStatus")
    conformance(raw(kith, auth, f"/api/v2/filters/{warn.id}/statuses"), "FilterStatus[]")
    ana.delete_filter_status_v2(fs)

    # v1 on top of v2.
    v1 = ana.filter_create("election", ["home", "notifications"], irreversible=True, whole_word=True)
    assert v1.phrase == "election" and v1.irreversible is True
    conformance(raw(kith, auth, f"/api/v1/filters/{v1.id}"), "V1Filter")
    conformance(raw(kith, auth, "/api/v1/filters"), "V1Filter[]")
    assert "election" in [f.title for f in ana.filters_v2()]
    ana.filter_delete(v1)
    ana.delete_filter_v2(hide)
    assert [f.id for f in ana.filters_v2()] == [warn.id]
    home = [s["content"] for s in raw(kith, auth, "/api/v1/timelines/home")]
    assert "<p>an ordinary day</p>" in home, "back once the filter is gone"
