//! Stored media served in parts (`Range`), as video and audio players ask for them; large
//! uploads to `/api/v2/media` processed after a 202 (206 from `GET /api/v1/media/:id` until
//! done), and an unreadable one dropped with no file left behind.

use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use image::{DynamicImage, ImageFormat, RgbImage};
use serde_json::Value;
use std::io::Cursor;

/// The start of an MP4 file (an `ftyp` box), enough to be sniffed as video.
fn fake_mp4() -> Vec<u8> {
    let mut v = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    v.extend((0..4000u32).map(|n| (n % 251) as u8));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_files_honour_ranges() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let file = fake_mp4();
        let len = file.len();
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(file.clone()).file_name("v.mp4"),
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
        assert_eq!(media["type"], "video", "{media}");
        let url = media["url"].as_str().unwrap().to_owned();
        let get = |range: Option<String>| {
            let mut req = client().get(&url);
            if let Some(r) = range {
                req = req.header("range", r);
            }
            req.send()
        };

        let whole = get(None).await.unwrap();
        assert_eq!(whole.status(), 200);
        assert_eq!(whole.headers()["accept-ranges"], "bytes");
        assert_eq!(whole.bytes().await.unwrap().len(), len);

        let part = get(Some("bytes=100-199".into())).await.unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(
            part.headers()["content-range"],
            format!("bytes 100-199/{len}").as_str()
        );
        assert_eq!(part.headers()["content-type"], "video/mp4");
        assert_eq!(&part.bytes().await.unwrap()[..], &file[100..200]);

        let tail = get(Some("bytes=-10".into())).await.unwrap();
        assert_eq!(tail.status(), 206);
        assert_eq!(&tail.bytes().await.unwrap()[..], &file[len - 10..]);

        let open = get(Some(format!("bytes={}-", len - 5))).await.unwrap();
        assert_eq!(open.status(), 206);
        assert_eq!(open.bytes().await.unwrap().len(), 5);

        let outside = get(Some(format!("bytes={len}-"))).await.unwrap();
        assert_eq!(outside.status(), 416);
        assert_eq!(
            outside.headers()["content-range"],
            format!("bytes */{len}").as_str()
        );
    });
}

/// A PNG over 1 MiB (noise does not compress).
fn big_png() -> Vec<u8> {
    let mut seed: u32 = 7;
    let img = RgbImage::from_fn(800, 800, |_, _| {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let b = seed.to_be_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn upload_v2(i: &Instance, u: &User, bytes: Vec<u8>) -> (u16, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("big.bin"),
    );
    let res = client()
        .post(i.url("/api/v2/media"))
        .bearer_auth(&u.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let code = res.status().as_u16();
    (code, res.json().await.unwrap_or(Value::Null))
}

fn stored_files(i: &Instance) -> usize {
    match std::fs::read_dir(i.data_dir().join("media").join("media")) {
        Ok(dir) => dir.count(),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_uploads_are_processed_after_a_202() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let png = big_png();
        assert!(png.len() > 1024 * 1024, "{}", png.len());
        let (code, media) = upload_v2(i, &ana, png).await;
        assert_eq!(code, 202, "{media}");
        assert_eq!(media["url"], Value::Null);
        assert_eq!(media["type"], "image");
        let id = media["id"].as_str().unwrap().to_owned();
        let first = ana
            .get(&format!("/api/v1/media/{id}"))
            .await
            .status()
            .as_u16();
        assert!(first == 206 || first == 200, "{first}");
        let done = eventually("processed", || async {
            let res = ana.get(&format!("/api/v1/media/{id}")).await;
            if res.status().as_u16() != 200 {
                return None;
            }
            Some(res.json::<Value>().await.unwrap())
        })
        .await;
        assert_eq!(done["meta"]["original"]["width"], 800);
        assert!(done["blurhash"].is_string() && done["preview_url"].is_string());
        let served = client()
            .get(done["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/png");
        let posted = ana
            .post(
                "/api/v1/statuses",
                serde_json::json!({"status": "big", "media_ids": [id]}),
            )
            .await;
        assert_eq!(posted["media_attachments"][0]["id"], id.as_str());
        // Processed file and thumbnail only: the original is gone.
        assert_eq!(stored_files(i), 2);

        // Claims to be a PNG, is not one: accepted for processing, then dropped, no file kept.
        let mut broken = b"\x89PNG\r\n\x1a\n".to_vec();
        broken.extend(std::iter::repeat_n(7u8, 1_200_000));
        let (code, bad) = upload_v2(i, &ana, broken).await;
        assert_eq!(code, 202, "{bad}");
        let bad_id = bad["id"].as_str().unwrap().to_owned();
        eventually("the unreadable upload dropped", || async {
            (ana.get(&format!("/api/v1/media/{bad_id}")).await.status() == 404).then_some(())
        })
        .await;
        // The row goes first and the file right after it, so the count is awaited too.
        eventually("the unreadable upload's file removed", || async {
            (stored_files(i) == 2).then_some(())
        })
        .await;
    });
}
