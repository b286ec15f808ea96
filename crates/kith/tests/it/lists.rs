//! Lists on both backends: CRUD and its refusals, members (only followed accounts; 422
//! otherwise), `accounts/{id}/lists`, the list timeline (paging, visibility, mutes, each
//! replies policy), `exclusive` lists leaving home, unfollowing leaving lists, the caps, the
//! `list` stream over WebSocket and SSE, and a followed remote member's post arriving through
//! the inbox.

use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use futures::{SinkExt, StreamExt};
use kith_storage::follows::Follow;
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A request with a JSON body: (status, body as JSON or null).
pub async fn call(u: &User, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client()
        .request(method, format!("{}{}", u.base, path))
        .bearer_auth(&u.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A request with a form body: (status, body as JSON or null).
pub async fn call_form(u: &User, method: Method, path: &str, form: &str) -> (u16, Value) {
    let res = client()
        .request(method, format!("{}{}", u.base, path))
        .bearer_auth(&u.token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The contents of a timeline's statuses, newest first.
pub async fn contents(u: &User, path: &str) -> Vec<String> {
    u.json(path)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let s = if s["reblog"].is_object() {
                &s["reblog"]
            } else {
                s
            };
            kith_core::html::html_to_text(s["content"].as_str().unwrap())
        })
        .collect()
}

async fn post(u: &User, text: &str) -> Value {
    u.post("/api/v1/statuses", json!({ "status": text })).await
}

async fn reply(u: &User, text: &str, to: &Value) -> Value {
    u.post(
        "/api/v1/statuses",
        json!({ "status": text, "in_reply_to_id": to["id"] }),
    )
    .await
}

async fn follow(u: &User, other: &User) {
    u.post(&format!("/api/v1/accounts/{}/follow", other.id), json!({}))
        .await;
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

/// Sends a command, then a bogus one whose error proves the first was handled; returns the
/// first's own error, if it had one.
pub async fn command(ws: &mut Ws, command: Value) -> Option<Value> {
    ws.send(Message::text(command.to_string())).await.unwrap();
    ws.send(Message::text(
        json!({"type": "subscribe", "stream": "no-such-stream"}).to_string(),
    ))
    .await
    .unwrap();
    let answer = next(ws).await;
    if answer["error"] == "Unknown stream type" {
        return None;
    }
    let bogus = next(ws).await;
    assert_eq!(bogus["error"], "Unknown stream type", "{bogus}");
    Some(answer)
}

pub async fn ws(i: &Instance, token: &str) -> Ws {
    let url = format!("ws://{}/api/v1/streaming?access_token={token}", i.domain);
    tokio_tungstenite::connect_async(url)
        .await
        .expect("websocket connects")
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_crud_members_and_refusals() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let cat = User::new(i, "cat").await;
        let dan = User::new(i, "dan").await;
        follow(&ana, &bob).await;
        follow(&ana, &cat).await;

        // Create: Mastodon's defaults; a blank title or an unknown policy is 422.
        let list = ana.post("/api/v1/lists", json!({"title": "Friends"})).await;
        assert_eq!(list["title"], "Friends");
        assert_eq!(list["replies_policy"], "list");
        assert_eq!(list["exclusive"], false);
        let id = list["id"].as_str().unwrap().to_owned();
        let (status, body) = call(
            &ana,
            Method::POST,
            "/api/v1/lists",
            Some(json!({"title": " "})),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"].as_str().unwrap().contains("Title"));
        let (status, _) = call(
            &ana,
            Method::POST,
            "/api/v1/lists",
            Some(json!({"title": "x", "replies_policy": "everyone"})),
        )
        .await;
        assert_eq!(status, 422);
        // A form body works as well (Mastodon.py sends forms; booleans as 1/0).
        let (status, other) = call_form(
            &ana,
            Method::POST,
            "/api/v1/lists",
            "title=Work&replies_policy=none&exclusive=1",
        )
        .await;
        assert_eq!(status, 200, "{other}");
        assert_eq!(other["replies_policy"], "none");
        assert_eq!(other["exclusive"], true);
        let other_id = other["id"].as_str().unwrap().to_owned();

        let all = ana.json("/api/v1/lists").await;
        assert_eq!(all.as_array().unwrap().len(), 2);
        assert_eq!(all[0]["id"], id.as_str());
        assert_eq!(
            ana.json(&format!("/api/v1/lists/{id}")).await["title"],
            "Friends"
        );
        // Someone else's list is as good as none; so is a bogus id.
        for path in [
            format!("/api/v1/lists/{id}"),
            format!("/api/v1/lists/{id}/accounts"),
            format!("/api/v1/timelines/list/{id}"),
            "/api/v1/lists/nope".to_owned(),
            "/api/v1/lists/12345".to_owned(),
        ] {
            let (status, body) = call(&bob, Method::GET, &path, None).await;
            assert_eq!(status, 404, "{path}");
            assert!(body["error"].is_string(), "{path}: a JSON error");
        }
        assert!(bob
            .json("/api/v1/lists")
            .await
            .as_array()
            .unwrap()
            .is_empty());
        let (status, _) = call(&bob, Method::DELETE, &format!("/api/v1/lists/{id}"), None).await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &bob,
            Method::PUT,
            &format!("/api/v1/lists/{id}"),
            Some(json!({"title": "mine now"})),
        )
        .await;
        assert_eq!(status, 404);

        // Update: any of the three fields.
        let (status, updated) = call(
            &ana,
            Method::PUT,
            &format!("/api/v1/lists/{id}"),
            Some(json!({"title": "Pals", "replies_policy": "followed"})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(updated["title"], "Pals");
        assert_eq!(updated["replies_policy"], "followed");
        assert_eq!(updated["exclusive"], false);
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v1/lists/{id}"),
            Some(json!({"replies_policy": "bogus"})),
        )
        .await;
        assert_eq!(status, 422);

        // Members: followed accounts only (422 otherwise, and nothing is added); an unknown
        // account is 404; JSON and form bodies alike.
        let members = format!("/api/v1/lists/{id}/accounts");
        let (status, body) = call(
            &ana,
            Method::POST,
            &members,
            Some(json!({"account_ids": [bob.id, dan.id]})),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(ana.json(&members).await.as_array().unwrap().is_empty());
        let (status, _) = call(
            &ana,
            Method::POST,
            &members,
            Some(json!({"account_ids": ["999999"]})),
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = call(&ana, Method::POST, &members, Some(json!({}))).await;
        assert_eq!(status, 422);
        let (status, body) = call(
            &ana,
            Method::POST,
            &members,
            Some(json!({"account_ids": [bob.id]})),
        )
        .await;
        assert_eq!((status, body), (200, json!({})));
        let (status, _) = call_form(
            &ana,
            Method::POST,
            &members,
            &format!("account_ids[]={}&account_ids[]={}", cat.id, bob.id),
        )
        .await;
        assert_eq!(status, 200);
        let got: Vec<Value> = ana.json(&members).await.as_array().unwrap().clone();
        let ids: Vec<&str> = got.iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(ids, [cat.id.as_str(), bob.id.as_str()], "newest first");
        // Paging the members.
        let res = ana.get(&format!("{members}?limit=1")).await;
        let link = res.headers()["link"].to_str().unwrap().to_owned();
        assert!(link.contains("max_id="), "{link}");
        assert_eq!(
            res.json::<Value>().await.unwrap().as_array().unwrap().len(),
            1
        );
        assert_eq!(
            ana.json(&format!("{members}?limit=0"))
                .await
                .as_array()
                .unwrap()
                .len(),
            2
        );

        // accounts/{id}/lists: the caller's lists holding that account.
        let holding = ana
            .json(&format!("/api/v1/accounts/{}/lists", bob.id))
            .await;
        assert_eq!(holding.as_array().unwrap().len(), 1);
        assert_eq!(holding[0]["id"], id.as_str());
        assert!(bob
            .json(&format!("/api/v1/accounts/{}/lists", bob.id))
            .await
            .as_array()
            .unwrap()
            .is_empty());
        let (status, _) = call(&ana, Method::GET, "/api/v1/accounts/424242/lists", None).await;
        assert_eq!(status, 404);

        // Removing members: a JSON body, or the query string (a DELETE without a body).
        let (status, _) = call(
            &ana,
            Method::DELETE,
            &members,
            Some(json!({"account_ids": [cat.id]})),
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = call(
            &ana,
            Method::DELETE,
            &format!("{members}?account_ids[]={}", bob.id),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert!(ana.json(&members).await.as_array().unwrap().is_empty());

        // Unfollowing takes the account out of every list, as Mastodon does.
        ana.post(&members, json!({"account_ids": [bob.id, cat.id]}))
            .await;
        ana.post(
            &format!("/api/v1/lists/{other_id}/accounts"),
            json!({"account_ids": [cat.id]}),
        )
        .await;
        ana.post(&format!("/api/v1/accounts/{}/unfollow", cat.id), json!({}))
            .await;
        let left: Vec<Value> = ana.json(&members).await.as_array().unwrap().clone();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0]["id"], bob.id.as_str());
        assert!(ana
            .json(&format!("/api/v1/lists/{other_id}/accounts"))
            .await
            .as_array()
            .unwrap()
            .is_empty());
        // Following again does not bring it back (a new follow).
        follow(&ana, &cat).await;
        assert_eq!(ana.json(&members).await.as_array().unwrap().len(), 1);

        // Delete: gone, members too.
        let (status, body) = call(&ana, Method::DELETE, &format!("/api/v1/lists/{id}"), None).await;
        assert_eq!((status, body), (200, json!({})));
        let (status, _) = call(&ana, Method::GET, &format!("/api/v1/lists/{id}"), None).await;
        assert_eq!(status, 404);

        // The cap on lists per person.
        let have = ana.json("/api/v1/lists").await.as_array().unwrap().len();
        for n in have..kith_core::limits::MAX_LISTS as usize {
            ana.post("/api/v1/lists", json!({"title": format!("l{n}")}))
                .await;
        }
        let (status, body) = call(
            &ana,
            Method::POST,
            "/api/v1/lists",
            Some(json!({"title": "one more"})),
        )
        .await;
        assert_eq!(status, 422, "{body}");

        // Scopes: read:lists reads, write:lists writes.
        let ana_id: i64 = ana.id.parse().unwrap();
        let account = i
            .context
            .db
            .read(move |c| kith_storage::accounts::by_id(c, ana_id))
            .await
            .unwrap();
        let reader = User::with_token(i, ana_id, i.token(&account, "read:lists").await);
        assert_eq!(reader.status_code(Method::GET, "/api/v1/lists").await, 200);
        let (status, _) = call(
            &reader,
            Method::POST,
            "/api/v1/lists",
            Some(json!({"title": "x"})),
        )
        .await;
        assert_eq!(status, 403);
        let statuses_only = User::with_token(i, ana_id, i.token(&account, "read:statuses").await);
        assert_eq!(
            statuses_only
                .status_code(Method::GET, "/api/v1/lists")
                .await,
            403
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_timelines_follow_members_policies_and_exclusivity() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let cat = User::new(i, "cat").await;
        let dan = User::new(i, "dan").await;
        let eli = User::new(i, "eli").await;
        follow(&ana, &bob).await;
        follow(&ana, &cat).await;
        follow(&ana, &eli).await;
        let list = ana.post("/api/v1/lists", json!({"title": "Friends"})).await;
        let id = list["id"].as_str().unwrap().to_owned();
        ana.post(
            &format!("/api/v1/lists/{id}/accounts"),
            json!({"account_ids": [bob.id, cat.id]}),
        )
        .await;
        let timeline = format!("/api/v1/timelines/list/{id}");

        let dan_post = post(&dan, "dan speaks").await;
        let eli_post = post(&eli, "eli speaks").await;
        let cat_post = post(&cat, "cat speaks").await;
        post(&bob, "bob speaks").await;
        bob.post(
            "/api/v1/statuses",
            json!({"status": "bob to followers", "visibility": "private"}),
        )
        .await;
        bob.post(
            "/api/v1/statuses",
            json!({"status": "bob whispers to @dan", "visibility": "direct"}),
        )
        .await;
        assert_eq!(
            contents(&ana, &timeline).await,
            ["bob to followers", "bob speaks", "cat speaks"],
            "members' posts she may see, newest first; not a direct message to someone else"
        );

        // Paging: limit, max_id, min_id, Link.
        let res = ana.get(&format!("{timeline}?limit=2")).await;
        let link = res.headers()["link"].to_str().unwrap().to_owned();
        let page: Value = res.json().await.unwrap();
        assert_eq!(page.as_array().unwrap().len(), 2);
        let last = page[1]["id"].as_str().unwrap();
        assert!(link.contains(&format!("max_id={last}")), "{link}");
        assert_eq!(
            contents(&ana, &format!("{timeline}?max_id={last}")).await,
            ["cat speaks"]
        );
        assert_eq!(
            contents(
                &ana,
                &format!(
                    "{timeline}?min_id={}&limit=1",
                    cat_post["id"].as_str().unwrap()
                )
            )
            .await,
            ["bob speaks"]
        );

        // Replies, per policy. Replies to oneself and to the owner always stay.
        let to_dan = reply(&bob, "bob answers dan", &dan_post).await;
        let _ = to_dan;
        reply(&bob, "bob answers eli", &eli_post).await;
        reply(&bob, "bob answers cat", &cat_post).await;
        let ana_post = post(&ana, "ana speaks").await;
        reply(&bob, "bob answers ana", &ana_post).await;
        let bob_first = post(&bob, "bob thread 1").await;
        reply(&bob, "bob thread 2", &bob_first).await;
        let set_policy = async |policy: &str| {
            let (status, _) = call(
                &ana,
                Method::PUT,
                &format!("/api/v1/lists/{id}"),
                Some(json!({"replies_policy": policy})),
            )
            .await;
            assert_eq!(status, 200);
        };
        let replies = async || -> Vec<String> {
            contents(&ana, &format!("{timeline}?limit=40"))
                .await
                .into_iter()
                .filter(|c| c.starts_with("bob answers") || c.starts_with("bob thread 2"))
                .collect()
        };
        // `list` (the default): replies to members.
        assert_eq!(
            replies().await,
            ["bob thread 2", "bob answers ana", "bob answers cat"]
        );
        set_policy("followed").await;
        assert_eq!(
            replies().await,
            [
                "bob thread 2",
                "bob answers ana",
                "bob answers cat",
                "bob answers eli"
            ],
            "eli is followed, dan is not"
        );
        set_policy("none").await;
        assert_eq!(replies().await, ["bob thread 2", "bob answers ana"]);
        set_policy("list").await;

        // Mutes and blocks apply: a muted member's posts leave the list while muted.
        ana.post(&format!("/api/v1/accounts/{}/mute", cat.id), json!({}))
            .await;
        assert!(!contents(&ana, &timeline)
            .await
            .iter()
            .any(|c| c.starts_with("cat ")));
        ana.post(&format!("/api/v1/accounts/{}/unmute", cat.id), json!({}))
            .await;
        assert!(contents(&ana, &timeline)
            .await
            .iter()
            .any(|c| c == "cat speaks"));
        cat.post(&format!("/api/v1/accounts/{}/block", ana.id), json!({}))
            .await;
        assert!(!contents(&ana, &format!("{timeline}?limit=40"))
            .await
            .iter()
            .any(|c| c.starts_with("cat ")));

        // Boosts by members show up (the boosted post inside).
        bob.post(
            &format!(
                "/api/v1/statuses/{}/reblog",
                eli_post["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
        let page = ana.json(&timeline).await;
        assert_eq!(page[0]["reblog"]["id"], eli_post["id"]);

        // Exclusive: the members' posts (and boosts) leave home, and come back after.
        let home = async || contents(&ana, "/api/v1/timelines/home?limit=40").await;
        assert!(home().await.iter().any(|c| c == "bob speaks"));
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v1/lists/{id}"),
            Some(json!({"exclusive": true})),
        )
        .await;
        assert_eq!(status, 200);
        let now = home().await;
        assert!(!now.iter().any(|c| c.starts_with("bob ")), "{now:?}");
        assert!(
            now.iter().any(|c| c == "eli speaks"),
            "non-members stay: {now:?}"
        );
        assert!(contents(&ana, &timeline)
            .await
            .iter()
            .any(|c| c == "bob speaks"));
        call(
            &ana,
            Method::PUT,
            &format!("/api/v1/lists/{id}"),
            Some(json!({"exclusive": false})),
        )
        .await;
        assert!(home().await.iter().any(|c| c == "bob speaks"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_stream_and_remote_members() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let cat = User::new(i, "cat").await;
        follow(&ana, &bob).await;
        follow(&ana, &cat).await;
        let list = ana.post("/api/v1/lists", json!({"title": "Friends"})).await;
        let id = list["id"].as_str().unwrap().to_owned();
        ana.post(
            &format!("/api/v1/lists/{id}/accounts"),
            json!({"account_ids": [bob.id]}),
        )
        .await;

        // A remote account, eve, on a fake server; ana follows her and lists her.
        let fake = Fake::start().await;
        let eve_key = key();
        let eve = format!("{}/users/eve", fake.base);
        fake.serve(
            &eve,
            actor_doc(&eve, &format!("{eve}#main-key"), &eve_key.public_pem),
        );
        let inbox = i.url("/inbox");
        let send = async |n: u32, content: &str| {
            let public = json!(["https://www.w3.org/ns/activitystreams#Public"]);
            let body = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{eve}/notes/{n}/activity"), "type": "Create", "actor": eve,
                "to": public, "object": { "id": format!("{eve}/notes/{n}"), "type": "Note",
                "attributedTo": eve, "content": content, "to": public }
            });
            post_signed(
                &inbox,
                body.to_string().as_bytes(),
                &format!("{eve}#main-key"),
                &eve_key,
                Spoil::None,
            )
            .await
        };
        assert_eq!(send(1, "eve arrives").await, 202);
        let eve_ap = eve.clone();
        let ana_id: i64 = ana.id.parse().unwrap();
        let eve_id = i
            .context
            .db
            .write(move |c| {
                let eve = kith_storage::accounts::by_ap_id(c, &eve_ap)?;
                kith_storage::follows::insert(
                    c,
                    &Follow {
                        id: kith_storage::id::new_id(),
                        account_id: ana_id,
                        target_account_id: eve.id,
                        ap_id: "http://localhost/follows/eve".into(),
                        accepted: true,
                        created_at: kith_storage::now(),
                    },
                )?;
                Ok(eve.id)
            })
            .await
            .unwrap();
        ana.post(
            &format!("/api/v1/lists/{id}/accounts"),
            json!({"account_ids": [eve_id.to_string()]}),
        )
        .await;

        // ana on her list by WebSocket message; bob may not subscribe to it (404), nor
        // anyone to a list that is no number; an anonymous client needs a token.
        let mut ana_ws = ws(i, &ana.token).await;
        let subscribe = json!({"type": "subscribe", "stream": "list", "list": id});
        assert_eq!(command(&mut ana_ws, subscribe.clone()).await, None);
        let mut bob_ws = ws(i, &bob.token).await;
        let refused = command(&mut bob_ws, subscribe.clone()).await.unwrap();
        assert_eq!(refused["status"], 404, "{refused}");
        let refused = command(
            &mut bob_ws,
            json!({"type": "subscribe", "stream": "list", "list": "abc"}),
        )
        .await
        .unwrap();
        assert_eq!(refused["status"], 404);
        let http = client();
        let sse_bob = http
            .get(i.url(&format!(
                "/api/v1/streaming/list?list={id}&access_token={}",
                bob.token
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(sse_bob.status(), 404);
        let anon = http
            .get(i.url(&format!("/api/v1/streaming/list?list={id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(anon.status(), 401);
        let mut sse = http
            .get(i.url(&format!(
                "/api/v1/streaming/list?list={id}&access_token={}",
                ana.token
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(sse.status(), 200);

        // cat (not a member) posts, then bob (a member): only bob's post reaches the list.
        post(&cat, "cat is not listed").await;
        let bob_post = post(&bob, "bob is listed").await;
        let got = next(&mut ana_ws).await;
        assert_eq!(got["event"], "update", "{got}");
        assert_eq!(got["stream"], json!(["list", id]));
        assert_eq!(got["payload"]["id"], bob_post["id"]);

        // A remote member's post through the inbox reaches the list timeline and stream.
        assert_eq!(send(2, "eve posts from afar").await, 202);
        let got = next(&mut ana_ws).await;
        assert!(
            got["payload"]["content"]
                .as_str()
                .unwrap()
                .contains("eve posts from afar"),
            "{got}"
        );
        assert!(contents(&ana, &format!("/api/v1/timelines/list/{id}"))
            .await
            .iter()
            .any(|c| c == "eve posts from afar"));

        // The SSE client got the same two, and not cat's post.
        let mut text = String::new();
        while !text.contains("eve posts from afar") {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(30), sse.chunk())
                .await
                .expect("an SSE chunk within 30 s")
                .unwrap()
                .expect("the stream stays open");
            text.push_str(std::str::from_utf8(&chunk).unwrap());
        }
        assert!(
            text.contains("bob is listed") && !text.contains("cat is not listed"),
            "{text}"
        );

        // Exclusive: bob's posts leave ana's home stream (cat's, after, still come).
        let mut home = ws(i, &ana.token).await;
        assert_eq!(
            command(&mut home, json!({"type": "subscribe", "stream": "user"})).await,
            None
        );
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v1/lists/{id}"),
            Some(json!({"exclusive": true})),
        )
        .await;
        assert_eq!(status, 200);
        post(&bob, "bob only in the list").await;
        post(&cat, "cat at home").await;
        let got = next(&mut home).await;
        assert!(
            got["payload"]["content"]
                .as_str()
                .unwrap()
                .contains("cat at home"),
            "{got}"
        );
        let got = next(&mut ana_ws).await;
        assert!(got["payload"]["content"]
            .as_str()
            .unwrap()
            .contains("bob only in the list"));

        // Unsubscribing stops the list stream; deleting the list stops it too.
        assert_eq!(
            command(
                &mut ana_ws,
                json!({"type": "unsubscribe", "stream": "list", "list": id})
            )
            .await,
            None
        );
        fake.stop().await;
    });
}
