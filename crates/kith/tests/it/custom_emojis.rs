//! Local custom emoji: admins add them with `kith admin emoji` (PNG, GIF or WebP, at most
//! 256 KiB, audited; a refused image leaves no file), apps list them at
//! `/api/v1/custom_emojis`, and local posts that use `:shortcode:` carry them in `emojis`.

use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use image::{DynamicImage, ImageFormat, RgbaImage};
use kith::config::Config;
use kith::emoji_cli::{run, EmojiCommand};
use kith_core::accounts::Role;
use kith_core::custom_emojis::{add, MAX_EMOJI_BYTES};
use kith_core::moderation::Staff;
use kith_core::CoreError;
use serde_json::{json, Value};
use std::io::Cursor;

pub(crate) fn image(format: ImageFormat) -> Vec<u8> {
    let img = RgbaImage::from_fn(16, 16, |x, y| {
        image::Rgba([(x * 9) as u8, (y * 9) as u8, 90, 255])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

/// Files under the instance's media directory.
fn stored_files(i: &Instance) -> usize {
    fn count(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            count(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    count(&i.data_dir().join("media"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_add_emoji_that_local_posts_carry() {
    on_each_backend!(async |i: &Instance| {
        let db = &i.context.db;
        let media = i.context.media.clone();
        let admin = User::with_role(i, "root", Role::Admin, "read write admin:read").await;
        let admin_id: i64 = admin.id.parse().unwrap();
        let modo = User::with_role(i, "modo", Role::Moderator, "read").await;
        let ana = User::new(i, "ana").await;
        // The CLI, with the instance's own configuration of where media go.
        let config = Config {
            data_dir: i.data_dir().to_owned(),
            ..Config::default()
        };
        let png = image(ImageFormat::Png);
        let file = i.data_dir().join("tea.png");
        std::fs::write(&file, &png).unwrap();
        run(
            &config,
            db,
            EmojiCommand::Add {
                shortcode: "kith_tea".into(),
                file,
                category: Some("Drinks".into()),
                actor: "root".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(stored_files(i), 1);

        // Refused: not an admin, bad shortcodes, a taken one, other types, too large; none
        // leaves a file behind.
        let staff = |id: i64, role| Staff::new(id, Some(role)).unwrap();
        let modo_id: i64 = modo.id.parse().unwrap();
        let tries: Vec<(Staff, &str, Vec<u8>)> = vec![
            (staff(modo_id, Role::Moderator), "from_modo", png.clone()),
            (staff(admin_id, Role::Admin), "a", png.clone()),
            (staff(admin_id, Role::Admin), "no-dash", png.clone()),
            (staff(admin_id, Role::Admin), "kith_tea", png.clone()),
            (
                staff(admin_id, Role::Admin),
                "jpeg",
                image(ImageFormat::Jpeg),
            ),
            (
                staff(admin_id, Role::Admin),
                "text",
                b"<svg onload=alert(1)>".to_vec(),
            ),
            (staff(admin_id, Role::Admin), "huge", {
                let mut big = png.clone();
                big.resize(MAX_EMOJI_BYTES + 1, 0);
                big
            }),
        ];
        for (who, code, bytes) in tries {
            let refused = add(db, media.as_ref(), who, code, bytes, None).await;
            assert!(
                matches!(
                    refused,
                    Err(CoreError::Invalid(_) | CoreError::Forbidden(_) | CoreError::Taken(_))
                ),
                "{code}: {refused:?}"
            );
        }
        assert_eq!(stored_files(i), 1);

        // Apps list it, without a token; its image is served as stored.
        let res = client()
            .get(i.url("/api/v1/custom_emojis"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let list: Value = res.json().await.unwrap();
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        let e = &list[0];
        assert_eq!(e["shortcode"], "kith_tea");
        assert_eq!(e["category"], "Drinks");
        assert_eq!(e["visible_in_picker"], true);
        assert_eq!(e["static_url"], e["url"]);
        let url = e["url"].as_str().unwrap().to_owned();
        assert!(url.starts_with(&i.url("/media/")), "{url}");
        let served = client().get(&url).send().await.unwrap();
        assert_eq!(served.status(), 200);
        assert_eq!(served.headers()["content-type"], "image/png");
        assert_eq!(served.bytes().await.unwrap().as_ref(), png.as_slice());

        // A local post naming it carries it in `emojis` (unknown shortcodes are just text).
        let post = ana
            .post(
                "/api/v1/statuses",
                json!({"status": "tea time :kith_tea: :nope: 12:30:45"}),
            )
            .await;
        assert_eq!(post["emojis"].as_array().unwrap().len(), 1, "{post}");
        assert_eq!(post["emojis"][0]["shortcode"], "kith_tea");
        assert_eq!(post["emojis"][0]["url"], url.as_str());
        let timeline = ana.json("/api/v1/timelines/home").await;
        assert_eq!(timeline[0]["emojis"][0]["shortcode"], "kith_tea");

        // Removing it takes it and its file away, and is in the audit log with the add.
        run(
            &config,
            db,
            EmojiCommand::Remove {
                shortcode: "kith_tea".into(),
                actor: "root".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(stored_files(i), 0);
        let list: Value = client()
            .get(i.url("/api/v1/custom_emojis"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(list, json!([]));
        assert_eq!(client().get(&url).send().await.unwrap().status(), 404);
        let log = admin.json("/api/v1/admin/audit_log").await;
        assert_eq!(log[0]["action"], "destroy_custom_emoji");
        assert_eq!(log[1]["action"], "create_custom_emoji");
        assert_eq!(log[1]["target_id"], "kith_tea");
    });
}
