//! Who receives a post, seen from the receiving end: for each visibility (public, unlisted,
//! followers-only, direct), a reply by ana to a remote post and a reply to a local post, each
//! mentioning one remote and one local account. Remote accounts live on a loopback server that
//! records every request per inbox; local accounts are read through the client API (home
//! timeline, notifications). Mastodon's rules: followers get everything but direct messages,
//! mentioned accounts get everything, the parent's author gets a reply only when it is public
//! or unlisted (or they follow or are mentioned), and nobody else gets anything. A reply's
//! `Update` and `Delete` reach exactly the remote inboxes its `Create` reached.

use crate::delivery::remote_account;
use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use kith_storage::follows::Follow;
use kith_storage::statuses::Status;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

type Bodies = Arc<Mutex<HashMap<String, Vec<Value>>>>;

/// A remote server whose inboxes record every body they are sent, by path.
struct Recorder {
    port: u16,
    bodies: Bodies,
    handle: actix_web::dev::ServerHandle,
}

impl Recorder {
    async fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let bodies: Bodies = Arc::default();
        let b = bodies.clone();
        let server = HttpServer::new(move || {
            let b = b.clone();
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let b = b.clone();
                async move {
                    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                    b.lock()
                        .unwrap()
                        .entry(req.path().to_owned())
                        .or_default()
                        .push(v);
                    HttpResponse::Accepted().finish()
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Recorder {
            port,
            bodies,
            handle,
        }
    }

    /// The activities `name`'s inbox received.
    fn received_by(&self, name: &str) -> Vec<Value> {
        self.bodies
            .lock()
            .unwrap()
            .get(&format!("/users/{name}/inbox"))
            .cloned()
            .unwrap_or_default()
    }
}

const VISIBILITIES: [&str; 4] = ["public", "unlisted", "private", "direct"];

/// Ids (as strings) of the statuses in `path`'s list, or of the statuses notifications carry.
async fn ids_in(user: &User, path: &str) -> Vec<String> {
    let list = user.json(path).await;
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            e.get("status")
                .and_then(|s| s["id"].as_str())
                .or_else(|| e["id"].as_str().filter(|_| e.get("status").is_none()))
                .map(str::to_owned)
        })
        .collect()
}

fn names(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_owned))
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_visibility_reaches_exactly_its_audience() {
    on_each_backend!(async |i: &Instance| {
        let remote = Recorder::start().await;
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await; // follows ana
        let cyd = User::new(i, "cyd").await; // a stranger
        let dee = User::new(i, "dee").await; // writes the local parent
        let eve = User::new(i, "eve").await; // mentioned
        bob.post(&format!("/api/v1/accounts/{}/follow", ana.id), json!({}))
            .await;
        // Eve lets direct messages from strangers through: a held one (a message request, the
        // default, see `shields.rs`) would keep ana's direct replies from her until accepted.
        let res = client()
            .patch(i.url("/api/v2/notifications/policy"))
            .bearer_auth(&eve.token)
            .json(&json!({"for_private_mentions": "accept"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);

        // Remote: a follower, a stranger, the parent's author and a mentioned account.
        let accounts: Vec<_> = ["rfollower", "rstranger", "rparent", "rmention"]
            .iter()
            .map(|n| remote_account(remote.port, n))
            .collect();
        let (rfollower, rparent) = (accounts[0].clone(), accounts[2].clone());
        let ana_id: i64 = ana.id.parse().unwrap();
        let parent_id = kith_storage::id::new_id();
        let parent = Status {
            id: parent_id,
            ap_id: format!("{}/statuses/1", rparent.ap_id),
            url: None,
            account_id: rparent.id,
            local: false,
            visibility: "public".into(),
            in_reply_to_id: None,
            in_reply_to_ap_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            content: "<p>a remote post</p>".into(),
            source_text: None,
            spoiler_text: String::new(),
            sensitive: false,
            language: None,
            conversation: None,
            attachments: "[]".into(),
            created_at: kith_storage::id::timestamp_of(parent_id),
            edited_at: None,
        };
        i.context
            .db
            .write(move |c| {
                for a in &accounts {
                    kith_storage::accounts::insert(c, a)?;
                }
                kith_storage::follows::insert(
                    c,
                    &Follow {
                        id: kith_storage::id::new_id(),
                        account_id: rfollower.id,
                        target_account_id: ana_id,
                        ap_id: format!("{}#follow", rfollower.ap_id),
                        accepted: true,
                        created_at: kith_storage::now(),
                    },
                )?;
                kith_storage::statuses::insert(c, &parent, &[], &[])
            })
            .await
            .unwrap();
        let local_parent = dee
            .post("/api/v1/statuses", json!({ "status": "a local post" }))
            .await;

        // For each visibility: (status id, Create id, which parent) of both replies.
        let mut replies = Vec::new();
        for v in VISIBILITIES {
            for (parent, remote_parent) in [
                (parent_id.to_string(), true),
                (local_parent["id"].as_str().unwrap().to_owned(), false),
            ] {
                let text = format!("@rmention@localhost:{} @eve a {v} reply", remote.port);
                let s = ana
                    .post(
                        "/api/v1/statuses",
                        json!({ "status": text, "visibility": v, "in_reply_to_id": parent }),
                    )
                    .await;
                assert_eq!(s["visibility"], v);
                let id = s["id"].as_str().unwrap().to_owned();
                let create = format!("{}/activity", s["uri"].as_str().unwrap());
                replies.push((v, id, create, remote_parent));
            }
        }
        // Everything queued has gone out (the recorder answers 202 at once).
        let db = i.context.db.clone();
        eventually("the outbox to drain", || {
            let db = db.clone();
            async move {
                (db.read(kith_storage::outbox::pending).await.unwrap() == 0).then_some(())
            }
        })
        .await;

        let got = |name: &str, create: &str| {
            remote
                .received_by(name)
                .iter()
                .filter(|a| a["id"] == create)
                .count()
        };
        let home = "/api/v1/timelines/home?limit=40";
        let bob_home = ids_in(&bob, home).await;
        let cyd_home = ids_in(&cyd, home).await;
        let dee_home = ids_in(&dee, home).await;
        let eve_home = ids_in(&eve, home).await;
        let cyd_notes = ids_in(&cyd, "/api/v1/notifications?limit=80").await;
        let dee_notes = ids_in(&dee, "/api/v1/notifications?limit=80").await;
        let eve_mentions = ids_in(&eve, "/api/v1/notifications?types[]=mention&limit=80").await;
        for (v, id, create, remote_parent) in &replies {
            let case = format!(
                "{v} reply to a {} post",
                if *remote_parent { "remote" } else { "local" }
            );
            let distributable = matches!(*v, "public" | "unlisted");
            // Remote recipients, by inbox.
            assert_eq!(
                got("rfollower", create),
                usize::from(*v != "direct"),
                "remote follower, {case}"
            );
            assert_eq!(got("rstranger", create), 0, "remote stranger, {case}");
            assert_eq!(
                got("rparent", create),
                usize::from(*remote_parent && distributable),
                "remote parent author, {case}"
            );
            assert_eq!(
                got("rmention", create),
                1,
                "remote mentioned account, {case}"
            );
            // Local recipients, by home feed and notifications.
            assert_eq!(
                bob_home.contains(id),
                *v != "direct",
                "local follower's home, {case}"
            );
            assert!(
                !cyd_home.contains(id) && !cyd_notes.contains(id),
                "local stranger, {case}"
            );
            assert!(
                !dee_home.contains(id) && !dee_notes.contains(id),
                "local parent author, {case}"
            );
            assert!(
                eve_mentions.contains(id),
                "local mentioned account notified, {case}"
            );
            assert_eq!(
                eve_home.contains(id),
                *v == "direct",
                "local mentioned account's home, {case}"
            );
            // The addressing never names the parent's author of a non-public reply.
            if !distributable {
                for body in remote
                    .received_by("rfollower")
                    .iter()
                    .chain(&remote.received_by("rmention"))
                {
                    if body["id"] != *create {
                        continue;
                    }
                    for field in [
                        &body["to"],
                        &body["cc"],
                        &body["object"]["to"],
                        &body["object"]["cc"],
                    ] {
                        assert!(
                            !names(field).contains(&rparent.ap_id),
                            "{case}: the parent's author is addressed: {body}"
                        );
                    }
                }
            }
        }

        // Each reply's edit and deletion go to exactly the remote inboxes its Create reached.
        for (v, id, _, _) in &replies {
            let text = format!(
                "@rmention@localhost:{} @eve a {v} reply, edited",
                remote.port
            );
            let res = client()
                .put(format!("{}/api/v1/statuses/{id}", ana.base))
                .bearer_auth(&ana.token)
                .json(&json!({ "status": text }))
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success(), "edit: {}", res.status());
            let path = format!("/api/v1/statuses/{id}");
            assert_eq!(ana.status_code(reqwest::Method::DELETE, &path).await, 200);
        }
        let db = i.context.db.clone();
        eventually("the outbox to drain", || {
            let db = db.clone();
            async move {
                (db.read(kith_storage::outbox::pending).await.unwrap() == 0).then_some(())
            }
        })
        .await;
        for (v, _, create, remote_parent) in &replies {
            let uri = create.trim_end_matches("/activity");
            let case = format!(
                "{v} reply to a {} post",
                if *remote_parent { "remote" } else { "local" }
            );
            for kind in ["Update", "Delete"] {
                for name in ["rfollower", "rstranger", "rparent", "rmention"] {
                    let sent = remote
                        .received_by(name)
                        .iter()
                        .filter(|a| a["type"] == kind && a["object"]["id"] == uri)
                        .count();
                    assert_eq!(sent, got(name, create), "{kind} to {name}, {case}");
                }
            }
        }
        remote.handle.stop(false).await;
    });
}
