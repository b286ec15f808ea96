//! Instances named by an IP address (`127.0.0.1:PORT`): in development mode they are found by
//! handle, followed and conversed with like named ones (`kith_federation::fetch` fetches what
//! `activitypub_federation` refuses); outside it they are refused, with the reason in the error.

use crate::rig::{eventually, Instance, User};
use activitypub_federation::fetch::object_id::ObjectId;
use kith_federation::objects::account::ApAccount;
use kith_storage::testing::TestDatabase;
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ip_named_instance_is_found_followed_and_answered_in_dev_mode() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let other = TestDatabase::sqlite();
        let a = Instance::start(&db).await;
        let b = Instance::start_on_ip(&other, |_| {}).await;
        assert!(b.domain.starts_with("127.0.0.1:"), "{}", b.domain);
        let ana = User::new(&a, "ana").await;
        let bob = User::new(&b, "bob").await;

        // Search by handle with resolve=true finds him.
        let handle = format!("@bob@{}", b.domain);
        let found = ana
            .json(&format!(
                "/api/v2/search?resolve=true&type=accounts&q={}",
                crate::rig::urlencode(&handle)
            ))
            .await;
        let bob_at_a = found["accounts"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{handle} not found: {found}"))
            .to_owned();
        assert_eq!(found["accounts"][0]["acct"], format!("bob@{}", b.domain));
        assert_eq!(
            found["accounts"][0]["url"]
                .as_str()
                .map(|u| u.contains("127.0.0.1")),
            Some(true),
            "{found}"
        );
        // The lookup by acct now knows him too.
        let looked_up = ana
            .json(&format!("/api/v1/accounts/lookup?acct=bob@{}", b.domain))
            .await;
        assert_eq!(looked_up["id"], bob_at_a);

        // Ana follows him; his server accepts.
        ana.post(&format!("/api/v1/accounts/{bob_at_a}/follow"), json!({}))
            .await;
        eventually("Accept from bob", || async {
            let rels = ana
                .json(&format!("/api/v1/accounts/relationships?id[]={bob_at_a}"))
                .await;
            (rels[0]["following"] == true).then_some(())
        })
        .await;

        // His public post reaches her home timeline.
        let post = bob
            .post(
                "/api/v1/statuses",
                json!({"status": "hello from an address", "visibility": "public"}),
            )
            .await;
        let uri = post["uri"].as_str().unwrap().to_owned();
        assert!(uri.starts_with(&format!("http://{}/", b.domain)), "{uri}");
        let at_a: Value = eventually("bob's post in ana's home", || async {
            let home = ana.json("/api/v1/timelines/home").await;
            home.as_array()
                .unwrap()
                .iter()
                .find(|s| s["uri"] == uri)
                .cloned()
        })
        .await;

        // Her reply reaches him.
        let reply = ana
            .post(
                "/api/v1/statuses",
                json!({
                    "status": format!("@bob@{} hello back", b.domain),
                    "in_reply_to_id": at_a["id"],
                }),
            )
            .await;
        let reply_uri = reply["uri"].as_str().unwrap().to_owned();
        let context = eventually("ana's reply at bob's", || async {
            let ctx = bob
                .json(&format!(
                    "/api/v1/statuses/{}/context",
                    post["id"].as_str().unwrap()
                ))
                .await;
            let found = ctx["descendants"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["uri"] == reply_uri);
            found.then_some(ctx)
        })
        .await;
        assert_eq!(
            context["descendants"][0]["account"]["acct"],
            format!("ana@{}", a.domain)
        );
        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_dev_mode_ip_hosts_are_refused_with_a_reason() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let other = TestDatabase::sqlite();
        let a = Instance::start_public(&db).await;
        let b = Instance::start_on_ip(&other, |_| {}).await;
        let ana = User::new(&a, "ana").await;
        User::new(&b, "bob").await;

        // The API answers as Mastodon does: nothing found.
        let found = ana
            .json(&format!(
                "/api/v2/search?resolve=true&type=accounts&q={}",
                crate::rig::urlencode(&format!("@bob@{}", b.domain))
            ))
            .await;
        assert_eq!(found["accounts"], json!([]), "{found}");

        // The fetch itself says why.
        let actor = kith_core::accounts::ensure_instance_actor(&a.context.db, &a.context.urls)
            .await
            .unwrap();
        let federation = kith_federation::build_federation_config(
            a.context.clone(),
            &ApAccount::new(actor).unwrap(),
        )
        .await
        .unwrap();
        let data = federation.to_request_data();
        let bob_url = url::Url::parse(&format!("http://{}/users/bob", b.domain)).unwrap();
        let err = kith_federation::fetch::dereference(&ObjectId::<ApAccount>::from(bob_url), &data)
            .await
            .expect_err("an IP host outside development mode");
        let why = err.to_string();
        assert!(why.contains("only development mode"), "{why}");
        a.stop().await;
        b.stop().await;
    }
}
