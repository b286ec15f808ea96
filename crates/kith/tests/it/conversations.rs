//! Direct-message conversations on both backends: one per thread and participant, unread for
//! the addressee, mark read, remove until the next message, paging, other people's ids; the
//! `direct` stream's `conversation` event; muting a status's conversation (no notifications
//! about it, `muted` on the status); and `translate` answering as Mastodon without a
//! translator.

use crate::on_each_backend;
use crate::rig::{Instance, User};
use crate::streaming::{next, subscribe, ws, ws_url};
use reqwest::Method;
use serde_json::{json, Value};

async fn dm(from: &User, text: &str, reply_to: Option<&str>) -> Value {
    from.post(
        "/api/v1/statuses",
        json!({"status": text, "visibility": "direct", "in_reply_to_id": reply_to}),
    )
    .await
}

async fn conversations(user: &User) -> Vec<Value> {
    user.json("/api/v1/conversations")
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_messages_group_into_conversations() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let carl = User::new(i, "carl").await;
        // Strangers' direct messages reach bob and ana at once, not as message requests.
        bob.accept_private_mentions().await;
        ana.accept_private_mentions().await;

        // Bob listens on `direct` before ana writes.
        let mut socket = ws(ws_url(i, &format!("access_token={}", bob.token))).await;
        subscribe(
            &mut socket,
            json!({"type": "subscribe", "stream": "direct"}),
        )
        .await;

        let first = dm(&ana, "@bob a secret", None).await;
        let event = next(&mut socket).await;
        assert_eq!(event["event"], "conversation", "{event}");
        assert_eq!(event["stream"], json!(["direct"]));
        assert_eq!(event["payload"]["last_status"]["id"], first["id"]);
        assert_eq!(event["payload"]["unread"], true);

        let at_bob = conversations(&bob).await;
        assert_eq!(at_bob.len(), 1);
        let convo = &at_bob[0];
        assert_eq!(convo["unread"], true);
        assert_eq!(convo["accounts"][0]["id"], ana.id.as_str());
        assert_eq!(convo["accounts"].as_array().unwrap().len(), 1);
        let at_ana = conversations(&ana).await;
        assert_eq!(at_ana[0]["unread"], false, "the author has read her own");
        assert_eq!(at_ana[0]["accounts"][0]["id"], bob.id.as_str());
        assert!(conversations(&carl).await.is_empty());

        // Bob's reply is the same conversation: read for him, unread for ana.
        let reply = dm(&bob, "@ana got it", first["id"].as_str()).await;
        let at_bob = conversations(&bob).await;
        assert_eq!(at_bob.len(), 1);
        assert_eq!(at_bob[0]["id"], convo["id"]);
        assert_eq!(at_bob[0]["last_status"]["id"], reply["id"]);
        assert_eq!(at_bob[0]["unread"], false);
        assert_eq!(conversations(&ana).await[0]["unread"], true);
        let event = next(&mut socket).await;
        assert_eq!(event["event"], "conversation");
        assert_eq!(event["payload"]["last_status"]["id"], reply["id"]);

        // Marking read, then removing: gone until the next message, which brings it back.
        let cid = at_bob[0]["id"].as_str().unwrap().to_owned();
        let ana_cid = conversations(&ana).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let read = ana
            .post(&format!("/api/v1/conversations/{ana_cid}/read"), json!({}))
            .await;
        assert_eq!(read["unread"], false, "{read}");
        assert_eq!(conversations(&ana).await[0]["unread"], false);
        // Someone else's conversation, or none, is not found.
        assert_eq!(
            ana.status_code(Method::POST, &format!("/api/v1/conversations/{cid}/read"))
                .await,
            404
        );
        assert_eq!(
            ana.status_code(Method::DELETE, &format!("/api/v1/conversations/{cid}"))
                .await,
            404
        );
        assert_eq!(
            ana.status_code(Method::DELETE, "/api/v1/conversations/abc")
                .await,
            404
        );
        assert_eq!(
            bob.status_code(Method::DELETE, &format!("/api/v1/conversations/{cid}"))
                .await,
            200
        );
        assert!(conversations(&bob).await.is_empty());
        let third = dm(&ana, "@bob are you there?", reply["id"].as_str()).await;
        let back = conversations(&bob).await;
        assert_eq!(back.len(), 1, "{back:?}");
        assert_eq!(back[0]["last_status"]["id"], third["id"]);
        assert_eq!(back[0]["unread"], true);

        // A second thread, newest first, paged by its newest message.
        let other = dm(&carl, "@bob something else", None).await;
        let res = bob.get("/api/v1/conversations?limit=1").await;
        let link = res.headers()["link"].to_str().unwrap().to_owned();
        let page: Value = res.json().await.unwrap();
        assert_eq!(page[0]["last_status"]["id"], other["id"]);
        assert!(
            link.contains(&format!("max_id={}", other["id"].as_str().unwrap())),
            "{link}"
        );
        let rest = bob
            .json(&format!(
                "/api/v1/conversations?max_id={}",
                other["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(rest[0]["last_status"]["id"], third["id"], "{rest}");

        // A deleted newest message leaves the one before it shown.
        let deleted = ana
            .status_code(
                Method::DELETE,
                &format!("/api/v1/statuses/{}", third["id"].as_str().unwrap()),
            )
            .await;
        assert_eq!(deleted, 200);
        let after = conversations(&bob).await;
        let thread = after
            .iter()
            .find(|c| c["accounts"][0]["id"] == ana.id.as_str())
            .unwrap();
        assert_eq!(thread["last_status"]["id"], reply["id"], "{thread}");

        // Scopes: reading needs read:statuses, writing write:conversations.
        let ana_id: i64 = ana.id.parse().unwrap();
        let account = i
            .context
            .db
            .read(move |c| kith_storage::accounts::by_id(c, ana_id))
            .await
            .unwrap();
        let follows_only = User::with_token(i, ana_id, i.token(&account, "read:follows").await);
        assert_eq!(
            follows_only
                .status_code(Method::GET, "/api/v1/conversations")
                .await,
            403
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_muted_conversation_notifies_nothing() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let carl = User::new(i, "carl").await;
        let root = ana
            .post("/api/v1/statuses", json!({"status": "a thread"}))
            .await;
        let root_id = root["id"].as_str().unwrap().to_owned();
        assert_eq!(root["muted"], false);

        let muted = ana
            .post(&format!("/api/v1/statuses/{root_id}/mute"), json!({}))
            .await;
        assert_eq!(muted["muted"], true, "{muted}");
        assert_eq!(
            ana.json(&format!("/api/v1/statuses/{root_id}")).await["muted"],
            true
        );
        // Only the one who muted it sees it muted.
        assert_eq!(
            bob.json(&format!("/api/v1/statuses/{root_id}")).await["muted"],
            false
        );
        // A favourite of the post, and a reply in the thread mentioning ana: nothing.
        bob.post(&format!("/api/v1/statuses/{root_id}/favourite"), json!({}))
            .await;
        let reply = bob
            .post(
                "/api/v1/statuses",
                json!({"status": "@ana hello", "in_reply_to_id": root_id}),
            )
            .await;
        assert_eq!(
            ana.json(&format!(
                "/api/v1/statuses/{}",
                reply["id"].as_str().unwrap()
            ))
            .await["muted"],
            true,
            "the reply is in the muted conversation"
        );
        // Outside the thread, notifications still come.
        carl.post("/api/v1/statuses", json!({"status": "@ana elsewhere"}))
            .await;
        let notes = ana.json("/api/v1/notifications").await;
        let kinds: Vec<&str> = notes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["mention"], "{notes}");
        assert_eq!(notes[0]["account"]["id"], carl.id.as_str());

        // Unmuted, the thread notifies again.
        let unmuted = ana
            .post(&format!("/api/v1/statuses/{root_id}/unmute"), json!({}))
            .await;
        assert_eq!(unmuted["muted"], false);
        carl.post(&format!("/api/v1/statuses/{root_id}/favourite"), json!({}))
            .await;
        let notes = ana.json("/api/v1/notifications").await;
        assert_eq!(notes[0]["type"], "favourite", "{notes}");
        assert_eq!(notes.as_array().unwrap().len(), 2);

        // Muting needs a status one may see.
        let secret = carl
            .post(
                "/api/v1/statuses",
                json!({"status": "mine", "visibility": "private"}),
            )
            .await;
        let path = format!("/api/v1/statuses/{}/mute", secret["id"].as_str().unwrap());
        assert_eq!(ana.status_code(Method::POST, &path).await, 404);

        // No translator: 404 with a JSON body, as Mastodon answers when none is configured;
        // the instance says so.
        let res = crate::rig::client()
            .post(i.url(&format!("/api/v1/statuses/{root_id}/translate")))
            .bearer_auth(&ana.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
        let body: Value = res.json().await.unwrap();
        assert!(body["error"].is_string(), "{body}");
        let instance = ana.json("/api/v2/instance").await;
        assert_eq!(instance["configuration"]["translation"]["enabled"], false);
    });
}
