//! What remote servers send, at the edges: posts far over Kith's caps are kept, cut down, and
//! pages that show them stay small.

use crate::inbox::{actor_doc, key, post_signed, Fake, Key, Spoil};
use crate::on_each_backend;
use crate::rig::{client, Instance};
use kith_core::limits::{
    MAX_ATTACHMENTS, MAX_CONTENT_CHARS, MAX_HASHTAGS, MAX_HASHTAG_BYTES, MAX_MENTIONS,
};
use kith_storage::{statuses, OptionalExt};
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
        for status in &page {
            assert_eq!(status["tags"].as_array().unwrap().len(), MAX_HASHTAGS);
            assert_eq!(status["mentions"].as_array().unwrap().len(), 1);
        }
        eve.fake.stop().await;
    });
}
