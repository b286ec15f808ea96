//! Issue 10, moderation of remote accounts and servers, through the inbox of one instance and
//! a fake remote server whose keys the test holds: a suspended remote account is refused at
//! the inbox and its posts never show; a limited one reaches only its followers (posts and
//! notifications); `reject_media` keeps a server's attachments, avatars and headers out.

use crate::inbox::{actor_doc, key, note, post_signed, Fake, Key, Spoil};
use crate::on_each_backend;
use crate::rig::{Instance, User};
use kith_core::accounts::Role;
use kith_storage::{accounts, statuses, OptionalExt};
use reqwest::Method;
use serde_json::{json, Value};

const MOD_SCOPES: &str = "read write follow admin:read admin:write";

/// A remote actor on the fake server.
struct Remote {
    id: String,
    key_id: String,
    key: Key,
}

impl Remote {
    fn on(fake: &Fake, name: &str) -> Remote {
        let id = format!("{}/users/{name}", fake.base);
        let key_id = format!("{id}#main-key");
        let key = key();
        let mut doc = actor_doc(&id, &key_id, &key.public_pem);
        doc["icon"] = json!({"type": "Image", "url": format!("{}/avatars/{name}.png", fake.base)});
        doc["image"] = json!({"type": "Image", "url": format!("{}/headers/{name}.png", fake.base)});
        fake.serve(&id, doc);
        Remote { id, key_id, key }
    }

    async fn send(&self, i: &Instance, activity: &Value) -> u16 {
        post_signed(
            &i.url("/inbox"),
            activity.to_string().as_bytes(),
            &self.key_id,
            &self.key,
            Spoil::None,
        )
        .await
    }

    /// A public Note `n` (with `extra` fields merged in), wrapped in its Create.
    fn post(&self, n: u32, content: &str, extra: Value) -> Value {
        let mut create = note(&self.id, &format!("{}/notes/{n}", self.id), content);
        if let (Some(obj), Value::Object(more)) = (create["object"].as_object_mut(), extra) {
            obj.extend(more);
        }
        create
    }
}

async fn local_id(i: &Instance, ap_id: &str) -> i64 {
    let ap_id = ap_id.to_owned();
    i.context
        .db
        .read(move |c| accounts::by_ap_id(c, &ap_id))
        .await
        .unwrap()
        .id
}

async fn status_id(i: &Instance, ap_id: &str) -> Option<String> {
    let ap_id = ap_id.to_owned();
    i.context
        .db
        .read(move |c| statuses::by_ap_id(c, &ap_id).optional())
        .await
        .unwrap()
        .map(|s| s.id.to_string())
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

fn follow_row(follower: i64, target: i64) -> kith_storage::follows::Follow {
    kith_storage::follows::Follow {
        id: kith_storage::id::new_id(),
        account_id: follower,
        target_account_id: target,
        ap_id: format!("https://kith.invalid/follows/{follower}-{target}"),
        accepted: true,
        created_at: kith_storage::now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_remote_account_is_refused_at_the_inbox_and_never_shown() {
    on_each_backend!(async |i: &Instance| {
        let moderator = User::with_role(i, "modo", Role::Moderator, MOD_SCOPES).await;
        let carl = User::new(i, "carl").await;
        let fake = Fake::start().await;
        let eve = Remote::on(&fake, "eve");
        let first = format!("{}/notes/1", eve.id);
        assert_eq!(eve.send(i, &eve.post(1, "before", json!({}))).await, 202);
        let first_id = status_id(i, &first).await.expect("stored");
        assert!(ids(&carl.json("/api/v1/timelines/public").await).contains(&first_id));
        let eve_id = local_id(i, &eve.id).await;

        moderator
            .post(
                &format!("/api/v1/admin/accounts/{eve_id}/action"),
                json!({"type": "suspend", "text": "spam"}),
            )
            .await;
        // Its posts leave every view.
        assert!(!ids(&carl.json("/api/v1/timelines/public").await).contains(&first_id));
        assert_eq!(
            carl.status_code(Method::GET, &format!("/api/v1/statuses/{first_id}"))
                .await,
            404
        );
        // Nothing it sends is taken: a post, a follow, a mention.
        assert_eq!(
            eve.send(i, &eve.post(2, "after, hi @carl", json!({})))
                .await,
            403
        );
        assert!(status_id(i, &format!("{}/notes/2", eve.id)).await.is_none());
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#follow-carl", eve.id), "type": "Follow", "actor": eve.id,
            "object": format!("{}/users/carl", i.base)
        });
        assert_eq!(eve.send(i, &follow).await, 403);
        assert_eq!(carl.json("/api/v1/notifications").await, json!([]));
        let carl_id: i64 = carl.id.parse().unwrap();
        let follows = i
            .context
            .db
            .read(move |c| kith_storage::follows::between(c, eve_id, carl_id))
            .await
            .unwrap();
        assert!(follows.is_none());

        // Lifting the suspension lets it in again.
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{eve_id}/unsuspend"),
                json!({}),
            )
            .await;
        assert!(ids(&carl.json("/api/v1/timelines/public").await).contains(&first_id));
        assert_eq!(eve.send(i, &eve.post(3, "back", json!({}))).await, 202);
        assert!(status_id(i, &format!("{}/notes/3", eve.id)).await.is_some());
        fake.stop().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_remote_account_reaches_only_its_followers() {
    on_each_backend!(async |i: &Instance| {
        let moderator = User::with_role(i, "modo", Role::Moderator, MOD_SCOPES).await;
        let fan = User::new(i, "fan").await;
        let stranger = User::new(i, "stranger").await;
        let fake = Fake::start().await;
        let eve = Remote::on(&fake, "eve");
        assert_eq!(eve.send(i, &eve.post(1, "hello", json!({}))).await, 202);
        let eve_id = local_id(i, &eve.id).await;
        let fan_id: i64 = fan.id.parse().unwrap();
        i.context
            .db
            .write(move |c| {
                kith_storage::follows::insert(c, &follow_row(fan_id, eve_id)).map(|_| ())
            })
            .await
            .unwrap();
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{eve_id}/action"),
                json!({"type": "silence"}),
            )
            .await;

        let mention = |who: &str| {
            json!({"tag": [{"type": "Mention", "href": format!("{}/users/{who}", i.base)}],
                   "cc": [format!("{}/users/{who}", i.base)]})
        };
        assert_eq!(
            eve.send(i, &eve.post(2, "limited, hi @fan", mention("fan")))
                .await,
            202
        );
        let id = status_id(i, &format!("{}/notes/2", eve.id))
            .await
            .expect("stored");
        // Its follower sees it, at home and in the public timeline; nobody else does.
        assert!(ids(&fan.json("/api/v1/timelines/home").await).contains(&id));
        assert!(ids(&fan.json("/api/v1/timelines/public").await).contains(&id));
        assert!(!ids(&stranger.json("/api/v1/timelines/public").await).contains(&id));
        assert_eq!(
            stranger
                .status_code(Method::GET, &format!("/api/v1/statuses/{id}"))
                .await,
            404
        );
        // Its mention notifies the follower; one of someone else is dropped.
        let n = fan.json("/api/v1/notifications").await;
        assert_eq!(n[0]["type"], "mention", "{n}");
        assert_eq!(n[0]["status"]["id"], id.as_str());
        assert_eq!(
            eve.send(i, &eve.post(3, "hi @stranger", mention("stranger")))
                .await,
            202
        );
        assert!(status_id(i, &format!("{}/notes/3", eve.id)).await.is_some());
        assert_eq!(stranger.json("/api/v1/notifications").await, json!([]));
        // Lifted, it reaches everyone again.
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{eve_id}/unsilence"),
                json!({}),
            )
            .await;
        assert!(ids(&stranger.json("/api/v1/timelines/public").await).contains(&id));
        fake.stop().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_media_keeps_a_servers_attachments_avatars_and_headers_out() {
    on_each_backend!(async |i: &Instance| {
        let moderator = User::with_role(i, "modo", Role::Moderator, MOD_SCOPES).await;
        let carl = User::new(i, "carl").await;
        let fake = Fake::start().await;
        let fake_domain = fake.base.trim_start_matches("http://").to_owned();
        let eve = Remote::on(&fake, "eve");
        let picture = |n: u32| {
            json!({"attachment": [{"type": "Document", "mediaType": "image/png",
                   "url": format!("{}/media/{n}.png", fake.base), "name": "a picture"}]})
        };
        assert_eq!(
            eve.send(i, &eve.post(1, "with media", picture(1))).await,
            202
        );
        let first = status_id(i, &format!("{}/notes/1", eve.id)).await.unwrap();
        let shown = carl.json(&format!("/api/v1/statuses/{first}")).await;
        assert_eq!(shown["media_attachments"].as_array().unwrap().len(), 1);
        let eve_id = local_id(i, &eve.id).await;
        let profile = carl.json(&format!("/api/v1/accounts/{eve_id}")).await;
        assert!(profile["avatar"].as_str().unwrap().contains(&fake.base));

        moderator
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": fake_domain, "severity": "noop", "reject_media": true}),
            )
            .await;
        // What was kept is forgotten: the attachment, the avatar and the header.
        let shown = carl.json(&format!("/api/v1/statuses/{first}")).await;
        assert_eq!(shown["media_attachments"], json!([]), "{shown}");
        assert!(shown["content"].as_str().unwrap().contains("with media"));
        let profile = carl.json(&format!("/api/v1/accounts/{eve_id}")).await;
        for field in ["avatar", "avatar_static", "header", "header_static"] {
            assert!(
                !profile[field].as_str().unwrap_or("").contains(&fake.base),
                "{field}: {profile}"
            );
        }
        // New posts keep their text without their media; a new account has no pictures.
        assert_eq!(
            eve.send(i, &eve.post(2, "more media", picture(2))).await,
            202
        );
        let second = status_id(i, &format!("{}/notes/2", eve.id)).await.unwrap();
        let shown = carl.json(&format!("/api/v1/statuses/{second}")).await;
        assert_eq!(shown["media_attachments"], json!([]), "{shown}");
        let zed = Remote::on(&fake, "zed");
        assert_eq!(zed.send(i, &zed.post(1, "hello", picture(3))).await, 202);
        let zed_id = local_id(i, &zed.id).await;
        let row = i
            .context
            .db
            .read(move |c| accounts::by_id(c, zed_id))
            .await
            .unwrap();
        assert_eq!((row.avatar_url, row.header_url), (None, None));
        // An edit brings no media back either.
        let mut update = eve.post(2, "edited, still no media", picture(4));
        update["type"] = json!("Update");
        update["id"] = json!(format!("{}/notes/2#update", eve.id));
        update["object"]["updated"] = json!(chrono::Utc::now().to_rfc3339());
        assert_eq!(eve.send(i, &update).await, 202);
        let shown = carl.json(&format!("/api/v1/statuses/{second}")).await;
        assert!(
            shown["content"].as_str().unwrap().contains("edited"),
            "{shown}"
        );
        assert_eq!(shown["media_attachments"], json!([]), "{shown}");
        fake.stop().await;
    });
}
