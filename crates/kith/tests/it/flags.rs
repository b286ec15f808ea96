//! Reports between servers: `POST /api/v1/reports` with `forward=true` about a remote account
//! reaches the other Kith as a `Flag` from the instance actor with no trace of the reporter,
//! and lands in its staff queue; incoming Flags in Mastodon's and Misskey's shapes
//! (tests/fixtures/activitypub/flags) become reports in the admin queue, filed by the sending
//! actor, with `admin.report` for the staff; a Flag naming no local account is kept aside and
//! acts on nothing; a domain whose reports are rejected is ignored.

use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{eventually, urlencode, Instance, User};
use kith_core::accounts::Role;
use kith_storage::received_flags::{self, ReceivedFlag};
use kith_storage::testing::TestDatabase;
use serde_json::{json, Value};

async fn flags(i: &Instance) -> Vec<ReceivedFlag> {
    i.context.db.read(received_flags::list).await.unwrap()
}

const MOD_SCOPES: &str = "read write admin:read admin:write";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/activitypub/flags")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_report_arrives_as_a_flag_from_the_instance_actor() {
    for db_a in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db_a.backend);
        let db_b = TestDatabase::sqlite();
        let a = Instance::start(&db_a).await;
        let b = Instance::start(&db_b).await;
        let reporter = User::new(&a, "reporter").await;
        let bo = User::new(&b, "bo").await;
        let post = bo
            .post(
                "/api/v1/statuses",
                json!({"status": "something reportable", "visibility": "public"}),
            )
            .await;
        let status_uri = post["uri"].as_str().unwrap().to_owned();
        let modo_b = User::with_role(&b, "modo", Role::Moderator, MOD_SCOPES).await;
        let bo_at_a = reporter.resolve(&format!("@bo@{}", b.domain)).await;
        let found = reporter
            .json(&format!(
                "/api/v2/search?q={}&resolve=true&type=statuses",
                urlencode(&status_uri)
            ))
            .await;
        let post_at_a = found["statuses"][0]["id"].as_str().unwrap().to_owned();

        let report = reporter
            .post(
                "/api/v1/reports",
                json!({"account_id": bo_at_a, "status_ids": [post_at_a],
                       "comment": "spam, reported by a member", "forward": true}),
            )
            .await;
        assert_eq!(report["forwarded"], true, "{report}");

        // B files it, from A's instance actor, about bo and his post.
        let got = eventually("the Flag reaches B's queue", || async {
            let open = modo_b.json("/api/v1/admin/reports").await;
            open.as_array().unwrap().first().cloned()
        })
        .await;
        assert_eq!(
            got["account"]["account"]["uri"],
            format!("{}/actor", a.base).as_str(),
            "{got}"
        );
        assert_eq!(got["origin_domain"], a.domain.as_str(), "{got}");
        assert_eq!(got["target_account"]["id"], bo.id, "{got}");
        assert_eq!(got["comment"], "spam, reported by a member");
        assert_eq!(got["statuses"][0]["id"], post["id"], "{got}");
        assert!(!got.to_string().contains("reporter"), "{got}");
        let n = modo_b.json("/api/v1/notifications").await;
        assert_eq!(n[0]["type"], "admin.report", "{n}");

        // The activity as sent names nobody but the instance actor and what was reported.
        let sent: Vec<String> = a
            .context
            .db
            .read(|c| {
                use diesel::prelude::*;
                use kith_storage::schema::outbox_activities;
                Ok(outbox_activities::table
                    .select(outbox_activities::body)
                    .load::<String>(c)?)
            })
            .await
            .unwrap();
        let flag: Value = sent
            .iter()
            .map(|s| serde_json::from_str::<Value>(s).unwrap())
            .find(|v| v["type"] == "Flag")
            .expect("the Flag in A's outbox");
        assert_eq!(flag["actor"], format!("{}/actor", a.base).as_str());
        assert_eq!(
            flag["object"],
            json!([format!("{}/users/bo", b.base), status_uri])
        );
        assert!(!flag.to_string().contains("reporter"), "{flag}");
        assert!(!flag.to_string().contains(&reporter.id), "{flag}");
        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incoming_flags_of_both_shapes_become_reports() {
    on_each_backend!(async |i: &Instance| {
        let bob = User::new(i, "bob").await;
        let post = bob
            .post(
                "/api/v1/statuses",
                json!({"status": "reported post", "visibility": "public"}),
            )
            .await;
        let note_uri = post["uri"].as_str().unwrap().to_owned();
        let carl = User::new(i, "carl").await;
        let carls = carl
            .post(
                "/api/v1/statuses",
                json!({"status": "carl's post", "visibility": "public"}),
            )
            .await;
        let modo = User::with_role(i, "modo", Role::Moderator, MOD_SCOPES).await;
        let modo_ref = &modo;
        let queue = move || async move { modo_ref.json("/api/v1/admin/reports").await };
        let k = key();
        let fake = Fake::start().await;
        let fake_domain = fake.base.trim_start_matches("http://").to_owned();
        let inbox = i.url("/inbox");
        let mut expected = 0;
        for (file, host, actor_path) in [
            ("mastodon_flag.json", "mastodon.example", "/actor"),
            (
                "misskey_flag.json",
                "misskey.example",
                "/users/9abc0000instance",
            ),
        ] {
            let text = fixture(file)
                .replace("https://kith.example/notes/9f3c2a", &note_uri)
                .replace("https://kith.example", &i.base)
                .replace(&format!("https://{host}"), &fake.base);
            let actor = format!("{}{actor_path}", fake.base);
            let key_id = format!("{actor}#main-key");
            let mut doc = actor_doc(&actor, &key_id, &k.public_pem);
            doc["type"] = json!("Application");
            fake.serve(&actor, doc);
            // Sent twice (a redelivery): filed once.
            for _ in 0..2 {
                let status = post_signed(&inbox, text.as_bytes(), &key_id, &k, Spoil::None).await;
                assert!((200..300).contains(&status), "{file}: {status}");
            }
            expected += 1;
            let all = queue().await;
            assert_eq!(all.as_array().unwrap().len(), expected, "{file}: {all}");
            let got = &all[0];
            assert_eq!(got["account"]["account"]["uri"], actor.as_str(), "{file}");
            assert_eq!(got["target_account"]["id"], bob.id, "{file}");
            assert_eq!(got["origin_domain"], fake_domain.as_str(), "{file}");
            assert_eq!(got["action_taken"], false);
            assert!(!got["comment"].as_str().unwrap().is_empty());
            let n = modo.json("/api/v1/notifications").await;
            assert_eq!(n.as_array().unwrap().len(), expected, "{n}");
            assert_eq!(n[0]["type"], "admin.report", "{n}");
        }
        let all = queue().await;
        // Mastodon's names the status too; Misskey's only the account.
        assert_eq!(all[1]["statuses"][0]["id"], post["id"], "{all}");
        assert_eq!(all[0]["statuses"], json!([]), "{all}");
        assert!(flags(i).await.is_empty());

        // A status that is not the target's is dropped from the report.
        let actor = format!("{}/actor", fake.base);
        let key_id = format!("{actor}#main-key");
        let mixed = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/flag-mixed", fake.base), "type": "Flag", "actor": actor,
            "content": "both", "object": [format!("{}/users/bob", i.base), carls["uri"]]
        });
        let status = post_signed(
            &inbox,
            mixed.to_string().as_bytes(),
            &key_id,
            &k,
            Spoil::None,
        )
        .await;
        assert!((200..300).contains(&status));
        let all = queue().await;
        assert_eq!(all.as_array().unwrap().len(), 3, "{all}");
        assert_eq!(all[0]["target_account"]["id"], bob.id, "{all}");
        assert_eq!(all[0]["statuses"], json!([]), "{all}");

        // A Flag naming no local account is kept aside, files no report, acts on nothing.
        let elsewhere = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/flag-elsewhere", fake.base), "type": "Flag", "actor": actor,
            "content": "not yours", "object": ["https://elsewhere.example/users/zed"]
        });
        let status = post_signed(
            &inbox,
            elsewhere.to_string().as_bytes(),
            &key_id,
            &k,
            Spoil::None,
        )
        .await;
        assert!((200..300).contains(&status));
        let kept = flags(i).await;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].account_id, None);
        assert!(kept[0].object_uris.contains("elsewhere.example/users/zed"));
        assert_eq!(queue().await.as_array().unwrap().len(), 3);
        let me = bob.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["username"], "bob");

        // Reports from a domain whose reports are rejected are ignored.
        modo.post(
            "/api/v1/admin/domain_blocks",
            json!({"domain": fake_domain, "severity": "noop", "reject_reports": true}),
        )
        .await;
        let again = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/flag-rejected", fake.base), "type": "Flag", "actor": actor,
            "content": "ignored", "object": [format!("{}/users/bob", i.base)]
        });
        let status = post_signed(
            &inbox,
            again.to_string().as_bytes(),
            &key_id,
            &k,
            Spoil::None,
        )
        .await;
        assert!((200..300).contains(&status));
        assert_eq!(queue().await.as_array().unwrap().len(), 3);
        assert_eq!(flags(i).await.len(), 1);
        fake.stop().await;
    });
}
