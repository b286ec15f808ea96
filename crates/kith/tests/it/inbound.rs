//! What remote servers send, at the edges: posts (and their authors' profiles) far over Kith's
//! caps are kept, cut down, and pages that show them stay small; concurrent deliveries of the same follow, favourite,
//! boost or block under different activity ids apply once; NUL characters in URLs, API bodies and
//! activities never cause a 5xx on either backend.

use crate::inbox::{actor_doc, key, post_signed, Fake, Key, Spoil};
use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use kith_core::limits::{
    MAX_ATTACHMENTS, MAX_CONTENT_CHARS, MAX_HASHTAGS, MAX_HASHTAG_BYTES, MAX_MENTIONS,
};
use kith_storage::{accounts, activity, follows, statuses, OptionalExt};
use serde_json::{json, Value};

/// A remote actor on a fake server whose key the test holds.
struct Remote {
    fake: Fake,
    actor: String,
    key_id: String,
    key: Key,
}

impl Remote {
    async fn start(name: &str) -> Remote {
        let fake = Fake::start().await;
        let key = key();
        let actor = format!("{}/users/{name}", fake.base);
        let key_id = format!("{actor}#main-key");
        fake.serve(&actor, actor_doc(&actor, &key_id, &key.public_pem));
        Remote {
            fake,
            actor,
            key_id,
            key,
        }
    }

    async fn send(&self, i: &Instance, activity: &Value) -> u16 {
        let body = activity.to_string();
        post_signed(
            &i.url("/inbox"),
            body.as_bytes(),
            &self.key_id,
            &self.key,
            Spoil::None,
        )
        .await
    }

    /// A public `Create` of a Note with these extra fields.
    fn create(&self, n: u32, extra: Value) -> Value {
        let id = format!("{}/notes/{n}", self.fake.base);
        let mut object = json!({
            "id": id, "type": "Note", "attributedTo": self.actor, "content": "<p>hi</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
        });
        for (k, v) in extra.as_object().unwrap() {
            object[k] = v.clone();
        }
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"), "type": "Create", "actor": self.actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": object
        })
    }
}

async fn stored(i: &Instance, ap_id: String) -> Option<statuses::Status> {
    i.context
        .db
        .read(move |c| statuses::by_ap_id(c, &ap_id).optional())
        .await
        .unwrap()
}

/// Bytes of one tag in a rendered status: `{"name":…,"url":"BASE/tags/…"},`.
fn tag_bytes(base: &str) -> usize {
    2 * MAX_HASHTAG_BYTES + base.len() + 32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_remote_posts_are_cut_and_pages_stay_small() {
    on_each_backend!(async |i: &Instance| {
        let bob = i.create_user("bob", "correct horse").await;
        let eve = Remote::start("eve").await;
        let base = &eve.fake.base;
        // The author's images and profile link are shown with every post: too long, dropped.
        let mut profile = actor_doc(&eve.actor, &eve.key_id, &eve.key.public_pem);
        let long = format!("{base}/{}", "i".repeat(100_000));
        profile["icon"] = json!({"type": "Image", "url": long});
        profile["image"] = json!({"type": "Image", "url": long});
        profile["url"] = json!(long);
        eve.fake.serve(&eve.actor, profile);
        const POSTS: u32 = 3;
        for n in 0..POSTS {
            // 15,000 hashtags, 5,000 mentions (a local one first), 1,000 attachments and as much
            // content as the inbox's 1 MiB body limit leaves room for.
            let mut tags: Vec<Value> = (0..15_000)
                .map(|t| json!({"type": "Hashtag", "name": format!("#t{t}")}))
                .collect();
            tags.push(json!({"type": "Mention", "href": bob.ap_id}));
            tags.extend(
                (0..4_999).map(|m| json!({"type": "Mention", "href": format!("{base}/u/{m}")})),
            );
            let attachments: Vec<Value> = (0..1_000)
                .map(|a| json!(format!("{base}/m/{a}.png")))
                .collect();
            let mut activity = eve.create(n, json!({"tag": tags, "attachment": attachments}));
            let room = kith_federation::inbox::MAX_ACTIVITY_BYTES - activity.to_string().len();
            assert!(room > MAX_CONTENT_CHARS + 1_000, "no room for the content");
            activity["object"]["content"] = json!(format!("<p>{}</p>", "a".repeat(room - 1_000)));
            assert_eq!(eve.send(i, &activity).await, 202, "post {n}");

            let s = stored(i, format!("{base}/notes/{n}"))
                .await
                .expect("stored");
            assert!(s.content.chars().count() <= MAX_CONTENT_CHARS);
            assert!(s.content.len() > MAX_CONTENT_CHARS / 2, "content kept");
            let kept: Vec<Value> = serde_json::from_str(&s.attachments).unwrap();
            assert_eq!(kept.len(), MAX_ATTACHMENTS);
            let (tags, mentions) = i
                .context
                .db
                .read(move |c| Ok((statuses::tags(c, s.id)?, statuses::mentions(c, s.id)?)))
                .await
                .unwrap();
            assert_eq!(tags.len(), MAX_HASHTAGS);
            assert_eq!(mentions, vec![bob.id], "the local mention is kept");
        }

        // An anonymous page with all of them, bounded by the caps: per post the content, the
        // tags, the attachments (three URLs each), the mentions and 4 KiB for the rest.
        let res = client()
            .get(i.url("/api/v1/timelines/public?limit=40"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        let page: Vec<Value> = serde_json::from_str(&body).unwrap();
        assert_eq!(page.len(), POSTS as usize);
        let per_post = MAX_CONTENT_CHARS
            + MAX_HASHTAGS * tag_bytes(&i.base)
            + MAX_ATTACHMENTS * (3 * (base.len() + 16) + 256)
            + MAX_MENTIONS * 512
            + 4096;
        assert!(
            body.len() <= POSTS as usize * per_post,
            "page of {} bytes, bound {}",
            body.len(),
            POSTS as usize * per_post
        );
        let eve_ap = eve.actor.clone();
        let author = i
            .context
            .db
            .read(move |c| accounts::by_ap_id(c, &eve_ap))
            .await
            .unwrap();
        assert_eq!(
            (author.avatar_url, author.header_url, author.url),
            (None, None, None)
        );
        for status in &page {
            assert_eq!(status["tags"].as_array().unwrap().len(), MAX_HASHTAGS);
            assert_eq!(status["mentions"].as_array().unwrap().len(), 1);
        }
        eve.fake.stop().await;
    });
}

/// Runs `n` copies of an activity at once, each under its own id; returns the status codes.
async fn at_once(i: &Instance, from: &Remote, n: usize, make: impl Fn(usize) -> Value) -> Vec<u16> {
    let sends = (0..n).map(|k| {
        let activity = make(k);
        async move { from.send(i, &activity).await }
    });
    futures::future::join_all(sends).await
}

async fn notifications(i: &Instance, account: i64, kind: &str) -> usize {
    let kind = kind.to_owned();
    i.context
        .db
        .read(move |c| {
            activity::notifications_for(
                c,
                account,
                Some(vec![kind]),
                kith_storage::statuses::Page {
                    limit: 80,
                    ..Default::default()
                },
            )
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_follows_likes_and_boosts_apply_once() {
    on_each_backend!(async |i: &Instance| {
        let bob_user = User::new(i, "bob").await;
        let bob = i
            .context
            .db
            .read(|c| accounts::local_by_username(c, "bob"))
            .await
            .unwrap();
        let post = bob_user
            .post(
                "/api/v1/statuses",
                json!({"status": "hello", "visibility": "public"}),
            )
            .await;
        let post_id: i64 = post["id"].as_str().unwrap().parse().unwrap();
        let post_uri = post["uri"].as_str().unwrap().to_owned();
        let eve = Remote::start("eve").await;
        let actor = eve.actor.clone();
        const N: usize = 12;

        let codes = at_once(i, &eve, N, |k| {
            json!({"@context": "https://www.w3.org/ns/activitystreams",
                   "id": format!("{actor}/follows/{k}"), "type": "Follow",
                   "actor": actor, "object": bob.ap_id})
        })
        .await;
        assert!(
            codes.iter().all(|c| (200..300).contains(c)),
            "Follow: {codes:?}"
        );
        let followers = i
            .context
            .db
            .read(move |c| follows::counts(c, bob.id))
            .await
            .unwrap();
        assert_eq!(followers.0, 1, "one follow");
        assert_eq!(
            notifications(i, bob.id, "follow").await,
            1,
            "one follow notification"
        );

        let codes = at_once(i, &eve, N, |k| {
            json!({"@context": "https://www.w3.org/ns/activitystreams",
                   "id": format!("{actor}/likes/{k}"), "type": "Like",
                   "actor": actor, "object": post_uri})
        })
        .await;
        assert!(
            codes.iter().all(|c| (200..300).contains(c)),
            "Like: {codes:?}"
        );
        let favourites = i
            .context
            .db
            .read(move |c| activity::count_favourites_of(c, &[post_id], None))
            .await
            .unwrap();
        assert_eq!(favourites[0].1, 1, "one favourite");
        assert_eq!(notifications(i, bob.id, "favourite").await, 1);

        let codes = at_once(i, &eve, N, |k| {
            json!({"@context": "https://www.w3.org/ns/activitystreams",
                   "id": format!("{actor}/boosts/{k}"), "type": "Announce", "actor": actor,
                   "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": post_uri})
        })
        .await;
        assert!(
            codes.iter().all(|c| (200..300).contains(c)),
            "Announce: {codes:?}"
        );
        let boosts = i
            .context
            .db
            .read(move |c| statuses::count_reblogs_of(c, &[post_id], None))
            .await
            .unwrap();
        assert_eq!(boosts[0].1, 1, "one boost");
        assert_eq!(notifications(i, bob.id, "reblog").await, 1);

        let codes = at_once(i, &eve, N, |k| {
            json!({"@context": "https://www.w3.org/ns/activitystreams",
                   "id": format!("{actor}/blocks/{k}"), "type": "Block",
                   "actor": actor, "object": bob.ap_id})
        })
        .await;
        assert!(
            codes.iter().all(|c| (200..300).contains(c)),
            "Block: {codes:?}"
        );
        let eve_id = i
            .context
            .db
            .read(move |c| accounts::by_ap_id(c, &eve.actor))
            .await
            .unwrap()
            .id;
        let blocked = i
            .context
            .db
            .read(move |c| follows::blocks(c, eve_id, bob.id))
            .await
            .unwrap();
        assert!(blocked);
        eve.fake.stop().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nul_characters_never_cause_a_server_error() {
    on_each_backend!(async |i: &Instance| {
        let bob = User::new(i, "bob").await;
        // In paths and query strings.
        for (path, accept) in [
            ("/@%00", "text/html"),
            ("/@bob%00", "text/html"),
            ("/users/%00", "text/html"),
            ("/users/%00", "application/activity+json"),
            ("/users/%00/statuses/1", "application/activity+json"),
            ("/users/%00/followers", "application/activity+json"),
            ("/api/v1/accounts/lookup?acct=%00", "application/json"),
            ("/api/v1/accounts/lookup?acct=bob%00", "application/json"),
            (
                "/.well-known/webfinger?resource=acct:%00@x",
                "application/json",
            ),
            ("/api/v2/search?q=%00", "application/json"),
            ("/api/v1/timelines/public?max_id=%00", "application/json"),
        ] {
            let res = client()
                .get(i.url(path))
                .header("accept", accept)
                .bearer_auth(&bob.token)
                .send()
                .await
                .unwrap();
            let code = res.status().as_u16();
            assert!((400..500).contains(&code), "GET {path} ({accept}): {code}");
        }
        // In API bodies, as JSON and as forms.
        let token = bob.token.as_str();
        let post = |body: reqwest::RequestBuilder| {
            let sent = body.bearer_auth(token).send();
            async move { sent.await.unwrap().status().as_u16() }
        };
        let statuses = i.url("/api/v1/statuses");
        for body in [
            json!({"status": "a\u{0}b"}),
            json!({"status": "hello", "language": "e\u{0}n"}),
            json!({"status": "hello", "spoiler_text": "\u{0}"}),
        ] {
            let code = post(client().post(&statuses).json(&body)).await;
            assert!((400..500).contains(&code), "POST {body}: {code}");
        }
        let form = client()
            .post(&statuses)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("status=a%00b");
        assert!((400..500).contains(&post(form).await));
        let code = post(
            client()
                .patch(i.url("/api/v1/accounts/update_credentials"))
                .json(&json!({"display_name": "\u{0}"})),
        )
        .await;
        assert!((400..500).contains(&code), "update_credentials: {code}");

        // In remote posts: the NUL is dropped and the post kept, so the sender does not retry.
        let eve = Remote::start("eve").await;
        let base = eve.fake.base.clone();
        for (n, extra) in [
            (1, json!({"conversation": "tag:x,2025:\u{0}"})),
            (2, json!({"context": format!("{base}/c/\u{0}1")})),
            (
                3,
                json!({"content": null, "contentMap": {"e\u{0}n": "<p>hi</p>"}}),
            ),
            (4, json!({"inReplyTo": format!("{base}/notes/\u{0}0")})),
            (
                5,
                json!({"content": "<p>a\u{0}b</p>", "summary": "c\u{0}w"}),
            ),
            (
                6,
                json!({"tag": [{"type": "Hashtag", "name": "#a\u{0}b"}],
                       "attachment": [{"type": "Document", "url": format!("{base}/m.png"), "name": "\u{0}"}]}),
            ),
        ] {
            assert_eq!(eve.send(i, &eve.create(n, extra)).await, 202, "note {n}");
            let s = stored(i, format!("{base}/notes/{n}"))
                .await
                .expect("stored");
            let row = format!("{s:?}");
            assert!(
                !row.contains('\u{0}') && !row.contains("\\0"),
                "note {n}: {row}"
            );
        }
        // And in the activity around them, the actor's id aside (it must match the signer).
        let mut like = json!({"@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/likes/\u{0}", eve.actor), "type": "Like", "actor": eve.actor,
            "object": format!("{base}/notes/1\u{0}")});
        assert!((200..300).contains(&eve.send(i, &like).await));
        like["id"] = json!(format!("{}/likes/2", eve.actor));
        like["object"] = json!({"id": "\u{0}"});
        assert!((200..300).contains(&eve.send(i, &like).await));
        eve.fake.stop().await;
    });
}

/// Rows stored before the caps existed (or by any other path) still render within them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_over_the_caps_render_within_them() {
    on_each_backend!(async |i: &Instance| {
        let bob = i.create_user("bob", "correct horse").await;
        // Remote accounts to mention, made from bob's row.
        let others: Vec<accounts::Account> = (0..MAX_MENTIONS + 20)
            .map(|n| {
                let mut a = bob.clone();
                a.id = kith_storage::id::new_id();
                a.username = format!("m{n}");
                a.domain = Some("far.example".into());
                a.ap_id = format!("https://far.example/users/m{n}");
                a.private_key_pem = None;
                a
            })
            .collect();
        let mentioned: Vec<i64> = others.iter().map(|a| a.id).collect();
        i.context
            .db
            .write(move |c| others.iter().try_for_each(|a| accounts::insert(c, a)))
            .await
            .unwrap();
        let id = kith_storage::id::new_id();
        let attachment = json!({"url": "https://x.example/a.png", "media_type": "image/png", "description": null});
        let row = statuses::Status {
            id,
            ap_id: i.url(&format!("/users/bob/statuses/{id}")),
            url: None,
            account_id: bob.id,
            local: true,
            visibility: "public".into(),
            in_reply_to_id: None,
            in_reply_to_ap_id: None,
            in_reply_to_account_id: None,
            reblog_of_id: None,
            content: "<p>old</p>".into(),
            source_text: None,
            spoiler_text: String::new(),
            sensitive: false,
            language: None,
            conversation: None,
            attachments: json!(vec![attachment; MAX_ATTACHMENTS + 30]).to_string(),
            created_at: kith_storage::now(),
            edited_at: None,
        };
        let tags: Vec<String> = (0..MAX_HASHTAGS + 50).map(|n| format!("t{n}")).collect();
        i.context
            .db
            .write(move |c| statuses::insert(c, &row, &mentioned, &tags))
            .await
            .unwrap();
        let res = client()
            .get(i.url(&format!("/api/v1/statuses/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let status: Value = res.json().await.unwrap();
        assert_eq!(status["tags"].as_array().unwrap().len(), MAX_HASHTAGS);
        assert_eq!(status["mentions"].as_array().unwrap().len(), MAX_MENTIONS);
        assert_eq!(
            status["media_attachments"].as_array().unwrap().len(),
            MAX_ATTACHMENTS
        );
    });
}
