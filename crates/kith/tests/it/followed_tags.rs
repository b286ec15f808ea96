//! Hashtags on both backends: `tags/:name`, following and unfollowing (names normalized: case,
//! width, accents), the followed-tags list, public posts with a followed tag in the home feed
//! (and nothing else: unlisted, followers-only, blocked authors), the tag timeline with
//! `any[]`/`all[]`/`none[]`, `local`/`remote`/`only_media`; and across two instances, a
//! followed tag bringing a remote post home and a remote direct message making a conversation.

use crate::on_each_backend;
use crate::rig::{eventually, Instance, User};
use kith_storage::testing::TestDatabase;
use reqwest::Method;
use serde_json::{json, Value};

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn post(user: &User, text: &str, visibility: &str) -> String {
    let s = user
        .post(
            "/api/v1/statuses",
            json!({"status": text, "visibility": visibility}),
        )
        .await;
    s["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followed_tags_fill_the_home_feed_and_tag_timelines_filter() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let carl = User::new(i, "carl").await;

        // Any spelling names one tag; a name without a letter is none.
        let tag = ana.json("/api/v1/tags/Caf%C3%A9").await;
        assert_eq!(tag["name"], "cafe", "{tag}");
        assert_eq!(tag["following"], false);
        // Nobody used it yet: seven days of nothing, today first.
        let days = tag["history"].as_array().unwrap();
        assert_eq!(days.len(), 7, "{tag}");
        assert!(days
            .iter()
            .all(|d| d["uses"] == "0" && d["accounts"] == "0"));
        let today = chrono::Utc::now()
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert_eq!(days[0]["day"], today.to_string());
        assert_eq!(days[1]["day"], (today - 86_400).to_string());
        assert!(tag["url"].as_str().unwrap().ends_with("/tags/cafe"));
        assert_eq!(ana.status_code(Method::GET, "/api/v1/tags/123").await, 404);
        let anonymous = crate::rig::client()
            .get(i.url("/api/v1/tags/cafe"))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 200);
        let anonymous: Value = anonymous.json().await.unwrap();
        assert!(anonymous.get("following").is_none(), "{anonymous}");

        // Following with full-width letters follows the same tag.
        let followed = ana
            .post(
                "/api/v1/tags/%EF%BD%83%EF%BD%81%EF%BD%86%EF%BD%85/follow",
                json!({}),
            )
            .await;
        assert_eq!(followed["name"], "cafe");
        assert_eq!(followed["following"], true);
        ana.post("/api/v1/tags/tea/follow", json!({})).await;
        // Following twice is no error.
        ana.post("/api/v1/tags/tea/follow", json!({})).await;
        let res = ana.get("/api/v1/followed_tags?limit=1").await;
        assert!(res.headers().get("link").is_some());
        let list: Value = res.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1);
        assert_eq!(list[0]["name"], "tea", "newest follow first: {list}");
        assert_eq!(list[0]["following"], true);
        let all = ana.json("/api/v1/followed_tags").await;
        let names: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["tea", "cafe"]);
        assert_eq!(ana.json("/api/v1/tags/CAFE").await["following"], true);

        // Ana follows nobody; bob's public posts with a followed tag reach her home feed, his
        // unlisted and followers-only ones do not, nor posts of someone she blocks.
        let public = post(&bob, "Coffee at the #CAFÉ", "public").await;
        let both = post(&bob, "#cafe and #tea", "public").await;
        let unlisted = post(&bob, "quietly at the #cafe", "unlisted").await;
        let private = post(&bob, "followers at the #cafe", "private").await;
        let untagged = post(&bob, "no tag here", "public").await;
        ana.post(&format!("/api/v1/accounts/{}/block", carl.id), json!({}))
            .await;
        let blocked = post(&carl, "me too #cafe", "public").await;
        let home = ids(&ana.json("/api/v1/timelines/home").await);
        assert_eq!(home, vec![both.clone(), public.clone()], "home: {home:?}");
        for absent in [&unlisted, &private, &untagged, &blocked] {
            assert!(!home.contains(absent));
        }
        let shown = ana.json(&format!("/api/v1/statuses/{public}")).await;
        assert_eq!(shown["tags"][0]["name"], "cafe", "{shown}");

        // The tag timeline: public posts only, any spelling of the tag.
        let timeline = ids(&bob.json("/api/v1/timelines/tag/Caf%C3%A9").await);
        assert_eq!(
            timeline,
            vec![blocked.clone(), both.clone(), public.clone()]
        );
        // Blocks apply for a signed-in viewer; anyone may read it.
        let for_ana = ids(&ana.json("/api/v1/timelines/tag/cafe").await);
        assert_eq!(for_ana, vec![both.clone(), public.clone()]);
        let anonymous: Value = crate::rig::client()
            .get(i.url("/api/v1/timelines/tag/cafe"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&anonymous).len(), 3);
        let with_tea = ids(&bob.json("/api/v1/timelines/tag/cafe?all[]=tea").await);
        assert_eq!(with_tea, vec![both.clone()]);
        let without_tea = ids(&bob.json("/api/v1/timelines/tag/cafe?none[]=TEA").await);
        assert_eq!(without_tea, vec![blocked.clone(), public.clone()]);
        let any = ids(&bob.json("/api/v1/timelines/tag/nothing?any[]=tea").await);
        assert_eq!(any, vec![both.clone()]);
        assert_eq!(
            ids(&bob
                .json("/api/v1/timelines/tag/cafe?local=true&limit=1")
                .await),
            vec![blocked.clone()]
        );
        assert!(ids(&bob.json("/api/v1/timelines/tag/cafe?remote=true").await).is_empty());
        assert!(ids(&bob.json("/api/v1/timelines/tag/cafe?only_media=true").await).is_empty());
        assert!(ids(&bob.json("/api/v1/timelines/tag/123").await).is_empty());
        let res = bob.get("/api/v1/timelines/tag/cafe?limit=1").await;
        let link = res.headers()["link"].to_str().unwrap().to_owned();
        assert!(link.contains(&format!("max_id={blocked}")), "{link}");

        // The tag's history counts the public posts and their authors (summed over the week,
        // so that a run across midnight counts the same).
        let total = |tag: &Value, key: &str| -> u64 {
            tag["history"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d[key].as_str().unwrap().parse::<u64>().unwrap())
                .sum()
        };
        let cafe = bob.json("/api/v1/tags/cafe").await;
        assert_eq!(total(&cafe, "uses"), 3, "{cafe}");
        assert!((2..=3).contains(&total(&cafe, "accounts")), "{cafe}");
        let followed = ana.json("/api/v1/followed_tags").await;
        let tea = followed
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == "tea")
            .unwrap_or_else(|| panic!("{followed}"));
        assert_eq!(total(tea, "uses"), 1, "{tea}");

        // Unfollowed, the tag brings nothing new.
        let unfollowed = ana.post("/api/v1/tags/Cafe/unfollow", json!({})).await;
        assert_eq!(unfollowed["following"], false);
        let later = post(&bob, "still at the #cafe", "public").await;
        let home = ids(&ana.json("/api/v1/timelines/home").await);
        assert!(!home.contains(&later), "{home:?}");
        assert_eq!(
            ids(&ana.json("/api/v1/followed_tags").await).len(),
            1,
            "tea is still followed"
        );
        // Writes need a user token with write:follows.
        let ana_id: i64 = ana.id.parse().unwrap();
        let account = i
            .context
            .db
            .read(move |c| kith_storage::accounts::by_id(c, ana_id))
            .await
            .unwrap();
        let reader = i.token(&account, "read").await;
        let refused = crate::rig::client()
            .post(i.url("/api/v1/tags/cafe/follow"))
            .bearer_auth(reader)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403);
    });
}

fn two_databases() -> (TestDatabase, TestDatabase) {
    let mut dbs = TestDatabase::each_backend();
    let b = if dbs.len() > 1 {
        dbs.pop().unwrap()
    } else {
        TestDatabase::sqlite()
    };
    (dbs.pop().unwrap(), b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_posts_reach_tag_followers_and_remote_direct_messages_make_conversations() {
    let (db_a, db_b) = two_databases();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await; // follows the tag, not bo
    let cy = User::new(&a, "cy").await; // follows bo, so his posts come to this instance
    let bo = User::new(&b, "bo").await;
    // Strangers' direct messages reach them at once, not as message requests.
    ana.accept_private_mentions().await;
    bo.accept_private_mentions().await;
    let bo_at_a = cy.resolve(&format!("@bo@{}", b.domain)).await;
    cy.post(&format!("/api/v1/accounts/{bo_at_a}/follow"), json!({}))
        .await;
    eventually("bo accepts cy", || async {
        let rels = cy
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    ana.post("/api/v1/tags/kith/follow", json!({})).await;

    let unlisted = bo
        .post(
            "/api/v1/statuses",
            json!({"status": "quiet #Kith", "visibility": "unlisted"}),
        )
        .await["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let public = bo
        .post(
            "/api/v1/statuses",
            json!({"status": "hello #KITH", "visibility": "public"}),
        )
        .await["uri"]
        .as_str()
        .unwrap()
        .to_owned();
    let at_ana = eventually("the public post in ana's home", || async {
        let home = ana.json("/api/v1/timelines/home").await;
        home.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == public.as_str())
            .cloned()
    })
    .await;
    assert_eq!(at_ana["tags"][0]["name"], "kith", "{at_ana}");
    // Both reached cy (a follower), the unlisted one first; ana has only the public one.
    eventually("both posts in cy's home", || async {
        let home = cy.json("/api/v1/timelines/home").await;
        let uris: Vec<&str> = home
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["uri"].as_str())
            .collect();
        (uris.contains(&unlisted.as_str()) && uris.contains(&public.as_str())).then_some(())
    })
    .await;
    let home = ana.json("/api/v1/timelines/home").await;
    assert!(
        !home
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["uri"] == unlisted.as_str()),
        "{home}"
    );
    let remote_tagged = ana.json("/api/v1/timelines/tag/kith?remote=true").await;
    assert_eq!(remote_tagged[0]["uri"], public.as_str(), "{remote_tagged}");

    // A direct message from bo to ana makes a conversation for her, unread; her reply
    // makes one for bo, and his answer lands in her same conversation.
    let dm = bo
        .post(
            "/api/v1/statuses",
            json!({"status": format!("psst @ana@{}", a.domain), "visibility": "direct"}),
        )
        .await;
    let convo = eventually("a conversation for ana", || async {
        let list = ana.json("/api/v1/conversations").await;
        list.as_array().unwrap().first().cloned()
    })
    .await;
    assert_eq!(convo["unread"], true, "{convo}");
    assert_eq!(convo["accounts"][0]["id"], bo_at_a.as_str());
    assert_eq!(convo["last_status"]["uri"], dm["uri"]);
    let cid = convo["id"].as_str().unwrap().to_owned();
    let read = ana
        .post(&format!("/api/v1/conversations/{cid}/read"), json!({}))
        .await;
    assert_eq!(read["unread"], false);
    ana.post(
        "/api/v1/statuses",
        json!({
            "status": format!("@bo@{} hi back", b.domain),
            "visibility": "direct",
            "in_reply_to_id": convo["last_status"]["id"],
        }),
    )
    .await;
    // Bo's own message made his conversation (read: he wrote it); ana's reply joins it and
    // makes it unread. (Which of the two is `last_status` depends on ids made from
    // `published`, which is to the second only: not asserted.)
    let at_bo = eventually("ana's reply in bo's conversation", || async {
        let list = bo.json("/api/v1/conversations").await;
        (list[0]["unread"] == true).then_some(list)
    })
    .await;
    assert_eq!(at_bo.as_array().unwrap().len(), 1, "one thread: {at_bo}");
    assert_eq!(at_bo[0]["accounts"][0]["acct"], format!("ana@{}", a.domain));
    bo.post(
        "/api/v1/statuses",
        json!({
            "status": format!("@ana@{} ok", a.domain),
            "visibility": "direct",
            "in_reply_to_id": at_bo[0]["last_status"]["id"],
        }),
    )
    .await;
    let list = eventually("bo's answer in ana's conversation", || async {
        let list = ana.json("/api/v1/conversations").await;
        (list[0]["unread"] == true).then_some(list)
    })
    .await;
    assert_eq!(list.as_array().unwrap().len(), 1, "one thread: {list}");
    assert_eq!(list[0]["id"], convo["id"]);

    a.stop().await;
    b.stop().await;
}
