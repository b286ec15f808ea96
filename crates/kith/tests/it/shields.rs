//! Shields (issue 12): the notification policy and notification requests as Mastodon 4.3
//! serves them, message requests, the dogpile shield and a moderator's release, on one
//! instance per backend; and, across two Kith instances (SQLite and PostgreSQL), a brand-new
//! remote account's mention held and released, a remote dogpile of 20 repliers held past the
//! threshold, a remote stranger's first direct message held as a message request, and a
//! server first seen today counting as new. Held items stay off the streams until released.

use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use kith_storage::testing::TestDatabase;
use reqwest::Method;
use serde_json::{json, Value};

/// PATCH `path` with a JSON body as `who`; returns the status and the body.
async fn patch(who: &User, path: &str, body: Value) -> (u16, Value) {
    let res = client()
        .patch(format!("{}{}", who.base, path))
        .bearer_auth(&who.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// PATCH with a form body, as Mastodon.py sends it.
async fn patch_form(who: &User, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let res = client()
        .patch(format!("{}{}", who.base, path))
        .bearer_auth(&who.token)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn list(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not a list: {v}"))
}

/// (type, sender's acct, status uri) of each shown notification.
async fn shown(who: &User, query: &str) -> Vec<(String, String, String)> {
    let n = who.json(&format!("/api/v1/notifications{query}")).await;
    list(&n)
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap().to_owned(),
                n["account"]["acct"].as_str().unwrap().to_owned(),
                n["status"]["uri"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn requests(who: &User) -> Vec<Value> {
    list(&who.json("/api/v1/notifications/requests").await).clone()
}

async fn home_uris(who: &User) -> Vec<String> {
    let home = who.json("/api/v1/timelines/home?limit=40").await;
    list(&home)
        .iter()
        .map(|s| s["uri"].as_str().unwrap().to_owned())
        .collect()
}

async fn post(who: &User, text: &str, visibility: &str) -> Value {
    who.post(
        "/api/v1/statuses",
        json!({ "status": text, "visibility": visibility }),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_requests_message_requests_and_release() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let mallory = User::new(i, "mallory").await;
        let eve = User::new(i, "eve").await;

        // Mastodon 4.3's defaults, and Kith's own settings beside them.
        let p = ana.json("/api/v2/notifications/policy").await;
        assert_eq!(p["for_not_following"], "accept");
        assert_eq!(p["for_not_followers"], "accept");
        assert_eq!(p["for_new_accounts"], "accept");
        assert_eq!(p["for_private_mentions"], "filter");
        assert_eq!(p["for_limited_accounts"], "filter");
        assert_eq!(
            p["summary"],
            json!({"pending_requests_count": 0, "pending_notifications_count": 0})
        );
        assert_eq!(p["kith"]["dogpile_threshold"], 10);
        assert_eq!(p["kith"]["message_requests"], true);
        let v1 = ana.json("/api/v1/notifications/policy").await;
        assert_eq!(v1["filter_private_mentions"], true);
        assert_eq!(v1["filter_not_following"], false);

        // Changes: v2 with JSON (Kith's settings in `kith`), v1 with a form; bad values are
        // refused and change nothing.
        let (code, p) = patch(
            &ana,
            "/api/v2/notifications/policy",
            json!({"for_not_followers": "drop", "kith": {"dogpile_threshold": 3}}),
        )
        .await;
        assert_eq!(code, 200, "{p}");
        assert_eq!(p["for_not_followers"], "drop");
        assert_eq!(p["kith"]["dogpile_threshold"], 3);
        for bad in [
            json!({"for_new_accounts": "maybe"}),
            json!({"for_new_accounts": 1}),
            json!({"kith": {"dogpile_minutes": -5}}),
            json!({"kith": {"message_requests": "perhaps"}}),
        ] {
            let (code, body) = patch(&ana, "/api/v2/notifications/policy", bad.clone()).await;
            assert_eq!(code, 422, "{bad} → {body}");
            assert!(body["error"].is_string(), "{body}");
        }
        let (code, v1) = patch_form(
            &ana,
            "/api/v1/notifications/policy",
            &[("filter_not_followers", "0")],
        )
        .await;
        assert_eq!(code, 200, "{v1}");
        assert_eq!(v1["filter_not_followers"], false);
        let p = ana.json("/api/v2/notifications/policy").await;
        assert_eq!(p["for_not_followers"], "accept");
        assert_eq!(
            p["kith"]["dogpile_threshold"], 3,
            "untouched by the v1 change"
        );
        let (code, _) = patch(
            &ana,
            "/api/v2/notifications/policy",
            json!({"kith": {"dogpile_threshold": null}}),
        )
        .await;
        assert_eq!(code, 200);
        let p = ana.json("/api/v2/notifications/policy").await;
        assert_eq!(
            p["kith"]["dogpile_threshold"], 10,
            "null: back to the default"
        );

        // A stranger's first direct message is a message request: no notification, not in
        // ana's home timeline, but in her requests.
        let dm = post(&mallory, "@ana hello, we have not met", "direct").await;
        let dm_uri = dm["uri"].as_str().unwrap().to_owned();
        assert!(shown(&ana, "").await.is_empty());
        assert!(!home_uris(&ana).await.contains(&dm_uri));
        let unread = ana.json("/api/v1/notifications/unread_count").await;
        assert_eq!(unread["count"], 0);
        let reqs = requests(&ana).await;
        assert_eq!(reqs.len(), 1, "{reqs:?}");
        assert_eq!(reqs[0]["account"]["acct"], "mallory");
        assert_eq!(reqs[0]["notifications_count"], "1");
        assert_eq!(reqs[0]["last_status"]["uri"], dm_uri.as_str());
        let req_id = reqs[0]["id"].as_str().unwrap().to_owned();
        let one = ana
            .json(&format!("/api/v1/notifications/requests/{req_id}"))
            .await;
        assert_eq!(one["id"], req_id.as_str());
        let p = ana.json("/api/v2/notifications/policy").await;
        assert_eq!(
            p["summary"],
            json!({"pending_requests_count": 1, "pending_notifications_count": 1})
        );
        // Held notifications are there with include_filtered, and by sender.
        assert_eq!(shown(&ana, "?include_filtered=true").await.len(), 1);
        // The grouped (v2) list agrees: held ones only with include_filtered.
        let groups = |v: Value| v["notification_groups"].as_array().unwrap().len();
        assert_eq!(groups(ana.json("/api/v2/notifications").await), 0);
        assert_eq!(
            groups(
                ana.json("/api/v2/notifications?include_filtered=true")
                    .await
            ),
            1
        );
        let from_mallory = format!("?account_id={}", mallory.id);
        assert_eq!(shown(&ana, &from_mallory).await.len(), 1);
        // Nobody else's request can be read or accepted.
        assert_eq!(
            mallory
                .status_code(
                    Method::GET,
                    &format!("/api/v1/notifications/requests/{req_id}")
                )
                .await,
            404
        );
        assert_eq!(
            mallory
                .status_code(
                    Method::POST,
                    &format!("/api/v1/notifications/requests/{req_id}/accept")
                )
                .await,
            404
        );

        // Accepting opens the conversation and releases the notification; mallory is let
        // through from then on.
        ana.post(
            &format!("/api/v1/notifications/requests/{req_id}/accept"),
            json!({}),
        )
        .await;
        assert_eq!(
            shown(&ana, "").await,
            vec![("mention".into(), "mallory".into(), dm_uri.clone())]
        );
        assert!(home_uris(&ana).await.contains(&dm_uri));
        assert!(requests(&ana).await.is_empty());
        let merged = ana.json("/api/v1/notifications/requests/merged").await;
        assert_eq!(merged, json!({"merged": true}));
        let dm2 = post(&mallory, "@ana thanks for answering", "direct").await;
        assert_eq!(shown(&ana, "").await[0].2, dm2["uri"].as_str().unwrap());
        assert!(home_uris(&ana)
            .await
            .contains(&dm2["uri"].as_str().unwrap().to_owned()));

        // Declining: the request and its notification go, the message never shows; a later
        // message is a new request.
        let spam = post(&eve, "@ana buy my thing", "direct").await;
        let spam_uri = spam["uri"].as_str().unwrap().to_owned();
        let reqs = requests(&ana).await;
        assert_eq!(reqs.len(), 1);
        let eve_req = reqs[0]["id"].as_str().unwrap().to_owned();
        ana.post(
            &format!("/api/v1/notifications/requests/{eve_req}/dismiss"),
            json!({}),
        )
        .await;
        assert!(requests(&ana).await.is_empty());
        assert!(!shown(&ana, "?include_filtered=true")
            .await
            .iter()
            .any(|n| n.2 == spam_uri));
        assert!(!home_uris(&ana).await.contains(&spam_uri));
        post(&eve, "@ana really, buy it", "direct").await;
        let reqs = requests(&ana).await;
        assert_eq!(reqs.len(), 1);
        assert_ne!(reqs[0]["id"], eve_req.as_str());
        // Bulk dismiss by id[] (unknown ids passed over).
        ana.post(
            "/api/v1/notifications/requests/dismiss",
            json!({"id": [reqs[0]["id"], "12345"]}),
        )
        .await;
        assert!(requests(&ana).await.is_empty());

        // A reply to ana's own direct message is no request (she started the conversation).
        let mine = post(&ana, "@eve which thing?", "direct").await;
        let answer = eve
            .post(
                "/api/v1/statuses",
                json!({"status": "@ana this one", "visibility": "direct",
                       "in_reply_to_id": mine["id"]}),
            )
            .await;
        assert_eq!(shown(&ana, "").await[0].2, answer["uri"].as_str().unwrap());

        // Policy `drop`: nothing is stored at all.
        patch(
            &ana,
            "/api/v2/notifications/policy",
            json!({"for_not_following": "drop"}),
        )
        .await;
        let zed = User::new(i, "zed").await;
        post(&zed, "@ana hi there", "public").await;
        assert!(!shown(&ana, "?include_filtered=true")
            .await
            .iter()
            .any(|n| n.1 == "zed"));
        assert!(requests(&ana).await.is_empty());
        // … but mallory, let through, still is.
        post(&mallory, "@ana public hello", "public").await;
        assert_eq!(shown(&ana, "").await[0].1, "mallory");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dogpile_shield_and_moderator_release() {
    on_each_backend!(async |i: &Instance| {
        let bea = User::new(i, "bea").await;
        let friend = User::new(i, "friend").await;
        bea.post(&format!("/api/v1/accounts/{}/follow", friend.id), json!({}))
            .await;
        patch(
            &bea,
            "/api/v2/notifications/policy",
            json!({"kith": {"dogpile_threshold": 3, "dogpile_minutes": 30}}),
        )
        .await;
        let target = post(&bea, "an opinion", "public").await;
        // Six strangers reply within the window: three get through, the others are held.
        for n in 0..6 {
            let who = User::new(i, &format!("piler{n}")).await;
            who.post(
                "/api/v1/statuses",
                json!({"status": format!("@bea no! ({n})"), "in_reply_to_id": target["id"]}),
            )
            .await;
        }
        let got: Vec<String> = shown(&bea, "").await.into_iter().map(|n| n.1).collect();
        assert_eq!(got, vec!["piler2", "piler1", "piler0"]);
        let held: Vec<Value> = requests(&bea).await;
        let mut from: Vec<&str> = held
            .iter()
            .map(|r| r["account"]["acct"].as_str().unwrap())
            .collect();
        from.sort_unstable();
        assert_eq!(from, vec!["piler3", "piler4", "piler5"]);
        // Someone bea follows is never held, dogpile or not.
        post(&friend, "@bea I am with you", "public").await;
        assert_eq!(shown(&bea, "").await[0].1, "friend");
        // Nor streamed while held: the held ones are not in unread_count either.
        let unread = bea.json("/api/v1/notifications/unread_count").await;
        assert_eq!(unread["count"], 4);

        // A plain user cannot release anyone's; a moderator can, and it is audited.
        let path = format!("/api/v1/admin/accounts/{}/release_notifications", bea.id);
        assert_eq!(friend.status_code(Method::POST, &path).await, 403);
        let moderator = User::with_role(
            i,
            "mod",
            kith_core::accounts::Role::Moderator,
            "read write admin:read admin:write",
        )
        .await;
        let released = moderator.post(&path, json!({})).await;
        assert_eq!(released, json!({"released": 3}));
        assert!(requests(&bea).await.is_empty());
        assert_eq!(shown(&bea, "").await.len(), 7);
        let log = moderator.json("/api/v1/admin/audit_log").await;
        assert!(
            list(&log)
                .iter()
                .any(|e| e.to_string().contains("release_notifications")),
            "{log}"
        );
        // Released is not let through: a further stranger inside the window is held again.
        let late = User::new(i, "piler6").await;
        post(&late, "@bea and another thing", "public").await;
        assert_eq!(requests(&bea).await.len(), 1);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_items_stay_off_streams_until_released() {
    use crate::streaming::{next, ws, ws_url};
    on_each_backend!(async |i: &Instance| {
        let cy = User::new(i, "cy").await;
        let friend = User::new(i, "friend").await;
        let stranger = User::new(i, "stranger").await;
        cy.post(&format!("/api/v1/accounts/{}/follow", friend.id), json!({}))
            .await;
        let mut stream = ws(ws_url(i, &format!("access_token={}&stream=user", cy.token))).await;
        // A stranger's direct message is held; the friend's comes right after it. Events come
        // in commit order, so the first two are the friend's: nothing came of the held one.
        let held = post(&stranger, "@cy psst, a secret", "direct").await;
        let hello = post(&friend, "@cy hello", "direct").await;
        let mut about = Vec::new();
        for _ in 0..2 {
            let e = next(&mut stream).await;
            let id = match e["event"].as_str() {
                Some("update") => e["payload"]["id"].clone(),
                Some("notification") => e["payload"]["status"]["id"].clone(),
                _ => panic!("unexpected event {e}"),
            };
            about.push((e["event"].as_str().unwrap().to_owned(), id));
        }
        about.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            about,
            vec![
                ("notification".to_owned(), hello["id"].clone()),
                ("update".to_owned(), hello["id"].clone())
            ]
        );
        // Accepting releases the notification onto the stream.
        let reqs = requests(&cy).await;
        assert_eq!(reqs.len(), 1);
        cy.post(
            &format!(
                "/api/v1/notifications/requests/{}/accept",
                reqs[0]["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
        let e = next(&mut stream).await;
        assert_eq!(e["event"], "notification", "{e}");
        assert_eq!(e["payload"]["status"]["id"], held["id"]);
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

/// The held requests `who` has, by sender acct, once `n` have arrived.
async fn requests_once(who: &User, n: usize) -> Vec<Value> {
    eventually(&format!("{n} notification requests"), || async {
        let r = requests(who).await;
        (r.len() >= n).then_some(r)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_newcomers_dogpiles_and_message_requests() {
    let (db_a, db_b) = two_databases();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let bea = User::new(&a, "bea").await;
    let cy = User::new(&a, "cy").await;

    // A brand-new remote account (its actor's `published` is today) mentions ana, who filters
    // new accounts: held as a request, then released by accepting it.
    patch(
        &ana,
        "/api/v2/notifications/policy",
        json!({"for_new_accounts": "filter"}),
    )
    .await;
    let troll = User::new(&b, "troll").await;
    let hello = post(
        &troll,
        &format!("@ana@{} hi, I am new here", a.domain),
        "public",
    )
    .await;
    let reqs = requests_once(&ana, 1).await;
    assert_eq!(reqs[0]["account"]["acct"], format!("troll@{}", b.domain));
    assert_eq!(reqs[0]["last_status"]["uri"], hello["uri"]);
    assert!(shown(&ana, "").await.is_empty());
    let id = reqs[0]["id"].as_str().unwrap();
    ana.post(
        &format!("/api/v1/notifications/requests/{id}/accept"),
        json!({}),
    )
    .await;
    let got = shown(&ana, "").await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].2, hello["uri"].as_str().unwrap());
    // Let through: the next mention notifies at once.
    let again = post(&troll, &format!("@ana@{} thanks!", a.domain), "public").await;
    eventually("troll's second mention", || async {
        let got = shown(&ana, "").await;
        got.iter()
            .any(|n| n.2 == again["uri"].as_str().unwrap())
            .then_some(())
    })
    .await;

    // New by its server: with account age out of the picture (0 days), a server first seen
    // today still makes its accounts new; with that off too, they are not.
    patch(
        &cy,
        "/api/v2/notifications/policy",
        json!({"for_new_accounts": "filter", "for_private_mentions": "accept",
               "kith": {"new_account_days": 0, "new_domain_days": 7, "signal_many_digits": true}}),
    )
    .await;
    let oldtimer = User::new(&b, "oldtimer").await;
    post(&oldtimer, &format!("@cy@{} first", a.domain), "public").await;
    requests_once(&cy, 1).await;
    patch(
        &cy,
        "/api/v2/notifications/policy",
        json!({"kith": {"new_domain_days": 0}}),
    )
    .await;
    let second = post(&oldtimer, &format!("@cy@{} second", a.domain), "public").await;
    eventually("oldtimer's mention once the server is not new", || async {
        let got = shown(&cy, "").await;
        got.iter()
            .any(|n| n.2 == second["uri"].as_str().unwrap())
            .then_some(())
    })
    .await;
    // A username full of digits is a signal of its own.
    let digits = User::new(&b, "user83749201").await;
    post(&digits, &format!("@cy@{} hello", a.domain), "public").await;
    let reqs = requests_once(&cy, 2).await;
    assert!(reqs
        .iter()
        .any(|r| r["account"]["acct"] == format!("user83749201@{}", b.domain)));

    // A remote stranger's first direct message is a message request: held from cy's home
    // until accepted (cy accepts private mentions above, so her policy goes back first).
    patch(
        &cy,
        "/api/v2/notifications/policy",
        json!({"for_private_mentions": "filter", "for_new_accounts": "accept"}),
    )
    .await;
    let stranger = User::new(&b, "stranger").await;
    let dm = post(
        &stranger,
        &format!("@cy@{} can we talk privately?", a.domain),
        "direct",
    )
    .await;
    let dm_uri = dm["uri"].as_str().unwrap().to_owned();
    let reqs = requests_once(&cy, 3).await;
    let req = reqs
        .iter()
        .find(|r| r["account"]["acct"] == format!("stranger@{}", b.domain))
        .unwrap_or_else(|| panic!("no request from the stranger: {reqs:?}"));
    assert_eq!(req["last_status"]["uri"], dm_uri.as_str());
    assert!(!home_uris(&cy).await.contains(&dm_uri));
    cy.post(
        &format!(
            "/api/v1/notifications/requests/{}/accept",
            req["id"].as_str().unwrap()
        ),
        json!({}),
    )
    .await;
    assert!(home_uris(&cy).await.contains(&dm_uri));
    assert!(shown(&cy, "").await.iter().any(|n| n.2 == dm_uri));

    // A dogpile: 20 accounts bea does not follow reply to her post; past the default
    // threshold of 10, the rest are held.
    let target = post(&bea, "a take that will be unpopular", "public").await;
    let repliers: Vec<User> = {
        let mut v = Vec::new();
        for n in 0..20 {
            v.push(User::new(&b, &format!("piler{n}")).await);
        }
        v
    };
    let found = repliers[0]
        .json(&format!(
            "/api/v2/search?resolve=true&type=statuses&q={}",
            crate::rig::urlencode(target["uri"].as_str().unwrap())
        ))
        .await;
    let at_b = found["statuses"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("bea's post not found on b: {found}"))
        .to_owned();
    for (n, who) in repliers.iter().enumerate() {
        who.post(
            "/api/v1/statuses",
            json!({"status": format!("@bea@{} wrong ({n})", a.domain), "in_reply_to_id": at_b}),
        )
        .await;
    }
    let held = requests_once(&bea, 10).await;
    let notified = eventually("10 mentions shown", || async {
        let got = shown(&bea, "?limit=30").await;
        (got.len() >= 10).then_some(got)
    })
    .await;
    assert_eq!(notified.len(), 10, "{notified:?}");
    assert_eq!(held.len(), 10, "{held:?}");
    assert_eq!(requests(&bea).await.len(), 10);
    let p = bea.json("/api/v2/notifications/policy").await;
    assert_eq!(
        p["summary"],
        json!({"pending_requests_count": 10, "pending_notifications_count": 10})
    );

    a.stop().await;
    b.stop().await;
}
