//! Two Kith instances, one on SQLite and one on PostgreSQL (when the run covers both),
//! federating over loopback: follows (open and locked), posts of every visibility, replies,
//! likes, boosts, edits, deletes, profile updates and unfollows, each checked on the receiving
//! side, and each visibility checked for who must not see it.

use crate::rig::{eventually, Instance, User};
use kith_storage::testing::TestDatabase;
use reqwest::Method;
use serde_json::{json, Value};

fn two_databases() -> (TestDatabase, TestDatabase) {
    let mut dbs = TestDatabase::each_backend();
    let b = if dbs.len() > 1 {
        dbs.pop().unwrap()
    } else {
        TestDatabase::sqlite()
    };
    (dbs.pop().unwrap(), b)
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The local id, on `viewer`'s instance, of the post with this ActivityPub uri, once it arrives
/// in `viewer`'s home timeline.
async fn arrives_home(viewer: &User, uri: &str) -> Value {
    eventually(&format!("{uri} in home"), || async {
        let home = viewer.json("/api/v1/timelines/home?limit=40").await;
        home.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == uri)
            .cloned()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_follow_and_converse() {
    let (db_a, db_b) = two_databases();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let cy = User::new(&a, "cy").await; // follows nobody: must see only public things
    let bo = User::new(&b, "bo").await;

    // Ana finds bo on the other instance and follows him; his server accepts.
    let bo_at_a = ana.resolve(&format!("@bo@{}", b.domain)).await;
    let rel = ana
        .post(&format!("/api/v1/accounts/{bo_at_a}/follow"), json!({}))
        .await;
    assert_eq!(
        rel["requested"], true,
        "remote follows wait for Accept: {rel}"
    );
    eventually("Accept from bo", || async {
        let rels = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    let ana_at_b = bo.resolve(&format!("@ana@{}", a.domain)).await;
    let followers = bo
        .json(&format!("/api/v1/accounts/{}/followers", bo.id))
        .await;
    assert_eq!(ids(&followers), vec![ana_at_b.clone()]);
    let notes = bo.json("/api/v1/notifications").await;
    assert_eq!(notes[0]["type"], "follow");

    // Bo posts with each visibility; the direct one is to ana.
    let mut uris = std::collections::HashMap::new();
    for (vis, text) in [
        ("public", "hello fediverse #kith".to_owned()),
        ("unlisted", "a quieter hello".to_owned()),
        ("private", "for followers only".to_owned()),
        ("direct", format!("just for you @ana@{}", a.domain)),
    ] {
        let s = bo
            .post(
                "/api/v1/statuses",
                json!({"status": text, "visibility": vis}),
            )
            .await;
        assert_eq!(s["visibility"], vis);
        uris.insert(vis, s["uri"].as_str().unwrap().to_owned());
    }
    let mut local = std::collections::HashMap::new();
    for vis in ["public", "unlisted", "private", "direct"] {
        let s = arrives_home(&ana, &uris[vis]).await;
        assert_eq!(s["visibility"], vis, "{s}");
        local.insert(vis, s["id"].as_str().unwrap().to_owned());
    }
    let public = &local["public"];
    assert_eq!(
        arrives_home(&ana, &uris["public"]).await["tags"][0]["name"],
        "kith"
    );
    let mention = eventually("mention notification", || async {
        let n = ana.json("/api/v1/notifications?types[]=mention").await;
        n.as_array().unwrap().first().cloned()
    })
    .await;
    assert_eq!(mention["status"]["uri"], uris["direct"]);

    // A post can be found by its URL (search with resolve), as apps do for links.
    let found = cy
        .json(&format!(
            "/api/v2/search?resolve=true&type=statuses&q={}",
            crate::rig::urlencode(&uris["public"])
        ))
        .await;
    assert_eq!(found["statuses"][0]["id"], *public, "{found}");
    let hidden = cy
        .json(&format!(
            "/api/v2/search?resolve=true&type=statuses&q={}",
            crate::rig::urlencode(&uris["private"])
        ))
        .await;
    assert!(
        hidden["statuses"].as_array().unwrap().is_empty(),
        "search must not show a followers-only post"
    );

    // Who must not see what: cy (same instance, not a follower) and anonymous readers.
    for (vis, expect) in [
        ("public", 200),
        ("unlisted", 200),
        ("private", 404),
        ("direct", 404),
    ] {
        let path = format!("/api/v1/statuses/{}", local[vis]);
        assert_eq!(
            cy.status_code(Method::GET, &path).await,
            expect,
            "cy reading {vis}"
        );
        let anon = crate::rig::client()
            .get(a.url(&path))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        assert_eq!(anon, expect, "anonymous reading {vis}");
        assert_eq!(
            ana.status_code(Method::GET, &path).await,
            200,
            "ana reading {vis}"
        );
    }
    let seen_by_cy = ids(&cy
        .json(&format!("/api/v1/accounts/{bo_at_a}/statuses"))
        .await);
    assert!(
        seen_by_cy.contains(public)
            && !seen_by_cy.contains(&local["private"])
            && !seen_by_cy.contains(&local["direct"])
    );
    assert!(cy
        .json("/api/v1/timelines/home")
        .await
        .as_array()
        .unwrap()
        .is_empty());
    let federated = ids(&cy.json("/api/v1/timelines/public?remote=true").await);
    assert_eq!(
        federated,
        vec![public.clone()],
        "only the public post is on the public timeline"
    );
    // Nor can the private post be fetched from bo's server without being addressed.
    let private_note = crate::rig::client()
        .get(&uris["private"])
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(private_note.status(), 404);

    // Ana replies; the reply reaches bo, threads under his post, and mentions him.
    let reply = ana
        .post(
            "/api/v1/statuses",
            json!({"status": format!("@bo@{} welcome!", b.domain), "in_reply_to_id": public}),
        )
        .await;
    let bo_public = eventually("bo sees his post", || async {
        let mine = bo
            .json(&format!("/api/v1/accounts/{}/statuses", bo.id))
            .await;
        mine.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == uris["public"])
            .cloned()
    })
    .await;
    let ctx = eventually("reply in bo's thread", || async {
        let ctx = bo
            .json(&format!(
                "/api/v1/statuses/{}/context",
                bo_public["id"].as_str().unwrap()
            ))
            .await;
        (!ctx["descendants"].as_array().unwrap().is_empty()).then_some(ctx)
    })
    .await;
    assert_eq!(ctx["descendants"][0]["uri"], reply["uri"]);
    assert!(ctx["descendants"][0]["content"]
        .as_str()
        .unwrap()
        .contains("welcome!"));

    // Like and boost: bo is told of both.
    ana.post(&format!("/api/v1/statuses/{public}/favourite"), json!({}))
        .await;
    ana.post(&format!("/api/v1/statuses/{public}/reblog"), json!({}))
        .await;
    for kind in ["favourite", "reblog"] {
        eventually(&format!("{kind} notification"), || async {
            let n = bo
                .json(&format!("/api/v1/notifications?types[]={kind}"))
                .await;
            (n.as_array().unwrap().len() == 1).then_some(())
        })
        .await;
    }
    let counted = bo
        .json(&format!(
            "/api/v1/statuses/{}",
            bo_public["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(counted["favourites_count"], 1);
    assert_eq!(counted["reblogs_count"], 1);

    // Bo edits his post, then updates his profile: ana sees both.
    let bo_id = bo_public["id"].as_str().unwrap();
    let res = crate::rig::client()
        .put(b.url(&format!("/api/v1/statuses/{bo_id}")))
        .bearer_auth(&bo.token)
        .json(&json!({"status": "hello fediverse (edited)"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually("edit arrives", || async {
        let s = ana.json(&format!("/api/v1/statuses/{public}")).await;
        (s["content"].as_str().unwrap().contains("(edited)") && s["edited_at"].is_string())
            .then_some(())
    })
    .await;
    // The remote edit is kept in the history: the first version, then the edited one.
    let history = ana
        .json(&format!("/api/v1/statuses/{public}/history"))
        .await;
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history}");
    assert!(!versions[0]["content"]
        .as_str()
        .unwrap()
        .contains("(edited)"));
    assert!(versions[1]["content"]
        .as_str()
        .unwrap()
        .contains("(edited)"));
    let res = crate::rig::client()
        .patch(b.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&bo.token)
        .form(&[("display_name", "Bo the Builder")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually("profile update arrives", || async {
        let acct = ana.json(&format!("/api/v1/accounts/{bo_at_a}")).await;
        (acct["display_name"] == "Bo the Builder").then_some(())
    })
    .await;

    // Bo deletes the private post: it is gone for ana too.
    let bo_private = bo
        .json(&format!("/api/v1/accounts/{}/statuses", bo.id))
        .await
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["uri"] == uris["private"])
        .cloned()
        .unwrap();
    let code = bo
        .status_code(
            Method::DELETE,
            &format!("/api/v1/statuses/{}", bo_private["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(code, 200);
    eventually("delete arrives", || async {
        (ana.status_code(
            Method::GET,
            &format!("/api/v1/statuses/{}", local["private"]),
        )
        .await
            == 404)
            .then_some(())
    })
    .await;

    // Ana unfollows: bo's side forgets her.
    ana.post(&format!("/api/v1/accounts/{bo_at_a}/unfollow"), json!({}))
        .await;
    eventually("unfollow arrives", || async {
        let f = bo
            .json(&format!("/api/v1/accounts/{}/followers", bo.id))
            .await;
        f.as_array().unwrap().is_empty().then_some(())
    })
    .await;

    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_accounts_approve_remote_followers() {
    let (db_a, db_b) = two_databases();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let dee = User::new(&b, "dee").await;
    let res = crate::rig::client()
        .patch(b.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&dee.token)
        .form(&[("locked", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Both directions of follow: dee follows ana (open), ana asks to follow dee (locked).
    let ana_at_b = dee.resolve(&format!("ana@{}", a.domain)).await;
    dee.post(
        &format!("/api/v1/accounts/{ana_at_a}/follow", ana_at_a = ana_at_b),
        json!({}),
    )
    .await;
    let dee_at_a = ana.resolve(&format!("@dee@{}", b.domain)).await;
    let rel = ana
        .post(&format!("/api/v1/accounts/{dee_at_a}/follow"), json!({}))
        .await;
    assert_eq!(rel["requested"], true);
    let requests = eventually("follow request arrives", || async {
        let r = dee.json("/api/v1/follow_requests").await;
        (!r.as_array().unwrap().is_empty()).then_some(r)
    })
    .await;
    assert_eq!(requests[0]["id"], ana_at_b);
    let n = dee
        .json("/api/v1/notifications?types[]=follow_request")
        .await;
    assert_eq!(n.as_array().unwrap().len(), 1);

    // Before approval, dee's followers-only posts do not reach ana.
    let early = dee
        .post(
            "/api/v1/statuses",
            json!({"status": "before you were approved", "visibility": "private"}),
        )
        .await;
    let rel = dee
        .post(
            &format!("/api/v1/follow_requests/{ana_at_b}/authorize"),
            json!({}),
        )
        .await;
    assert_eq!(rel["followed_by"], true);
    eventually("approval arrives", || async {
        let rels = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={dee_at_a}"))
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    let late = dee
        .post(
            "/api/v1/statuses",
            json!({"status": "now you can read this", "visibility": "private"}),
        )
        .await;
    arrives_home(&ana, late["uri"].as_str().unwrap()).await;
    let home = ana.json("/api/v1/timelines/home").await;
    assert!(!home
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["uri"] == early["uri"]));
    // Ana sees dee's follow of her (open account).
    eventually("dee follows ana", || async {
        let rels = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={dee_at_a}"))
            .await;
        (rels[0]["followed_by"] == true).then_some(())
    })
    .await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secure_mode_instance_federates_and_blocks_travel() {
    let (db_a, db_b) = two_databases();
    let a = Instance::start(&db_a).await;
    let b = Instance::start_with(&db_b, |c| c.authorized_fetch = true).await;
    let ana = User::new(&a, "ana").await;
    let bo = User::new(&b, "bo").await;
    // A's fetch of bo's actor is signed by A's instance actor; B verifies it.
    let bo_at_a = ana.resolve(&format!("@bo@{}", b.domain)).await;
    ana.post(&format!("/api/v1/accounts/{bo_at_a}/follow"), json!({}))
        .await;
    eventually("Accept from a secure-mode instance", || async {
        let rels = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    let s = bo
        .post("/api/v1/statuses", json!({"status": "secure hello"}))
        .await;
    arrives_home(&ana, s["uri"].as_str().unwrap()).await;

    // Bo blocks ana: the follow ends on both sides, and his posts stop reaching her.
    let ana_at_b = bo.resolve(&format!("@ana@{}", a.domain)).await;
    let rel = bo
        .post(&format!("/api/v1/accounts/{ana_at_b}/block"), json!({}))
        .await;
    assert_eq!(rel["blocking"], true);
    eventually("Block arrives", || async {
        let rels = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        (rels[0]["following"] == false && rels[0]["blocked_by"] == true).then_some(())
    })
    .await;
    assert!(bo
        .json(&format!("/api/v1/accounts/{}/followers", bo.id))
        .await
        .as_array()
        .unwrap()
        .is_empty());
    let refused = crate::rig::client()
        .post(a.url(&format!("/api/v1/accounts/{bo_at_a}/follow")))
        .bearer_auth(&ana.token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "no following someone who blocks you");
    // Unblock travels too.
    bo.post(&format!("/api/v1/accounts/{ana_at_b}/unblock"), json!({}))
        .await;
    eventually("Undo(Block) arrives", || async {
        let rels = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        (rels[0]["blocked_by"] == false).then_some(())
    })
    .await;
    a.stop().await;
    b.stop().await;
}
