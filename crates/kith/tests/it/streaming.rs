//! The streaming API with real clients: WebSockets (`tokio-tungstenite`) and server-sent
//! events, on both backends; a post by a followed remote account (through the inbox, from a
//! fake server whose keys the test holds), a mention, public and followers-only posts,
//! deletes, bad tokens and scopes; and on PostgreSQL a client of a second `kith serve`
//! process sharing the database hearing what happens on the first.

use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use futures::{SinkExt, StreamExt};
use kith_storage::follows::Follow;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn ws(url: String) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connects");
    ws
}

/// The next message that is not a heartbeat, as JSON (`payload` parsed when it is JSON).
pub async fn next(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(30), ws.next())
            .await
            .expect("a streaming message within 30 s")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = message {
            let mut v: Value = serde_json::from_str(&text).unwrap();
            if let Some(p) = v["payload"].as_str() {
                if let Ok(parsed) = serde_json::from_str::<Value>(p) {
                    if parsed.is_object() {
                        v["payload"] = parsed;
                    }
                }
            }
            return v;
        }
    }
}

/// Subscribes, then proves the server has applied it: messages are handled in order, so the
/// error answering a bogus subscription comes after the real one took effect.
pub async fn subscribe(ws: &mut Ws, command: Value) {
    ws.send(Message::text(command.to_string())).await.unwrap();
    ws.send(Message::text(
        json!({"type": "subscribe", "stream": "no-such-stream"}).to_string(),
    ))
    .await
    .unwrap();
    let answer = next(ws).await;
    assert_eq!(answer["error"], "Unknown stream type", "{answer}");
    assert_eq!(answer["status"], 400);
}

pub fn ws_url(i: &Instance, query: &str) -> String {
    format!("ws://{}/api/v1/streaming?{query}", i.domain)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_and_sse_clients_get_what_they_may_see() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let http = client();

        // The advertised streaming URL is where the WebSocket is.
        let v1: Value = http
            .get(i.url("/api/v1/instance"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v1["urls"]["streaming_api"], format!("ws://{}", i.domain));
        let v2: Value = http
            .get(i.url("/api/v2/instance"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            v2["configuration"]["urls"]["streaming"],
            format!("ws://{}", i.domain)
        );
        let health = http
            .get(i.url("/api/v1/streaming/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
        assert_eq!(health.text().await.unwrap(), "OK");

        // Refusals: a bad token, the user stream without one, a token without the scope.
        let bad = http
            .get(i.url("/api/v1/streaming/user?access_token=nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 401);
        let anon_user = http
            .get(i.url("/api/v1/streaming/user"))
            .send()
            .await
            .unwrap();
        assert_eq!(anon_user.status(), 401);
        assert!(
            tokio_tungstenite::connect_async(ws_url(i, "access_token=nope"))
                .await
                .is_err()
        );
        let writer_only = {
            let id: i64 = ana.id.parse().unwrap();
            let account = i
                .context
                .db
                .read(move |c| kith_storage::accounts::by_id(c, id))
                .await
                .unwrap();
            i.token(&account, "write").await
        };
        let out_of_scope = http
            .get(i.url(&format!(
                "/api/v1/streaming/public?access_token={writer_only}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(out_of_scope.status(), 403);

        // A remote account, eve, on a fake server; ana follows her.
        let fake = Fake::start().await;
        let eve_key = key();
        let eve = format!("{}/users/eve", fake.base);
        fake.serve(
            &eve,
            actor_doc(&eve, &format!("{eve}#main-key"), &eve_key.public_pem),
        );
        let inbox = i.url("/inbox");
        let send = async |body: Value| {
            post_signed(
                &inbox,
                body.to_string().as_bytes(),
                &format!("{eve}#main-key"),
                &eve_key,
                Spoil::None,
            )
            .await
        };
        let create = |n: u32, content: &str, to: Value| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{eve}/notes/{n}/activity"), "type": "Create", "actor": eve,
                "to": to, "object": { "id": format!("{eve}/notes/{n}"), "type": "Note",
                "attributedTo": eve, "content": content, "to": to }
            })
        };
        let public = json!(["https://www.w3.org/ns/activitystreams#Public"]);
        let followers = json!([format!("{eve}/followers")]);
        assert_eq!(send(create(1, "eve says hello", public.clone())).await, 202);
        let eve_ap = eve.clone();
        let ana_id: i64 = ana.id.parse().unwrap();
        i.context
            .db
            .write(move |c| {
                let eve = kith_storage::accounts::by_ap_id(c, &eve_ap)?;
                kith_storage::follows::insert(
                    c,
                    &Follow {
                        id: kith_storage::id::new_id(),
                        account_id: ana_id,
                        target_account_id: eve.id,
                        ap_id: format!("http://{}/follows/1", "localhost"),
                        accepted: true,
                        created_at: kith_storage::now(),
                    },
                )
                .map(|_| ())
            })
            .await
            .unwrap();

        // ana on `user` (token in the query, stream as a parameter); an anonymous client
        // subscribed to `public` by message; ana again with the token as the subprotocol;
        // an anonymous SSE client on `public`.
        let mut ana_ws = ws(ws_url(
            i,
            &format!("access_token={}&stream=user", ana.token),
        ))
        .await;
        let mut anon_ws = ws(ws_url(i, "")).await;
        subscribe(
            &mut anon_ws,
            json!({"type": "subscribe", "stream": "public"}),
        )
        .await;
        let mut request = ws_url(i, "").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", ana.token.parse().unwrap());
        let (mut ana_proto, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            ana.token.as_str()
        );
        subscribe(
            &mut ana_proto,
            json!({"type": "subscribe", "stream": "user:notification"}),
        )
        .await;
        let mut sse = http
            .get(i.url("/api/v1/streaming/public"))
            .send()
            .await
            .unwrap();
        assert_eq!(sse.status(), 200);
        assert!(sse.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));

        // Eve's followers-only post reaches ana's home stream but no public stream; her
        // public post after it reaches both (events come in commit order).
        assert_eq!(send(create(2, "eve to followers", followers)).await, 202);
        assert_eq!(send(create(3, "eve in public", public.clone())).await, 202);
        let first = next(&mut ana_ws).await;
        assert_eq!(first["event"], "update", "{first}");
        assert_eq!(first["stream"], json!(["user"]));
        assert!(first["payload"]["content"]
            .as_str()
            .unwrap()
            .contains("eve to followers"));
        assert_eq!(first["payload"]["visibility"], "private");
        let second = next(&mut ana_ws).await;
        assert!(second["payload"]["content"]
            .as_str()
            .unwrap()
            .contains("eve in public"));
        let seen = next(&mut anon_ws).await;
        assert_eq!(seen["event"], "update");
        assert_eq!(seen["stream"], json!(["public"]));
        assert!(
            seen["payload"]["content"]
                .as_str()
                .unwrap()
                .contains("eve in public"),
            "the followers-only post must not come first: {seen}"
        );

        // bob mentions ana: a notification on her streams.
        let mention = bob
            .post("/api/v1/statuses", json!({"status": "hello @ana"}))
            .await;
        let n = next(&mut ana_ws).await;
        assert_eq!(n["event"], "notification", "{n}");
        assert_eq!(n["payload"]["type"], "mention");
        assert_eq!(n["payload"]["status"]["id"], mention["id"]);
        let n = next(&mut ana_proto).await;
        assert_eq!(n["event"], "notification");
        assert_eq!(n["stream"], json!(["user:notification"]));
        let seen = next(&mut anon_ws).await;
        assert_eq!(seen["payload"]["id"], mention["id"]);

        // bob's followers-only post never reaches the public stream; his delete does.
        bob.post(
            "/api/v1/statuses",
            json!({"status": "bob to followers", "visibility": "private"}),
        )
        .await;
        let status = bob
            .status_code(
                reqwest::Method::DELETE,
                &format!("/api/v1/statuses/{}", mention["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(status, 200);
        let seen = next(&mut anon_ws).await;
        assert_eq!(seen["event"], "delete", "{seen}");
        assert_eq!(seen["payload"], mention["id"]);

        // The SSE client saw eve's public post, bob's mention and its delete, in order.
        let mut text = String::new();
        while !text.contains("event: delete") {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), sse.chunk())
                .await
                .expect("an SSE chunk within 30 s")
                .unwrap()
                .expect("the stream stays open");
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        assert!(text.starts_with(":)"));
        assert!(!text.contains("to followers"), "{text}");
        let updates: Vec<&str> = text.matches("event: update\n").collect();
        assert_eq!(updates.len(), 2, "{text}");
        let eve_at = text.find("eve in public").unwrap();
        let mention_at = text.find("hello").unwrap();
        assert!(eve_at < mention_at);

        // Unsubscribing stops the stream (proved by the next event reaching only others).
        subscribe(
            &mut anon_ws,
            json!({"type": "unsubscribe", "stream": "public"}),
        )
        .await;
        subscribe(
            &mut anon_ws,
            json!({"type": "subscribe", "stream": "hashtag", "tag": "kith"}),
        )
        .await;
        bob.post("/api/v1/statuses", json!({"status": "no tag here"}))
            .await;
        bob.post("/api/v1/statuses", json!({"status": "about #Kith"}))
            .await;
        let seen = next(&mut anon_ws).await;
        assert_eq!(seen["stream"], json!(["hashtag", "kith"]), "{seen}");
        assert!(seen["payload"]["content"]
            .as_str()
            .unwrap()
            .contains("Kith"));

        // Personal streams need a token over WebSocket too.
        anon_ws
            .send(Message::text(
                json!({"type": "subscribe", "stream": "user"}).to_string(),
            ))
            .await
            .unwrap();
        let refused = next(&mut anon_ws).await;
        assert_eq!(refused["status"], 401, "{refused}");
        fake.stop().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_a_second_process_hears_events_from_the_first() {
    if !std::env::var("KITH_TEST_BACKENDS")
        .unwrap_or_else(|_| "postgres".into())
        .contains("postgres")
    {
        return;
    }
    let db = kith_storage::testing::TestDatabase::postgres();
    let first = Instance::start(&db).await;
    let ana = User::new(&first, "ana").await;
    let bob = User::new(&first, "bob").await;
    // A second `kith serve` process on the same database and domain.
    let dir = tempfile::tempdir().unwrap();
    let port = crate::delivery::free_port();
    let mut second = crate::delivery::serve(&db, dir.path(), port, &first.domain).await;
    let base = second.base.replace("http://", "ws://");
    let mut public = ws(format!("{base}/api/v1/streaming?stream=public")).await;
    let mut user = ws(format!(
        "{base}/api/v1/streaming?stream=user&access_token={}",
        ana.token
    ))
    .await;
    // Both subscribed by parameter before the handshake answered; now act on the first.
    let post = ana
        .post(
            "/api/v1/statuses",
            json!({"status": "from the first process"}),
        )
        .await;
    let seen = next(&mut public).await;
    assert_eq!(seen["event"], "update", "{seen}");
    assert_eq!(seen["payload"]["id"], post["id"]);
    let own = next(&mut user).await;
    assert_eq!(own["payload"]["id"], post["id"]);
    bob.post("/api/v1/statuses", json!({"status": "hi @ana"}))
        .await;
    let n = next(&mut user).await;
    assert_eq!(n["event"], "notification", "{n}");
    assert_eq!(n["payload"]["type"], "mention");
    second.child.kill().unwrap();
    let _ = second.child.wait();
    first.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_streaming_endpoint_checks_its_token_and_scope() {
    on_each_backend!(async |i: &Instance| {
        let ana = i.create_user("ana", "correct horse").await;
        let statuses = i.token(&ana, "read:statuses").await;
        let notifications = i.token(&ana, "read:notifications").await;
        let read = i.token(&ana, "read").await;
        let write = i.token(&ana, "write follow push profile").await;
        let app = kith_core::tokens::issue(
            &i.context.db,
            None,
            None,
            &kith_core::Scopes::parse("read").unwrap(),
        )
        .await
        .unwrap()
        .0;
        // (path, anonymous, read:statuses, read:notifications, read, write…, app's read, bad)
        let table: &[(&str, [u16; 7])] = &[
            (
                "/api/v1/streaming/health",
                [200, 200, 200, 200, 200, 200, 200],
            ),
            ("/api/v1/streaming", [400, 400, 400, 400, 400, 400, 401]),
            (
                "/api/v1/streaming?stream=public",
                [200, 200, 403, 200, 403, 200, 401],
            ),
            (
                "/api/v1/streaming?stream=user",
                [401, 200, 403, 200, 403, 403, 401],
            ),
            (
                "/api/v1/streaming/user",
                [401, 200, 403, 200, 403, 403, 401],
            ),
            (
                "/api/v1/streaming/user/notification",
                [401, 403, 200, 200, 403, 403, 401],
            ),
            (
                "/api/v1/streaming/public",
                [200, 200, 403, 200, 403, 200, 401],
            ),
            (
                "/api/v1/streaming/public/local",
                [200, 200, 403, 200, 403, 200, 401],
            ),
            (
                "/api/v1/streaming/public/remote",
                [200, 200, 403, 200, 403, 200, 401],
            ),
            (
                "/api/v1/streaming/hashtag?tag=kith",
                [200, 200, 403, 200, 403, 200, 401],
            ),
            (
                "/api/v1/streaming/hashtag",
                [400, 400, 400, 400, 400, 400, 401],
            ),
            (
                "/api/v1/streaming/hashtag/local?tag=kith",
                [200, 200, 403, 200, 403, 200, 401],
            ),
            (
                "/api/v1/streaming/list?list=1",
                [401, 403, 403, 404, 403, 403, 401],
            ),
            (
                "/api/v1/streaming/direct",
                [401, 200, 403, 200, 403, 403, 401],
            ),
        ];
        let tokens = [
            None,
            Some(statuses.as_str()),
            Some(notifications.as_str()),
            Some(read.as_str()),
            Some(write.as_str()),
            Some(app.as_str()),
            Some("not-a-token"),
        ];
        for (path, expected) in table {
            for (n, token) in tokens.iter().enumerate() {
                let mut req = client().get(i.url(path));
                if let Some(t) = token {
                    req = req.bearer_auth(t);
                }
                // Only the head is read: an accepted stream never ends.
                let status = req.send().await.unwrap().status().as_u16();
                assert_eq!(status, expected[n], "{path} with token #{n}");
            }
        }
        // The token may also come as `access_token`.
        let status = client()
            .get(i.url(&format!("/api/v1/streaming/user?access_token={statuses}")))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_streams_respect_blocks_per_viewer() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let carl = User::new(i, "carl").await;
        ana.post(&format!("/api/v1/accounts/{}/block", bob.id), json!({}))
            .await;
        // Both subscribed by parameter, before the handshake is answered.
        let mut ana_ws = ws(ws_url(
            i,
            &format!("access_token={}&stream=public", ana.token),
        ))
        .await;
        let mut carl_ws = ws(ws_url(
            i,
            &format!("access_token={}&stream=public", carl.token),
        ))
        .await;
        let blocked = bob
            .post(
                "/api/v1/statuses",
                json!({"status": "bob, whom ana blocks"}),
            )
            .await;
        let after = carl
            .post("/api/v1/statuses", json!({"status": "carl after"}))
            .await;
        // carl sees both; ana never sees bob's post: her next update is carl's.
        assert_eq!(next(&mut carl_ws).await["payload"]["id"], blocked["id"]);
        assert_eq!(next(&mut carl_ws).await["payload"]["id"], after["id"]);
        let seen = next(&mut ana_ws).await;
        assert_eq!(seen["payload"]["id"], after["id"], "{seen}");
    });
}
