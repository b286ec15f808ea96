//! Outgoing requests of an instance with development mode off never reach a non-public
//! address: listeners on loopback (IPv4 and IPv6) record every connection, and WebFinger
//! lookups from search and from mentions, and deliveries to loopback inboxes, are aimed at
//! them in every form (literal IPs, the decimal form, `localhost`, a path-carrying handle).
//! Connections are counted with non-blocking `accept`: a connection the client made is in the
//! listener's backlog by the time its request has failed, so none is missed.

use crate::rig::{eventually, urlencode, Instance, User};
use diesel::prelude::*;
use kith_storage::schema::deliveries;
use kith_storage::testing::TestDatabase;
use kith_storage::{outbox, Db};
use std::net::TcpListener;

/// A listener that only counts the connections that reached it.
struct Trap {
    listener: TcpListener,
    port: u16,
}

impl Trap {
    fn bind(addr: &str) -> Trap {
        let listener = TcpListener::bind(addr).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        Trap { listener, port }
    }

    /// Connections that arrived since the last call.
    fn connections(&self) -> usize {
        let mut n = 0;
        while self.listener.accept().is_ok() {
            n += 1;
        }
        n
    }
}

async fn search(user: &User, q: &str) -> (u16, serde_json::Value) {
    let res = user
        .get(&format!(
            "/api/v2/search?resolve=true&type=accounts&q={}",
            urlencode(q)
        ))
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_instance_never_connects_to_loopback_addresses() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let v4 = Trap::bind("127.0.0.1:0");
        let v6 = Trap::bind("[::1]:0");
        let i = Instance::start_public(&db).await;
        let alice = User::new(&i, "alice").await;
        let (p4, p6) = (v4.port, v6.port);

        // Search, the WebFinger step.
        for q in [
            format!("@x@127.0.0.1:{p4}"),
            format!("@x@2130706433:{p4}"),
            format!("@x@0x7f000001:{p4}"),
            format!("@x@127.1:{p4}"),
            format!("@x@[::ffff:127.0.0.1]:{p4}"),
            format!("@x@localhost:{p4}"),
            format!("@x@[::1]:{p6}"),
            format!("@x@localhost:{p6}"),
        ] {
            let (status, body) = search(&alice, &q).await;
            assert_eq!(status, 200, "{q}: {body}");
            assert_eq!(body["accounts"], serde_json::json!([]), "{q}");
            assert_eq!(v4.connections() + v6.connections(), 0, "{q} connected");
        }
        // Search by URL, the fetch through `activitypub_federation`.
        for q in [
            format!("https://127.0.0.1:{p4}/users/x"),
            format!("https://2130706433:{p4}/users/x"),
            format!("https://localhost:{p4}/users/x"),
            format!("https://[::1]:{p6}/users/x"),
            format!("http://127.0.0.1:{p4}/users/x"),
        ] {
            let res = alice
                .get(&format!("/api/v2/search?resolve=true&q={}", urlencode(&q)))
                .await;
            assert_eq!(res.status(), 200, "{q}");
            assert_eq!(v4.connections() + v6.connections(), 0, "{q} connected");
        }
        // A handle that carries a path and query is refused as such, with a reason.
        let q = format!("@x@127.0.0.1:{p4}/internal/admin?delete=all#");
        let (status, body) = search(&alice, &q).await;
        assert_eq!(status, 422, "{body}");
        let error = body["error"].as_str().unwrap_or_default();
        assert!(error.contains("not a valid handle"), "{error}");
        assert_eq!(v4.connections(), 0, "the path-carrying handle connected");

        // Mentions in a post.
        alice
            .post(
                "/api/v1/statuses",
                serde_json::json!({
                    "status": format!("hi @x@127.0.0.1:{p4} @y@2130706433:{p4} @z@localhost:{p6}"),
                }),
            )
            .await;
        assert_eq!(
            v4.connections() + v6.connections(),
            0,
            "a mention connected"
        );

        // Deliveries to inboxes that a remote actor document could name.
        let me = i.create_user("bob", "correct horse").await;
        let inboxes: Vec<(String, String)> = [
            format!("127.0.0.1:{p4}"),
            format!("2130706433:{p4}"),
            format!("localhost:{p4}"),
            format!("[::1]:{p6}"),
            format!("[::ffff:7f00:1]:{p4}"),
        ]
        .into_iter()
        .map(|host| (format!("https://{host}/inbox"), host))
        .collect();
        let count = inboxes.len() as i64;
        i.context
            .db
            .write(move |c| {
                outbox::enqueue(
                    c,
                    "https://elsewhere.example/activities/1",
                    me.id,
                    r#"{"type":"Delete"}"#,
                    &inboxes,
                )
                .map(|_| ())
            })
            .await
            .unwrap();
        i.context.delivery_wakeup.notify_one();
        let reader = Db::connect(&db.url, 1).unwrap();
        let errors = eventually("every delivery to have failed once", || {
            let reader = reader.clone();
            async move {
                let errors: Vec<Option<String>> = reader
                    .read(|c| {
                        Ok(deliveries::table
                            .filter(deliveries::attempts.ge(1))
                            .select(deliveries::last_error)
                            .load(c)?)
                    })
                    .await
                    .unwrap();
                (errors.len() as i64 == count).then_some(errors)
            }
        })
        .await;
        for e in errors {
            let e = e.unwrap_or_default();
            assert!(e.contains("refused to connect"), "{e}");
        }
        assert_eq!(
            v4.connections() + v6.connections(),
            0,
            "a delivery connected"
        );
        i.stop().await;
    }
}
