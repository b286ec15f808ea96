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
        assert_eq!(ids(&page), [a2.clone(), a3.clone()]);
        assert_eq!(page[0]["favourited"], true);
        let rest = bob
            .json(&format!("/api/v1/favourites?limit=2&max_id={max_id}"))
            .await;
        assert_eq!(ids(&rest), [a1.clone()]);

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
            [a1.clone(), a2.clone()]
        );
        assert_eq!(
            ids(&ana.json("/api/v1/bookmarks").await),
            Vec::<String>::new()
        );
        let unmarked = bob
            .post(&format!("/api/v1/statuses/{a1}/unbookmark"), json!({}))
            .await;
        assert_eq!(unmarked["bookmarked"], false);
        assert_eq!(ids(&bob.json("/api/v1/bookmarks").await), [a2.clone()]);

        // Who favourited, who boosted.
        bob.post(&format!("/api/v1/statuses/{a1}/reblog"), json!({}))
            .await;
        let favers = ana
            .json(&format!("/api/v1/statuses/{a1}/favourited_by"))
            .await;
        assert_eq!(ids(&favers), [bob.id.clone()]);
        let boosters = client()
            .get(i.url(&format!("/api/v1/statuses/{a1}/reblogged_by")))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(ids(&boosters), [bob.id.clone()]);
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
