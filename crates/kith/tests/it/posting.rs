//! Around posting: `Idempotency-Key` (repeated and concurrent requests make one post) and
//! scheduled statuses (the 5-minute rule, list/show/move/delete, and the job posting them with
//! their poll and media).

use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::{json, Value};
use std::io::Cursor;

async fn post_with_key(i: &Instance, u: &User, key: &str, text: &str) -> (u16, Value) {
    let res = client()
        .post(i.url("/api/v1/statuses"))
        .bearer_auth(&u.token)
        .header("Idempotency-Key", key)
        .json(&json!({"status": text}))
        .send()
        .await
        .unwrap();
    let code = res.status().as_u16();
    (code, res.json().await.unwrap_or(Value::Null))
}

async fn own_posts(u: &User) -> Vec<Value> {
    u.json(&format!("/api/v1/accounts/{}/statuses?limit=40", u.id))
        .await
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idempotency_key_makes_one_post() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bo = User::new(i, "bo").await;
        let (code, first) = post_with_key(i, &ana, "key-1", "once").await;
        assert_eq!(code, 200);
        let (_, again) = post_with_key(i, &ana, "key-1", "once more").await;
        assert_eq!(again["id"], first["id"]);
        assert_eq!(again["content"], first["content"]);
        // Keys are per account; another key posts anew.
        let (_, bos) = post_with_key(i, &bo, "key-1", "bo's").await;
        assert_ne!(bos["id"], first["id"]);
        let (_, other) = post_with_key(i, &ana, "key-2", "twice").await;
        assert_ne!(other["id"], first["id"]);
        assert_eq!(own_posts(&ana).await.len(), 2);

        // Eight requests at once with one key: one post, and all get it.
        let answers =
            futures::future::join_all((0..8).map(|_| post_with_key(i, &ana, "racing", "at once")))
                .await;
        let ids: Vec<&Value> = answers.iter().map(|(_, s)| &s["id"]).collect();
        assert!(answers.iter().all(|(code, _)| *code == 200), "{answers:?}");
        assert!(
            ids.iter().all(|id| *id == ids[0] && id.is_string()),
            "{ids:?}"
        );
        assert_eq!(own_posts(&ana).await.len(), 3);

        let (code, _) = post_with_key(i, &ana, &"k".repeat(300), "long key").await;
        assert_eq!(code, 422);
    });
}

fn png() -> Vec<u8> {
    let img = RgbImage::from_fn(40, 30, |x, y| image::Rgb([(x * 5) as u8, (y * 7) as u8, 9]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn send(u: &User, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let res = client()
        .request(method, format!("{}{path}", u.base))
        .bearer_auth(&u.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let code = res.status().as_u16();
    (code, res.json().await.unwrap_or(Value::Null))
}

fn in_minutes(m: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::minutes(m))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Makes a scheduled status due now, as if its time had come.
async fn make_due(i: &Instance, id: &str) {
    let id: i64 = id.parse().unwrap();
    let past = kith_storage::now() - chrono::Duration::seconds(1);
    i.context
        .db
        .write(move |c| kith_storage::scheduled::reschedule(c, id, past))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_statuses_wait_and_are_posted_once() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bo = User::new(i, "bo").await;
        let post = |body: Value| send(&ana, reqwest::Method::POST, "/api/v1/statuses", body);

        // Less than 5 minutes ahead, or not a time: 422.
        for at in [in_minutes(2), in_minutes(-10), "soon".to_owned()] {
            let (code, err) = post(json!({"status": "x", "scheduled_at": at})).await;
            assert_eq!(code, 422, "{at}: {err}");
        }

        // With a poll.
        let (code, sched) = post(json!({
            "status": "later, with a poll", "scheduled_at": in_minutes(10), "visibility": "unlisted",
            "poll": {"options": ["a", "b"], "expires_in": 3600},
        }))
        .await;
        assert_eq!(code, 200, "{sched}");
        assert_eq!(sched["params"]["text"], "later, with a poll");
        assert_eq!(sched["params"]["visibility"], "unlisted");
        assert_eq!(sched["params"]["poll"]["options"], json!(["a", "b"]));
        assert_eq!(sched["media_attachments"], json!([]));
        let poll_sched = sched["id"].as_str().unwrap().to_owned();
        assert!(own_posts(&ana).await.is_empty(), "nothing posted yet");

        // With media (uploaded first), as a form would send it.
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(png()).file_name("a.png"),
        );
        let media: Value = client()
            .post(i.url("/api/v2/media"))
            .bearer_auth(&ana.token)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let media_id = media["id"].as_str().unwrap().to_owned();
        let (code, with_media) = post(json!({
            "status": "later, with a picture", "scheduled_at": in_minutes(30),
            "media_ids": [media_id],
        }))
        .await;
        assert_eq!(code, 200, "{with_media}");
        assert_eq!(with_media["media_attachments"][0]["id"], media_id.as_str());
        let media_sched = with_media["id"].as_str().unwrap().to_owned();

        // One more, to delete.
        let (_, doomed) = post(json!({"status": "never", "scheduled_at": in_minutes(60)})).await;
        let doomed = doomed["id"].as_str().unwrap().to_owned();

        let list = ana.json("/api/v1/scheduled_statuses").await;
        assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
        assert!(bo
            .json("/api/v1/scheduled_statuses")
            .await
            .as_array()
            .unwrap()
            .is_empty());
        assert_eq!(
            bo.status_code(
                reqwest::Method::GET,
                &format!("/api/v1/scheduled_statuses/{poll_sched}")
            )
            .await,
            404
        );

        // Moving: at least 5 minutes ahead too.
        let (code, _) = send(
            &ana,
            reqwest::Method::PUT,
            &format!("/api/v1/scheduled_statuses/{doomed}"),
            json!({"scheduled_at": in_minutes(1)}),
        )
        .await;
        assert_eq!(code, 422);
        let later = in_minutes(90);
        let (code, moved) = send(
            &ana,
            reqwest::Method::PUT,
            &format!("/api/v1/scheduled_statuses/{doomed}"),
            json!({"scheduled_at": later}),
        )
        .await;
        assert_eq!(code, 200);
        assert_eq!(&moved["scheduled_at"].as_str().unwrap()[..16], &later[..16]);
        let (code, _) = send(
            &ana,
            reqwest::Method::DELETE,
            &format!("/api/v1/scheduled_statuses/{doomed}"),
            json!({}),
        )
        .await;
        assert_eq!(code, 200);
        assert_eq!(
            ana.status_code(
                reqwest::Method::GET,
                &format!("/api/v1/scheduled_statuses/{doomed}")
            )
            .await,
            404
        );

        // Their time comes: the job posts each once, with its poll and its media.
        make_due(i, &poll_sched).await;
        make_due(i, &media_sched).await;
        let posts = eventually("both scheduled statuses posted", || async {
            let posts = own_posts(&ana).await;
            (posts.len() == 2).then_some(posts)
        })
        .await;
        let polled = posts.iter().find(|p| !p["poll"].is_null()).unwrap();
        assert_eq!(polled["visibility"], "unlisted");
        assert_eq!(polled["poll"]["options"][1]["title"], "b");
        let pictured = posts
            .iter()
            .find(|p| {
                p["media_attachments"]
                    .as_array()
                    .is_some_and(|m| !m.is_empty())
            })
            .unwrap();
        assert_eq!(pictured["media_attachments"][0]["id"], media_id.as_str());
        assert!(ana
            .json("/api/v1/scheduled_statuses")
            .await
            .as_array()
            .unwrap()
            .is_empty());
        assert_eq!(own_posts(&ana).await.len(), 2);
    });
}
