//! Announcements: admins write them with `kith admin announcement` (audited; moderators may
//! not), people see the current ones through `GET /api/v1/announcements`, dismiss them and
//! react with emoji, each on their own; apps' `user` streams hear of new and withdrawn
//! announcements and of reactions, also when another process (the command) made them.

use crate::on_each_backend;
use crate::rig::{client, urlencode, Instance, User};
use crate::streaming::{next, ws, ws_url};
use kith::announcements_cli::{run, AnnouncementCommand};
use kith_core::accounts::Role;
use kith_storage::announcements as store;
use kith_storage::testing::TestDatabase;
use reqwest::Method;
use serde_json::{json, Value};

fn add(text: &str, actor: &str, starts: Option<&str>, ends: Option<&str>) -> AnnouncementCommand {
    AnnouncementCommand::Add {
        text: text.into(),
        actor: actor.into(),
        starts_at: starts.map(Into::into),
        ends_at: ends.map(Into::into),
        all_day: false,
    }
}

async fn send(user: &User, method: Method, path: &str) -> (u16, Value) {
    let res = client()
        .request(method, format!("{}{path}", user.base))
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_announce_and_people_dismiss_and_react() {
    on_each_backend!(async |i: &Instance| {
        let db = &i.context.db;
        let admin = User::with_role(i, "root", Role::Admin, "read write admin:read").await;
        User::with_role(i, "modo", Role::Moderator, "read").await;
        let ana = User::new(i, "ana").await;
        let bo = User::new(i, "bo").await;

        let now = chrono::Utc::now();
        let later = (now + chrono::Duration::days(1)).to_rfc3339();
        let earlier = (now - chrono::Duration::days(2))
            .format("%Y-%m-%d")
            .to_string();
        let yesterday = (now - chrono::Duration::hours(1)).to_rfc3339();
        run(
            db,
            add(
                "Tea party on <Friday> at https://example.com/tea",
                "root",
                None,
                None,
            ),
        )
        .await
        .unwrap();
        run(db, add("Not yet", "root", Some(&later), None))
            .await
            .unwrap();
        run(db, add("Over", "root", Some(&earlier), Some(&yesterday)))
            .await
            .unwrap();
        // Only admins write them; bad input is refused with nothing stored.
        let refused = [
            add("From a moderator", "modo", None, None),
            add("From a user", "ana", None, None),
            add("   ", "root", None, None),
            add("Backwards", "root", Some(&later), Some(&yesterday)),
            add("Bad date", "root", Some("next friday"), None),
        ];
        for cmd in refused {
            assert!(run(db, cmd).await.is_err());
        }
        let all = db.read(store::all).await.unwrap();
        assert_eq!(all.len(), 3);
        let current_id = all.iter().find(|a| a.text.starts_with("Tea")).unwrap().id;
        let future_id = all.iter().find(|a| a.text == "Not yet").unwrap().id;

        // Only the current one shows, its text escaped into HTML.
        let list = ana.json("/api/v1/announcements").await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        let a = &list[0];
        assert_eq!(a["id"], current_id.to_string());
        let content = a["content"].as_str().unwrap();
        assert!(content.contains("&lt;Friday&gt;"), "{content}");
        assert!(content.starts_with("<p>Tea party"), "{content}");
        assert_eq!(a["read"], false);
        assert_eq!(a["all_day"], false);
        assert_eq!(a["starts_at"], Value::Null);
        for key in ["mentions", "statuses", "tags", "emojis", "reactions"] {
            assert_eq!(a[key], serde_json::json!([]), "{key}");
        }
        assert!(a["published_at"].as_str().unwrap().ends_with('Z'));

        // Dismissing is one's own; a future or unknown announcement is 404.
        let dismiss = format!("/api/v1/announcements/{current_id}/dismiss");
        assert_eq!(send(&ana, Method::POST, &dismiss).await.0, 200);
        assert_eq!(send(&ana, Method::POST, &dismiss).await.0, 200);
        assert_eq!(ana.json("/api/v1/announcements").await[0]["read"], true);
        assert_eq!(bo.json("/api/v1/announcements").await[0]["read"], false);
        for path in [
            format!("/api/v1/announcements/{future_id}/dismiss"),
            "/api/v1/announcements/1/dismiss".to_owned(),
            "/api/v1/announcements/nope/dismiss".to_owned(),
        ] {
            assert_eq!(send(&ana, Method::POST, &path).await.0, 404, "{path}");
        }

        // Reactions: emoji only, counted per announcement, `me` per reader.
        let reaction = |name: &str| {
            format!(
                "/api/v1/announcements/{current_id}/reactions/{}",
                urlencode(name)
            )
        };
        assert_eq!(send(&ana, Method::PUT, &reaction("👍")).await.0, 200);
        assert_eq!(send(&ana, Method::PUT, &reaction("👍")).await.0, 200);
        assert_eq!(send(&bo, Method::PUT, &reaction("👍")).await.0, 200);
        assert_eq!(send(&bo, Method::PUT, &reaction("🍵")).await.0, 200);
        let (status, body) = send(&ana, Method::PUT, &reaction("<b>hi</b>")).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"].is_string());
        let future_reaction = format!(
            "/api/v1/announcements/{future_id}/reactions/{}",
            urlencode("👍")
        );
        assert_eq!(send(&ana, Method::PUT, &future_reaction).await.0, 404);
        let seen = ana.json("/api/v1/announcements").await;
        let reactions = &seen[0]["reactions"];
        assert_eq!(reactions[0]["name"], "👍");
        assert_eq!(reactions[0]["count"], 2);
        assert_eq!(reactions[0]["me"], true);
        assert_eq!(reactions[1]["name"], "🍵");
        assert_eq!(reactions[1]["me"], false);
        assert_eq!(send(&ana, Method::DELETE, &reaction("👍")).await.0, 200);
        let seen = bo.json("/api/v1/announcements").await;
        assert_eq!(seen[0]["reactions"][0]["count"], 1);
        assert_eq!(seen[0]["reactions"][0]["me"], true);

        // Without a token, 401.
        let res = client()
            .get(i.url("/api/v1/announcements"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);

        // Every write is in the audit log; removing one takes it away.
        run(
            db,
            AnnouncementCommand::Remove {
                id: current_id,
                actor: "root".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            ana.json("/api/v1/announcements").await,
            serde_json::json!([])
        );
        let log = admin.json("/api/v1/admin/audit_log").await;
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "destroy_announcement",
                "create_announcement",
                "create_announcement",
                "create_announcement"
            ]
        );
        assert_eq!(log[0]["target_id"], current_id.to_string());
    });
}

/// Runs `kith admin announcement ARGS` as its own process on `i`'s database; its stdout.
fn announcement_command(db: &TestDatabase, i: &Instance, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut full = vec!["admin", "announcement"];
    full.extend_from_slice(args);
    let out = crate::delivery::kith(db, dir.path(), 0, &i.domain, &full)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_streams_hear_of_announcements_from_another_process() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let i = Instance::start(&db).await;
        User::with_role(&i, "root", Role::Admin, "read").await;
        let ana = User::new(&i, "ana").await;
        let mut user = ws(ws_url(
            &i,
            &format!("stream=user&access_token={}", ana.token),
        ))
        .await;
        let mut public = ws(ws_url(&i, "stream=public")).await;

        // Published by `kith admin announcement add`, another process.
        let id = announcement_command(&db, &i, &["add", "Tea at five", "--as", "root"]);
        let heard = next(&mut user).await;
        assert_eq!(heard["event"], "announcement", "{heard}");
        assert_eq!(heard["stream"], json!(["user"]));
        assert_eq!(heard["payload"]["id"], id.as_str(), "{heard}");
        assert!(
            heard["payload"]["content"]
                .as_str()
                .unwrap()
                .contains("Tea at five"),
            "{heard}"
        );
        assert_eq!(heard["payload"]["reactions"], json!([]));
        assert!(heard["payload"].get("read").is_none(), "{heard}");

        // A reaction, with its new count.
        let path = format!("/api/v1/announcements/{id}/reactions/{}", urlencode("🍵"));
        assert_eq!(send(&ana, Method::PUT, &path).await.0, 200);
        let heard = next(&mut user).await;
        assert_eq!(heard["event"], "announcement.reaction", "{heard}");
        assert_eq!(
            heard["payload"],
            json!({"name": "🍵", "count": 1, "announcement_id": id}),
        );
        assert_eq!(send(&ana, Method::DELETE, &path).await.0, 200);
        let heard = next(&mut user).await;
        assert_eq!(heard["payload"]["count"], 0, "{heard}");

        // Withdrawn, again from another process.
        announcement_command(&db, &i, &["remove", &id, "--as", "root"]);
        let heard = next(&mut user).await;
        assert_eq!(heard["event"], "announcement.delete", "{heard}");
        assert_eq!(heard["payload"], id.as_str());

        // The public stream heard none of it: the next thing on it is a public post.
        let post = ana
            .post("/api/v1/statuses", json!({"status": "after the tea"}))
            .await;
        let seen = next(&mut public).await;
        assert_eq!(seen["event"], "update", "{seen}");
        assert_eq!(seen["payload"]["id"], post["id"]);
        i.stop().await;
    }
}
