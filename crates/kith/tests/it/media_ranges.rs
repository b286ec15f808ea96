//! Stored media served in parts (`Range`), as video and audio players ask for them.

use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use serde_json::Value;

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
