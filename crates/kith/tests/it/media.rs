//! Media uploads end to end, on each database backend with the default local media storage:
//! real PNG, JPEG and GIF files (made here with `image`) and a fake MP4 are uploaded, measured,
//! thumbnailed, described and served inertly; posts carry them (and so do the Notes another
//! instance receives); oversized, wrongly typed or unauthorized uploads are refused with no
//! file left behind; unattached uploads are cleaned up.

use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use image::{DynamicImage, ImageFormat, RgbImage};
use kith_storage::testing::TestDatabase;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use std::io::Cursor;

fn image_bytes(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8, (y * 3) as u8, 90]));
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// A JPEG with an EXIF segment carrying a marker that stands for a GPS position.
fn jpeg_with_exif() -> Vec<u8> {
    let plain = image_bytes(300, 200, ImageFormat::Jpeg);
    let payload = b"Exif\0\0MM\0*\0\0\0\x08\0\0GPS-52.37N-4.89E";
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&plain[2..]);
    out
}

/// The start of an MP4 file (an `ftyp` box), enough to be sniffed as video.
fn fake_mp4() -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    v.extend(std::iter::repeat_n(0u8, 2048));
    v
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Files under the instance's media directory.
fn files(i: &Instance) -> usize {
    match std::fs::read_dir(i.data_dir().join("media").join("media")) {
        Ok(dir) => dir.count(),
        Err(_) => 0,
    }
}

async fn upload_as(
    i: &Instance,
    token: &str,
    path: &str,
    bytes: Vec<u8>,
    claimed_type: &str,
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let mut form = Form::new().part(
        "file",
        Part::bytes(bytes)
            .file_name("upload.bin")
            .mime_str(claimed_type)
            .unwrap(),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let res = client()
        .post(i.url(path))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn upload(i: &Instance, u: &User, bytes: Vec<u8>, fields: &[(&str, &str)]) -> Value {
    let (status, body) = upload_as(
        i,
        &u.token,
        "/api/v2/media",
        bytes,
        "application/octet-stream",
        fields,
    )
    .await;
    assert_eq!(status, 200, "upload: {body}");
    body
}

async fn send(u: &User, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let res = client()
        .request(method, format!("{}{path}", u.base))
        .bearer_auth(&u.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_processed_described_posted_and_served() {
    on_each_backend!(async |i: &Instance| {
        {
            let ana = User::new(i, "ana").await;

            // PNG through v2: real size, a thumbnail within 640×640, a blurhash.
            let png = upload(i, &ana, image_bytes(1200, 800, ImageFormat::Png), &[]).await;
            assert_eq!(png["type"], "image", "{png}");
            assert_eq!(png["meta"]["original"]["width"], 1200);
            assert_eq!(png["meta"]["original"]["height"], 800);
            assert_eq!(png["meta"]["small"]["width"], 640);
            assert_eq!(png["meta"]["small"]["height"], 427);
            assert!(png["blurhash"].as_str().unwrap().len() >= 6);
            let url = png["url"].as_str().unwrap();
            assert!(url.starts_with(&format!("{}/media/", i.base)), "{url}");
            let res = client().get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let h = res.headers();
            assert_eq!(h["content-type"], "image/png");
            assert_eq!(h["x-content-type-options"], "nosniff");
            assert_eq!(h["content-security-policy"], "default-src 'none'; sandbox");
            assert_eq!(h["content-disposition"], "inline");
            assert!(h["cache-control"].to_str().unwrap().contains("immutable"));
            let preview = client()
                .get(png["preview_url"].as_str().unwrap())
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let thumb = image::load_from_memory(&preview).unwrap();
            assert_eq!((thumb.width(), thumb.height()), (640, 427));

            // JPEG through v1 with description and focus; its EXIF is gone from the stored file.
            let (status, jpeg) = upload_as(
                i,
                &ana.token,
                "/api/v1/media",
                jpeg_with_exif(),
                "image/png",
                &[("description", "a red square"), ("focus", "0.5,-0.25")],
            )
            .await;
            assert_eq!(status, 200, "{jpeg}");
            assert_eq!(jpeg["description"], "a red square");
            assert_eq!(jpeg["meta"]["focus"], json!({"x": 0.5, "y": -0.25}));
            assert_eq!(jpeg["meta"]["original"]["width"], 300);
            let served = client()
                .get(jpeg["url"].as_str().unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(served.headers()["content-type"], "image/jpeg");
            let served = served.bytes().await.unwrap();
            assert!(!contains(&served, b"GPS-52.37N"), "EXIF survived");
            assert_eq!(image::load_from_memory(&served).unwrap().width(), 300);

            // GIF and a (fake) video.
            let gif = upload(i, &ana, image_bytes(40, 30, ImageFormat::Gif), &[]).await;
            assert_eq!(gif["type"], "image");
            assert_eq!(gif["meta"]["original"]["width"], 40);
            let video = upload(i, &ana, fake_mp4(), &[]).await;
            assert_eq!(video["type"], "video", "{video}");
            let res = client()
                .get(video["url"].as_str().unwrap())
                .send()
                .await
                .unwrap();
            assert_eq!(res.headers()["content-type"], "video/mp4");
            assert_eq!(res.headers()["content-disposition"], "inline");

            // Description and focus through PUT, seen by GET.
            let png_id = png["id"].as_str().unwrap().to_owned();
            let (status, put) = send(
                &ana,
                reqwest::Method::PUT,
                &format!("/api/v1/media/{png_id}"),
                json!({"description": "a gradient", "focus": "-1,1"}),
            )
            .await;
            assert_eq!(status, 200, "{put}");
            let got = ana.json(&format!("/api/v1/media/{png_id}")).await;
            assert_eq!(got["description"], "a gradient");
            assert_eq!(got["meta"]["focus"], json!({"x": -1.0, "y": 1.0}));
            let (status, _) = send(
                &ana,
                reqwest::Method::PUT,
                &format!("/api/v1/media/{png_id}"),
                json!({"focus": "2,0"}),
            )
            .await;
            assert_eq!(status, 422);

            // A post with two of them, in the order given.
            let jpeg_id = jpeg["id"].as_str().unwrap().to_owned();
            let status = ana
                .post(
                    "/api/v1/statuses",
                    json!({"status": "pictures", "media_ids": [jpeg_id, png_id]}),
                )
                .await;
            let media = status["media_attachments"].as_array().unwrap();
            assert_eq!(media.len(), 2, "{status}");
            assert_eq!(media[0]["id"], jpeg_id);
            assert_eq!(media[1]["description"], "a gradient");
            assert_eq!(media[1]["meta"]["original"]["width"], 1200);
            let id = status["id"].as_str().unwrap();
            let again = ana.json(&format!("/api/v1/statuses/{id}")).await;
            assert_eq!(again["media_attachments"], status["media_attachments"]);
            let timeline = ana.json("/api/v1/timelines/public").await;
            assert_eq!(
                timeline[0]["media_attachments"].as_array().unwrap().len(),
                2
            );
            // The public Note lists them as Documents.
            let note: Value = client()
                .get(status["uri"].as_str().unwrap())
                .header("accept", "application/activity+json")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let docs = note["attachment"].as_array().unwrap();
            assert_eq!(docs.len(), 2, "{note}");
            assert_eq!(docs[0]["type"], "Document");
            assert_eq!(docs[0]["mediaType"], "image/jpeg");
            assert_eq!(docs[0]["name"], "a red square");
            assert_eq!(docs[0]["focalPoint"], json!([0.5, -0.25]));
            assert_eq!(docs[1]["width"], 1200);
            assert_eq!(docs[1]["url"], media[1]["url"]);

            // Attached media are no longer the upload endpoints' business; nor another's post.
            assert_eq!(
                ana.status_code(reqwest::Method::GET, &format!("/api/v1/media/{png_id}"))
                    .await,
                404
            );
            let (status, _) = send(
                &ana,
                reqwest::Method::DELETE,
                &format!("/api/v1/media/{png_id}"),
                json!({}),
            )
            .await;
            assert_eq!(status, 422);
            let (status, _) = send(
                &ana,
                reqwest::Method::POST,
                "/api/v1/statuses",
                json!({"status": "again", "media_ids": [png_id]}),
            )
            .await;
            assert_eq!(status, 422, "media already on a post");
            let bo = User::new(i, "bo").await;
            let gif_id = gif["id"].as_str().unwrap();
            let (status, _) = send(
                &bo,
                reqwest::Method::POST,
                "/api/v1/statuses",
                json!({"status": "not mine", "media_ids": [gif_id]}),
            )
            .await;
            assert_eq!(status, 422, "someone else's upload");
            assert_eq!(
                bo.status_code(reqwest::Method::GET, &format!("/api/v1/media/{gif_id}"))
                    .await,
                404
            );
            let mut five = Vec::new();
            for _ in 0..5 {
                let m = upload(i, &ana, image_bytes(8, 8, ImageFormat::Png), &[]).await;
                five.push(m["id"].as_str().unwrap().to_owned());
            }
            let (status, _) = send(
                &ana,
                reqwest::Method::POST,
                "/api/v1/statuses",
                json!({"status": "too many", "media_ids": five}),
            )
            .await;
            assert_eq!(status, 422);

            // An edit replaces the media: the GIF instead; media alone needs no text.
            let (status, edited) = send(
                &ana,
                reqwest::Method::PUT,
                &format!("/api/v1/statuses/{id}"),
                json!({"status": "", "media_ids": [gif_id]}),
            )
            .await;
            assert_eq!(status, 200, "{edited}");
            assert_eq!(edited["media_attachments"][0]["id"], gif_id);
            assert_eq!(edited["media_attachments"].as_array().unwrap().len(), 1);

            // Refused uploads leave no file behind.
            let before = files(i);
            let mut oversize = image_bytes(8, 8, ImageFormat::Png);
            oversize.resize(17 * 1024 * 1024, 0);
            let (status, body) =
                upload_as(i, &ana.token, "/api/v2/media", oversize, "image/png", &[]).await;
            assert_eq!(status, 422, "{body}");
            assert!(
                body["error"].as_str().unwrap().contains("too large"),
                "{body}"
            );
            for (bytes, claimed) in [
                (
                    &b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"[..],
                    "image/svg+xml",
                ),
                (&b"<html><script>alert(1)</script></html>"[..], "image/png"),
                (&b"just some text"[..], "image/jpeg"),
            ] {
                let (status, body) =
                    upload_as(i, &ana.token, "/api/v2/media", bytes.to_vec(), claimed, &[]).await;
                assert_eq!(status, 422, "{claimed}: {body}");
            }
            // A PNG header over a body that is not an image.
            let mut broken = image_bytes(8, 8, ImageFormat::Png)[..40].to_vec();
            broken.extend_from_slice(b"garbage");
            let (status, _) =
                upload_as(i, &ana.token, "/api/v2/media", broken, "image/png", &[]).await;
            assert_eq!(status, 422);
            let account = i.create_user("cy", "correct horse").await;
            let read_only = i.token(&account, "read write:statuses").await;
            let (status, _) = upload_as(
                i,
                &read_only,
                "/api/v2/media",
                image_bytes(8, 8, ImageFormat::Png),
                "image/png",
                &[],
            )
            .await;
            assert_eq!(status, 403, "write:media is required");
            let media_only = i.token(&account, "write:media").await;
            let (status, _) = upload_as(
                i,
                &media_only,
                "/api/v2/media",
                image_bytes(8, 8, ImageFormat::Png),
                "image/png",
                &[],
            )
            .await;
            assert_eq!(status, 200, "write:media is enough");
            assert_eq!(files(i), before + 2, "only the accepted upload added files");

            // Deleting an unattached upload removes its files.
            let (status, _) = send(
                &ana,
                reqwest::Method::DELETE,
                &format!("/api/v1/media/{}", five[0]),
                json!({}),
            )
            .await;
            assert_eq!(status, 200);
            assert_eq!(files(i), before, "file and thumbnail deleted");

            // Housekeeping keeps fresh and attached uploads, and deletes the rest.
            let fresh =
                kith_federation::delivery::prune_media(&i.context, chrono::Duration::days(1))
                    .await
                    .unwrap();
            assert_eq!(fresh, 0);
            // Now (keep nothing) every unattached one goes: four of `five`, the video, the
            // PNG and JPEG the edit took off, cy's upload.
            let pruned =
                kith_federation::delivery::prune_media(&i.context, chrono::Duration::zero())
                    .await
                    .unwrap();
            assert_eq!(pruned, 8);
            assert_eq!(
                files(i),
                2,
                "only the post's GIF and its thumbnail are left"
            );
            let edited = ana.json(&format!("/api/v1/statuses/{id}")).await;
            let gif_url = edited["media_attachments"][0]["url"].as_str().unwrap();
            assert_eq!(client().get(gif_url).send().await.unwrap().status(), 200);

            // Deleting the post leaves its media unattached (for delete-and-redraft, as
            // Mastodon does), and housekeeping then takes them like any other upload.
            let (status, _) = send(
                &ana,
                reqwest::Method::DELETE,
                &format!("/api/v1/statuses/{id}"),
                json!({}),
            )
            .await;
            assert_eq!(status, 200);
            let redraft = ana.json(&format!("/api/v1/media/{gif_id}")).await;
            assert_eq!(redraft["id"], gif_id);
            let pruned =
                kith_federation::delivery::prune_media(&i.context, chrono::Duration::zero())
                    .await
                    .unwrap();
            assert_eq!(pruned, 1);
            assert_eq!(files(i), 0);
            assert_eq!(client().get(gif_url).send().await.unwrap().status(), 404);
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_follower_receives_the_attachments() {
    let mut dbs = TestDatabase::each_backend();
    let db_b = if dbs.len() > 1 {
        dbs.pop().unwrap()
    } else {
        TestDatabase::sqlite()
    };
    let db_a = dbs.pop().unwrap();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let bo = User::new(&b, "bo").await;
    let ana_at_b = bo.resolve(&format!("@ana@{}", a.domain)).await;
    bo.post(&format!("/api/v1/accounts/{ana_at_b}/follow"), json!({}))
        .await;
    eventually("Accept from ana", || async {
        let rels = bo
            .json(&format!("/api/v1/accounts/relationships?id[]={ana_at_b}"))
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    let png = upload(
        &a,
        &ana,
        image_bytes(800, 600, ImageFormat::Png),
        &[("description", "a sunset"), ("focus", "0.1,0.2")],
    )
    .await;
    let posted = ana
        .post(
            "/api/v1/statuses",
            json!({"status": "look", "media_ids": [png["id"]]}),
        )
        .await;
    let seen = eventually("the post at b", || async {
        let home = bo.json("/api/v1/timelines/home").await;
        home.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == posted["uri"])
            .cloned()
    })
    .await;
    let m = &seen["media_attachments"][0];
    assert_eq!(m["type"], "image", "{seen}");
    assert_eq!(m["remote_url"], png["url"]);
    assert_eq!(m["url"], png["url"]);
    assert_eq!(m["description"], "a sunset");
    assert_eq!(m["blurhash"], png["blurhash"]);
    assert_eq!(m["meta"]["original"]["width"], 800);
    assert_eq!(m["meta"]["focus"], json!({"x": 0.1, "y": 0.2}));
    a.stop().await;
    b.stop().await;
}
