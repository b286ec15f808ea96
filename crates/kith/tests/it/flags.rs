//! Reports between servers: a report forwarded from one Kith arrives at the other as a `Flag`
//! from the instance actor with no trace of the reporter; incoming Flags in Mastodon's and
//! Misskey's shapes (tests/fixtures/activitypub/flags) become reports attributed to the sending
//! server; a Flag naming nothing here is kept but acts on nothing; a domain whose reports are
//! rejected is ignored.

use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{eventually, Instance, User};
use kith_core::accounts::Role;
use kith_storage::received_flags::{self, ReceivedFlag};
use kith_storage::testing::TestDatabase;
use serde_json::{json, Value};

async fn flags(i: &Instance) -> Vec<ReceivedFlag> {
    i.context.db.read(received_flags::list).await.unwrap()
}

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
        let bo_at_a = reporter.resolve(&format!("@bo@{}", b.domain)).await;
        let bo_id: i64 = bo_at_a.parse().unwrap();

        // What `POST /api/v1/reports` with `forward=true` does for a remote account.
        let (urls, uri) = (a.context.urls.clone(), status_uri.clone());
        a.context
            .db
            .write(move |c| {
                let target = kith_storage::accounts::by_id(c, bo_id)?;
                kith_federation::flags::forward_report(
                    c,
                    &urls,
                    &target,
                    &[uri],
                    "spam, reported by a member",
                )
            })
            .await
            .unwrap();
        a.context.delivery_wakeup.notify_one();

        let got = eventually("the Flag reaches B", || async {
            flags(&b).await.into_iter().next()
        })
        .await;
        assert_eq!(got.actor_ap_id, format!("{}/actor", a.base));
        assert_eq!(got.origin_domain, a.domain);
        assert_eq!(got.account_id, Some(bo.id.parse().unwrap()));
        assert_eq!(got.comment, "spam, reported by a member");
        let statuses: Vec<String> = serde_json::from_str(&got.status_ids).unwrap();
        assert_eq!(statuses, [post["id"].as_str().unwrap()]);
        let everything = format!("{got:?}");
        assert!(!everything.contains("reporter"), "{everything}");

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
        let k = key();
        let fake = Fake::start().await;
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
            let status = post_signed(&inbox, text.as_bytes(), &key_id, &k, Spoil::None).await;
            assert!((200..300).contains(&status), "{file}: {status}");
            expected += 1;
            let all = flags(i).await;
            assert_eq!(all.len(), expected, "{file}");
            let got = &all[0];
            assert_eq!(got.actor_ap_id, actor, "{file}");
            assert_eq!(got.account_id, Some(bob.id.parse().unwrap()), "{file}");
            assert!(!got.comment.is_empty());
        }
        let all = flags(i).await;
        // Mastodon's names the status too; Misskey's only the account.
        let with_status: Vec<String> = serde_json::from_str(&all[1].status_ids).unwrap();
        assert_eq!(with_status, [post["id"].as_str().unwrap()]);

        // A Flag naming nothing here is kept as a report about what it names, acting on nothing.
        let actor = format!("{}/actor", fake.base);
        let key_id = format!("{actor}#main-key");
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
        let all = flags(i).await;
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].account_id, None);
        assert!(all[0].object_uris.contains("elsewhere.example/users/zed"));
        let me = bob.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["username"], "bob");

        // Reports from a domain whose reports are rejected are ignored.
        let modo = User::with_role(
            i,
            "modo",
            Role::Moderator,
            "read write admin:read admin:write",
        )
        .await;
        let fake_domain = fake.base.trim_start_matches("http://").to_owned();
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
        assert_eq!(flags(i).await.len(), 3);
        fake.stop().await;
    });
}
