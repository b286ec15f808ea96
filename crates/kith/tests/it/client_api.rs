//! Issue 11: the client-API endpoints apps call every day — bookmarks, favourites, pins, who
//! favourited or boosted, source and edit history, notifications, markers, and the start-up
//! documents — on both backends, shapes as Mastodon documents them.

use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use reqwest::Method;
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The `max_id` of a response's `rel="next"` link.
fn next_max_id(res: &reqwest::Response) -> String {
    let link = res.headers()["link"].to_str().unwrap().to_owned();
    let next = link
        .split(',')
        .find(|l| l.contains("rel=\"next\""))
        .unwrap();
    let url = next
        .trim()
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap();
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "max_id")
        .unwrap()
        .1
        .into_owned()
}

async fn post(u: &User, text: &str, visibility: &str) -> String {
    u.post(
        "/api/v1/statuses",
        json!({"status": text, "visibility": visibility}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favourites_and_bookmarks_page_by_their_own_ids_and_stay_visible_only() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let a1 = post(&ana, "one", "public").await;
        let a2 = post(&ana, "two", "public").await;
        let a3 = post(&ana, "three", "public").await;
        // Favourited in another order than posted: the list follows the favourites.
        for id in [&a1, &a3, &a2] {
            bob.post(&format!("/api/v1/statuses/{id}/favourite"), json!({}))
                .await;
        }
        let res = bob.get("/api/v1/favourites?limit=2").await;
        assert_eq!(res.status(), 200);
        let max_id = next_max_id(&res);
        let page: Value = res.json().await.unwrap();
        assert_eq!(ids(&page), [a2.as_str(), a3.as_str()]);
        assert_eq!(page[0]["favourited"], true);
        let rest = bob
            .json(&format!("/api/v1/favourites?limit=2&max_id={max_id}"))
            .await;
        assert_eq!(ids(&rest), [a1.as_str()]);

        // Bookmarks: private to bob, newest bookmark first, and undone.
        let marked = bob
            .post(&format!("/api/v1/statuses/{a2}/bookmark"), json!({}))
            .await;
        assert_eq!(marked["bookmarked"], true);
        bob.post(&format!("/api/v1/statuses/{a1}/bookmark"), json!({}))
            .await;
        // Twice is once.
        bob.post(&format!("/api/v1/statuses/{a1}/bookmark"), json!({}))
            .await;
        assert_eq!(
            ids(&bob.json("/api/v1/bookmarks").await),
            [a1.as_str(), a2.as_str()]
        );
        assert_eq!(
            ids(&ana.json("/api/v1/bookmarks").await),
            Vec::<String>::new()
        );
        let unmarked = bob
            .post(&format!("/api/v1/statuses/{a1}/unbookmark"), json!({}))
            .await;
        assert_eq!(unmarked["bookmarked"], false);
        assert_eq!(ids(&bob.json("/api/v1/bookmarks").await), [a2.as_str()]);

        // Who favourited, who boosted.
        bob.post(&format!("/api/v1/statuses/{a1}/reblog"), json!({}))
            .await;
        let favers = ana
            .json(&format!("/api/v1/statuses/{a1}/favourited_by"))
            .await;
        assert_eq!(ids(&favers), [bob.id.as_str()]);
        let boosters = client()
            .get(i.url(&format!("/api/v1/statuses/{a1}/reblogged_by")))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(ids(&boosters), [bob.id.as_str()]);
        assert_eq!(boosters[0]["acct"], "bob");

        // A followers-only post: bob may bookmark it while he follows ana, and it leaves his
        // lists when he stops; strangers learn nothing about it.
        let secret = post(&ana, "for followers", "private").await;
        assert_eq!(
            bob.status_code(Method::POST, &format!("/api/v1/statuses/{secret}/bookmark"))
                .await,
            404
        );
        bob.post(&format!("/api/v1/accounts/{}/follow", ana.id), json!({}))
            .await;
        bob.post(&format!("/api/v1/statuses/{secret}/bookmark"), json!({}))
            .await;
        bob.post(&format!("/api/v1/statuses/{secret}/favourite"), json!({}))
            .await;
        assert_eq!(ids(&bob.json("/api/v1/bookmarks").await)[0], secret);
        assert_eq!(ids(&bob.json("/api/v1/favourites").await)[0], secret);
        let anonymous = client()
            .get(i.url(&format!("/api/v1/statuses/{secret}/favourited_by")))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 404);
        bob.post(&format!("/api/v1/accounts/{}/unfollow", ana.id), json!({}))
            .await;
        assert!(!ids(&bob.json("/api/v1/bookmarks").await).contains(&secret));
        assert!(!ids(&bob.json("/api/v1/favourites").await).contains(&secret));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_are_ones_own_public_posts_at_most_five() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let mut mine = Vec::new();
        for n in 0..6 {
            mine.push(post(&ana, &format!("post {n}"), "public").await);
        }
        let unpinned = ana.json(&format!("/api/v1/statuses/{}", mine[0])).await;
        assert_eq!(unpinned["pinned"], false);
        for id in &mine[..5] {
            let pinned = ana
                .post(&format!("/api/v1/statuses/{id}/pin"), json!({}))
                .await;
            assert_eq!(pinned["pinned"], true);
        }
        // Pinning a pinned post again is no new pin.
        ana.post(&format!("/api/v1/statuses/{}/pin", mine[0]), json!({}))
            .await;
        let sixth = format!("/api/v1/statuses/{}/pin", mine[5]);
        assert_eq!(ana.status_code(Method::POST, &sixth).await, 422);
        // Not someone else's post, nor a followers-only one.
        let bobs = post(&bob, "bob's", "public").await;
        let theirs = format!("/api/v1/statuses/{bobs}/pin");
        assert_eq!(ana.status_code(Method::POST, &theirs).await, 422);
        let private = post(&ana, "followers", "private").await;
        let private = format!("/api/v1/statuses/{private}/pin");
        ana.post(&format!("/api/v1/statuses/{}/unpin", mine[4]), json!({}))
            .await;
        assert_eq!(ana.status_code(Method::POST, &private).await, 422);

        // The profile's pinned posts, for anyone, most recently pinned first.
        let pinned: Value = client()
            .get(i.url(&format!("/api/v1/accounts/{}/statuses?pinned=true", ana.id)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let expected: Vec<String> = mine[..4].iter().rev().cloned().collect();
        assert_eq!(ids(&pinned), expected);
        // `pinned` is the author's to see.
        let seen_by_bob = bob.json(&format!("/api/v1/statuses/{}", mine[0])).await;
        assert!(seen_by_bob["pinned"].is_null());
        let unpinned = ana.json(&format!("/api/v1/statuses/{}", mine[4])).await;
        assert_eq!(unpinned["pinned"], false);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_keeps_every_version_and_source_is_the_authors() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let id = post(&ana, "first", "public").await;
        let history = bob.json(&format!("/api/v1/statuses/{id}/history")).await;
        assert_eq!(history.as_array().unwrap().len(), 1);
        for text in ["second", "third & last"] {
            let res = client()
                .put(i.url(&format!("/api/v1/statuses/{id}")))
                .bearer_auth(&ana.token)
                .json(&json!({"status": text, "spoiler_text": "cw"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
        }
        let history = bob.json(&format!("/api/v1/statuses/{id}/history")).await;
        let contents: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["content"].as_str().unwrap())
            .collect();
        assert_eq!(
            contents,
            ["<p>first</p>", "<p>second</p>", "<p>third &amp; last</p>"]
        );
        assert_eq!(history[0]["spoiler_text"], "");
        assert_eq!(history[2]["spoiler_text"], "cw");
        assert_eq!(history[2]["account"]["id"], ana.id);
        let times: Vec<&str> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["created_at"].as_str().unwrap())
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");

        let source = ana.json(&format!("/api/v1/statuses/{id}/source")).await;
        assert_eq!(
            source,
            json!({"id": id, "text": "third & last", "spoiler_text": "cw"})
        );
        let path = format!("/api/v1/statuses/{id}/source");
        assert_eq!(bob.status_code(Method::GET, &path).await, 404);
        // A followers-only post's history is as hidden as the post.
        let secret = post(&ana, "hidden", "private").await;
        let path = format!("/api/v1/statuses/{secret}/history");
        assert_eq!(bob.status_code(Method::GET, &path).await, 404);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_are_read_one_by_one_dismissed_cleared_and_counted_from_the_marker() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let a1 = post(&ana, "one", "public").await;
        bob.post(&format!("/api/v1/statuses/{a1}/favourite"), json!({}))
            .await;
        bob.post(&format!("/api/v1/accounts/{}/follow", ana.id), json!({}))
            .await;
        post(&bob, "hi @ana", "public").await;
        let all = ana.json("/api/v1/notifications").await;
        let kinds: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["mention", "follow", "favourite"]);
        let ids = ids(&all);
        // Filters.
        let only = ana
            .json("/api/v1/notifications?types[]=follow&types[]=mention")
            .await;
        assert_eq!(only.as_array().unwrap().len(), 2);
        let without = ana
            .json("/api/v1/notifications?exclude_types[]=mention")
            .await;
        assert_eq!(without[0]["type"], "follow");
        // Paging forward from the oldest with min_id.
        let newer = ana
            .json(&format!("/api/v1/notifications?min_id={}&limit=1", ids[2]))
            .await;
        assert_eq!(newer[0]["id"], ids[1].as_str());

        // One by one; someone else's is not found.
        let one = ana.json(&format!("/api/v1/notifications/{}", ids[2])).await;
        assert_eq!(one["type"], "favourite");
        assert_eq!(one["status"]["id"], a1.as_str());
        let path = format!("/api/v1/notifications/{}", ids[2]);
        assert_eq!(bob.status_code(Method::GET, &path).await, 404);
        let dismiss = format!("/api/v1/notifications/{}/dismiss", ids[2]);
        assert_eq!(bob.status_code(Method::POST, &dismiss).await, 404);

        // Unread: all three until the marker moves; then only the newer ones.
        let count = ana.json("/api/v1/notifications/unread_count").await;
        assert_eq!(count, json!({"count": 3}));
        let marked = ana
            .post(
                "/api/v1/markers",
                json!({"notifications": {"last_read_id": ids[1]}}),
            )
            .await;
        assert_eq!(marked["notifications"]["last_read_id"], ids[1].as_str());
        assert_eq!(marked["notifications"]["version"], 1);
        assert!(marked.get("home").is_none());
        let count = ana.json("/api/v1/notifications/unread_count").await;
        assert_eq!(count, json!({"count": 1}));
        let count = ana
            .json("/api/v1/notifications/unread_count?types[]=follow")
            .await;
        assert_eq!(count, json!({"count": 0}));

        assert_eq!(ana.post(&dismiss, json!({})).await, json!({}));
        assert_eq!(ana.status_code(Method::GET, &path).await, 404);
        assert_eq!(
            ana.json("/api/v1/notifications")
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            ana.post("/api/v1/notifications/clear", json!({})).await,
            json!({})
        );
        assert_eq!(ana.json("/api/v1/notifications").await, json!([]));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markers_are_stored_per_account_and_counted_in_versions() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let none = ana
            .json("/api/v1/markers?timeline[]=home&timeline[]=notifications")
            .await;
        assert_eq!(none, json!({}));
        // A Rails-style form, as Mastodon.py sends it.
        let res = client()
            .post(i.url("/api/v1/markers"))
            .bearer_auth(&ana.token)
            .form(&[
                ("home[last_read_id]", "103"),
                ("notifications[last_read_id]", "7"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        ana.post("/api/v1/markers", json!({"home": {"last_read_id": "104"}}))
            .await;
        let both = ana
            .json("/api/v1/markers?timeline[]=home&timeline[]=notifications")
            .await;
        assert_eq!(both["home"]["last_read_id"], "104");
        assert_eq!(both["home"]["version"], 2);
        assert_eq!(both["notifications"]["last_read_id"], "7");
        assert!(both["home"]["updated_at"].as_str().unwrap().ends_with('Z'));
        let home_only = ana.json("/api/v1/markers?timeline[]=home").await;
        assert!(home_only.get("notifications").is_none());
        assert_eq!(bob.json("/api/v1/markers?timeline[]=home").await, json!({}));
        let res = client()
            .post(i.url("/api/v1/markers"))
            .bearer_auth(&ana.token)
            .json(&json!({"home": {"last_read_id": "not an id"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_documents_rules_activity_and_the_empty_lists() {
    for db in kith_storage::testing::TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let i = Instance::start_with(&db, |c| {
            c.rules = vec!["Be kind.".into(), "No advertising.".into()]
        })
        .await;
        let ana = User::new(&i, "ana").await;
        let anonymous = |path: &str| {
            let url = i.url(path);
            async move {
                let res = client().get(url).send().await.unwrap();
                assert_eq!(res.status(), 200);
                res.json::<Value>().await.unwrap()
            }
        };
        let rules = anonymous("/api/v1/instance/rules").await;
        assert_eq!(
            rules,
            json!([{"id": "1", "text": "Be kind.", "hint": ""},
                   {"id": "2", "text": "No advertising.", "hint": ""}])
        );
        assert_eq!(anonymous("/api/v2/instance").await["rules"], rules);
        assert_eq!(anonymous("/api/v1/instance").await["rules"], rules);

        // This week: one registration, one sign-in (ana's token), two posts (not the boost).
        let one = post(&ana, "one", "public").await;
        post(&ana, "two", "private").await;
        ana.post(&format!("/api/v1/statuses/{one}/reblog"), json!({}))
            .await;
        let weeks = anonymous("/api/v1/instance/activity").await;
        let weeks = weeks.as_array().unwrap();
        assert_eq!(weeks.len(), 12);
        assert_eq!(weeks[0]["statuses"], "2");
        assert_eq!(weeks[0]["logins"], "1");
        assert_eq!(weeks[0]["registrations"], "1");
        assert_eq!(weeks[1]["statuses"], "0");
        let starts: Vec<i64> = weeks
            .iter()
            .map(|w| w["week"].as_str().unwrap().parse().unwrap())
            .collect();
        assert!(starts.windows(2).all(|w| w[0] - w[1] == 7 * 86_400));
        let now = chrono::Utc::now().timestamp();
        assert!(starts[0] <= now && now - starts[0] < 7 * 86_400);
        assert_eq!((starts[0] / 86_400 + 3) % 7, 0, "weeks start on Monday");

        for path in [
            "/api/v1/custom_emojis",
            "/api/v1/trends",
            "/api/v1/trends/tags",
            "/api/v1/trends/statuses",
            "/api/v1/trends/links",
            "/api/v1/instance/peers",
        ] {
            assert_eq!(anonymous(path).await, json!([]), "{path}");
        }
        for path in [
            "/api/v1/suggestions",
            "/api/v2/suggestions",
            "/api/v1/endorsements",
        ] {
            assert_eq!(ana.json(path).await, json!([]), "{path}");
        }
        let featured = format!("/api/v1/accounts/{}/featured_tags", ana.id);
        assert_eq!(anonymous(&featured).await, json!([]));
        assert_eq!(
            ana.status_code(Method::GET, "/api/v1/accounts/1/featured_tags")
                .await,
            404
        );
        let prefs = ana.json("/api/v1/preferences").await;
        assert_eq!(prefs["posting:default:visibility"], "public");
        assert_eq!(prefs["reading:expand:spoilers"], false);
        i.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_searched_blocks_listed_and_familiar_followers_found() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let bea = User::new(i, "beatrix").await;
        let cy = User::new(i, "cy").await;
        let res = client()
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&cy.token)
            .form(&[("display_name", "Cy the Bold")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);

        let names = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|a| a["acct"].as_str().unwrap().to_owned())
                .collect()
        };
        // By the start of the username, or a part of the display name; case does not matter.
        assert_eq!(
            names(&ana.json("/api/v1/accounts/search?q=B").await),
            ["beatrix", "bob", "cy"]
        );
        assert_eq!(
            names(&ana.json("/api/v1/accounts/search?q=%40bo").await),
            ["bob", "cy"]
        );
        assert_eq!(
            names(
                &ana.json("/api/v1/accounts/search?q=b&limit=1&offset=1")
                    .await
            ),
            ["bob"]
        );
        let own_domain = format!("/api/v1/accounts/search?q=bob%40{}", i.domain);
        assert_eq!(names(&ana.json(&own_domain).await), ["bob"]);
        // LIKE wildcards are taken literally; the instance actor is never found.
        assert_eq!(ana.json("/api/v1/accounts/search?q=%25").await, json!([]));
        let actor = format!("/api/v1/accounts/search?q={}", i.domain);
        assert!(!names(&ana.json(&actor).await)
            .iter()
            .any(|n| n.contains(&i.domain)));
        // Only the people followed.
        ana.post(&format!("/api/v1/accounts/{}/follow", bob.id), json!({}))
            .await;
        assert_eq!(
            names(&ana.json("/api/v1/accounts/search?q=b&following=true").await),
            ["bob"]
        );

        // Familiar followers: whom ana follows among cy's followers.
        ana.post(&format!("/api/v1/accounts/{}/follow", bea.id), json!({}))
            .await;
        for who in [&bob, &bea] {
            who.post(&format!("/api/v1/accounts/{}/follow", cy.id), json!({}))
                .await;
        }
        let path = format!(
            "/api/v1/accounts/familiar_followers?id[]={}&id[]={}",
            cy.id, bob.id
        );
        let familiar = ana.json(&path).await;
        assert_eq!(familiar[0]["id"], cy.id.as_str());
        let mut found = names(&familiar[0]["accounts"]);
        found.sort();
        assert_eq!(found, ["beatrix", "bob"]);
        assert_eq!(familiar[1]["accounts"], json!([]));

        // Blocks, newest first, paged with Link headers.
        for who in [&bob, &cy] {
            ana.post(&format!("/api/v1/accounts/{}/block", who.id), json!({}))
                .await;
        }
        let res = ana.get("/api/v1/blocks?limit=1").await;
        let max_id = next_max_id(&res);
        assert_eq!(names(&res.json().await.unwrap()), ["cy"]);
        let rest = ana
            .json(&format!("/api/v1/blocks?limit=1&max_id={max_id}"))
            .await;
        assert_eq!(names(&rest), ["bob"]);
        assert_eq!(bob.json("/api/v1/blocks").await, json!([]));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_search_resolves_remote_handles_and_peers_list_known_domains() {
    let mut dbs = kith_storage::testing::TestDatabase::each_backend();
    let db_b = if dbs.len() > 1 {
        dbs.pop().unwrap()
    } else {
        kith_storage::testing::TestDatabase::sqlite()
    };
    let db_a = dbs.pop().unwrap();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let bo = User::new(&b, "bo").await;
    let handle = format!("bo@{}", b.domain);
    let path = |resolve: bool| {
        format!(
            "/api/v1/accounts/search?q={}&resolve={resolve}",
            crate::rig::urlencode(&handle)
        )
    };
    // Not known yet, and not looked up without `resolve`.
    assert_eq!(ana.json(&path(false)).await, json!([]));
    let found = ana.json(&path(true)).await;
    assert_eq!(found[0]["acct"], handle.as_str(), "{found}");
    assert_ne!(found[0]["id"], bo.id.as_str());
    // Known now: found by a prefix of the handle, and its domain is a peer.
    let prefix = format!(
        "/api/v1/accounts/search?q={}",
        crate::rig::urlencode(&format!("b@{}", &b.domain[..4]))
    );
    assert_eq!(ana.json(&prefix).await[0]["acct"], handle.as_str());
    let peers: Value = client()
        .get(a.url("/api/v1/instance/peers"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(peers, json!([b.domain]));
    a.stop().await;
    b.stop().await;
}

fn notifications_of_kind(list: &Value, kind: &str) -> usize {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == kind)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutes_quiet_home_and_notifications_until_unmuted_or_expired() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let cy = User::new(i, "cy").await;
        ana.post(&format!("/api/v1/accounts/{}/follow", bob.id), json!({}))
            .await;
        let bobs = post(&bob, "from bob", "public").await;
        let mine = post(&ana, "ana's", "public").await;
        assert!(ids(&ana.json("/api/v1/timelines/home").await).contains(&bobs));

        let rel = ana
            .post(&format!("/api/v1/accounts/{}/mute", bob.id), json!({}))
            .await;
        assert_eq!(rel["muting"], true);
        assert_eq!(rel["muting_notifications"], true);
        assert!(rel["muting_expires_at"].is_null());
        assert!(!ids(&ana.json("/api/v1/timelines/home").await).contains(&bobs));
        assert_eq!(ids(&ana.json("/api/v1/mutes").await), [bob.id.as_str()]);
        // The gate drops bob's notifications while he is muted.
        bob.post(&format!("/api/v1/statuses/{mine}/favourite"), json!({}))
            .await;
        let notes = ana.json("/api/v1/notifications").await;
        assert_eq!(notifications_of_kind(&notes, "favourite"), 0);

        // Unmuted: his posts come back, and his notifications arrive again.
        let rel = ana
            .post(&format!("/api/v1/accounts/{}/unmute", bob.id), json!({}))
            .await;
        assert_eq!(rel["muting"], false);
        assert!(ids(&ana.json("/api/v1/timelines/home").await).contains(&bobs));
        assert_eq!(ana.json("/api/v1/mutes").await, json!([]));
        bob.post(&format!("/api/v1/statuses/{mine}/reblog"), json!({}))
            .await;
        let notes = ana.json("/api/v1/notifications").await;
        assert_eq!(notifications_of_kind(&notes, "reblog"), 1);

        // notifications=false: posts hidden, notifications kept; with a duration.
        let res = client()
            .post(i.url(&format!("/api/v1/accounts/{}/mute", bob.id)))
            .bearer_auth(&ana.token)
            .form(&[("notifications", "false"), ("duration", "3600")])
            .send()
            .await
            .unwrap();
        let rel: Value = res.json().await.unwrap();
        assert_eq!(rel["muting"], true);
        assert_eq!(rel["muting_notifications"], false);
        assert!(rel["muting_expires_at"].as_str().unwrap().ends_with('Z'));
        assert!(!ids(&ana.json("/api/v1/timelines/home").await).contains(&bobs));
        post(&bob, "@ana still there", "public").await;
        let notes = ana.json("/api/v1/notifications").await;
        assert_eq!(notifications_of_kind(&notes, "mention"), 1);

        // A mute past its end is no mute.
        let (ana_id, cy_id): (i64, i64) = (ana.id.parse().unwrap(), cy.id.parse().unwrap());
        let past = kith_storage::now() - chrono::Duration::minutes(1);
        i.context
            .db
            .write(move |c| kith_storage::mutes::mute(c, ana_id, cy_id, true, Some(past)))
            .await
            .unwrap();
        let rel = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={}", cy.id))
            .await;
        assert_eq!(rel[0]["muting"], false);
        assert!(!ids(&ana.json("/api/v1/mutes").await).contains(&cy.id));
        cy.post(&format!("/api/v1/statuses/{mine}/favourite"), json!({}))
            .await;
        let notes = ana.json("/api/v1/notifications").await;
        assert_eq!(notifications_of_kind(&notes, "favourite"), 1);

        let path = format!("/api/v1/accounts/{}/mute", ana.id);
        assert_eq!(ana.status_code(Method::POST, &path).await, 422);
        let res = client()
            .post(i.url(&format!("/api/v1/accounts/{}/mute", cy.id)))
            .bearer_auth(&ana.token)
            .form(&[("duration", "soon")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_domain_stays_out_of_notifications_and_home_for_that_person() {
    let mut dbs = kith_storage::testing::TestDatabase::each_backend();
    let db_b = if dbs.len() > 1 {
        dbs.pop().unwrap()
    } else {
        kith_storage::testing::TestDatabase::sqlite()
    };
    let db_a = dbs.pop().unwrap();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let bo = User::new(&b, "bo").await;
    let bo_at_a = ana.resolve(&format!("@bo@{}", b.domain)).await;
    let ana_at_b = bo.resolve(&format!("@ana@{}", a.domain)).await;
    let domain = b.domain.clone();

    let res = client()
        .post(a.url("/api/v1/domain_blocks"))
        .bearer_auth(&ana.token)
        .form(&[("domain", domain.to_uppercase().as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(ana.json("/api/v1/domain_blocks").await, json!([domain]));
    let rel = ana
        .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
        .await;
    assert_eq!(rel[0]["domain_blocking"], true);
    let own = format!("/api/v1/domain_blocks?domain={}", a.domain);
    assert_eq!(ana.status_code(Method::POST, &own).await, 422);

    // A mention from the blocked domain is dropped; once unblocked, the next one arrives, and
    // it is the only one.
    post(&bo, &format!("@ana@{} first", a.domain), "public").await;
    crate::rig::eventually("the first mention is received", || async {
        let theirs = ana
            .json(&format!("/api/v1/accounts/{bo_at_a}/statuses"))
            .await;
        (!theirs.as_array().unwrap().is_empty()).then_some(())
    })
    .await;
    let res = client()
        .delete(a.url(&format!(
            "/api/v1/domain_blocks?domain={}",
            crate::rig::urlencode(&domain)
        )))
        .bearer_auth(&ana.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(ana.json("/api/v1/domain_blocks").await, json!([]));
    post(&bo, &format!("@ana@{} second", a.domain), "public").await;
    let mentions = crate::rig::eventually("the second mention", || async {
        let notes = ana.json("/api/v1/notifications?types[]=mention").await;
        (!notes.as_array().unwrap().is_empty()).then_some(notes)
    })
    .await;
    assert_eq!(mentions.as_array().unwrap().len(), 1, "{mentions}");
    assert!(mentions[0]["status"]["content"]
        .as_str()
        .unwrap()
        .contains("second"));

    // Followed, bo's posts reach ana's home; blocking his domain hides them there.
    ana.post(&format!("/api/v1/accounts/{bo_at_a}/follow"), json!({}))
        .await;
    crate::rig::eventually("the follow is accepted", || async {
        let rel = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        (rel[0]["following"] == true).then_some(())
    })
    .await;
    post(&bo, "hello followers", "public").await;
    crate::rig::eventually("bo's post in ana's home", || async {
        let home = ana.json("/api/v1/timelines/home").await;
        home.as_array()
            .unwrap()
            .iter()
            .any(|s| s["account"]["id"] == bo_at_a.as_str())
            .then_some(())
    })
    .await;
    // bo follows ana too, so the block has follows both ways to end.
    bo.post(&format!("/api/v1/accounts/{ana_at_b}/follow"), json!({}))
        .await;
    crate::rig::eventually("bo's follow is accepted", || async {
        let rel = bo
            .json(&format!("/api/v1/accounts/relationships?id[]={ana_at_b}"))
            .await;
        (rel[0]["following"] == true).then_some(())
    })
    .await;
    ana.post(&format!("/api/v1/domain_blocks?domain={domain}"), json!({}))
        .await;
    let home = ana.json("/api/v1/timelines/home").await;
    assert!(!home
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["account"]["id"] == bo_at_a.as_str()));
    // As on Mastodon, the block ends the follows both ways, and bo's server is told
    // (`Undo(Follow)` for ana's, `Reject(Follow)` for bo's).
    let rel = ana
        .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
        .await;
    assert_eq!(rel[0]["following"], false, "{rel}");
    assert_eq!(rel[0]["followed_by"], false, "{rel}");
    // And it deletes ana's notifications from there (the second mention, bo's follow).
    let notes = ana.json("/api/v1/notifications").await;
    assert!(
        !notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["account"]["id"] == bo_at_a.as_str()),
        "{notes}"
    );
    crate::rig::eventually("bo's server ends both follows", || async {
        let rel = bo
            .json(&format!("/api/v1/accounts/relationships?id[]={ana_at_b}"))
            .await;
        (rel[0]["following"] == false && rel[0]["followed_by"] == false).then_some(())
    })
    .await;
    a.stop().await;
    b.stop().await;
}
