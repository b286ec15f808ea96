//! Custom emoji across servers: a local emoji travels as an `Emoji` tag on a post and on its
//! author's actor to another Kith, whose API shows it by the first instance's image URL; a
//! hostile server's tags are capped and refused (bad shortcodes, `javascript:` URLs, a local
//! shortcode), never touching local emoji; a `reject_media` server's emoji are not shown.

use crate::custom_emojis::image;
use crate::inbox::{actor_doc, key, note, post_signed, Fake, Key, Spoil};
use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use image::ImageFormat;
use kith_core::accounts::Role;
use kith_core::limits::MAX_EMOJIS;
use kith_core::moderation::Staff;
use kith_storage::testing::TestDatabase;
use kith_storage::{statuses, OptionalExt};
use serde_json::{json, Value};

/// Adds the local emoji `:shortcode:` as the admin `admin` and returns its image URL.
async fn add_emoji(i: &Instance, admin: &User, shortcode: &str) -> String {
    let staff = Staff::new(admin.id.parse().unwrap(), Some(Role::Admin)).unwrap();
    let media = i.context.media.clone();
    let e = kith_core::custom_emojis::add(
        &i.context.db,
        media.as_ref(),
        staff,
        shortcode,
        image(ImageFormat::Png),
        None,
    )
    .await
    .unwrap();
    i.url(&format!("/{}", e.storage_key))
}

fn shortcodes(emojis: &Value) -> Vec<String> {
    let mut codes: Vec<String> = emojis
        .as_array()
        .unwrap_or_else(|| panic!("no emojis: {emojis}"))
        .iter()
        .map(|e| e["shortcode"].as_str().unwrap().to_owned())
        .collect();
    codes.sort_unstable();
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_emoji_travel_to_another_kith() {
    // One instance on each backend under test (SQLite and PostgreSQL when both run).
    let mut dbs = TestDatabase::each_backend();
    let db_b = if dbs.len() > 1 {
        dbs.pop().unwrap()
    } else {
        TestDatabase::sqlite()
    };
    let db_a = dbs.pop().unwrap();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let root = User::with_role(&a, "root", Role::Admin, "read write").await;
    let ana = User::new(&a, "ana").await;
    let bo = User::new(&b, "bo").await;
    let tea_url = add_emoji(&a, &root, "kith_tea").await;

    // Ana uses it in her name; her own API shows it on her account.
    let res = client()
        .patch(a.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&ana.token)
        .form(&[("display_name", "Ana :kith_tea:")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let me = ana.json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(shortcodes(&me["emojis"]), ["kith_tea"], "{me}");
    assert_eq!(me["emojis"][0]["url"], tea_url.as_str());

    // Her actor carries the Emoji tag, whose id is served as an Emoji object.
    let actor: Value = client()
        .get(a.url("/users/ana"))
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tag = &actor["tag"][0];
    assert_eq!(tag["type"], "Emoji", "{actor}");
    assert_eq!(tag["name"], ":kith_tea:");
    assert_eq!(tag["icon"]["url"], tea_url.as_str());
    assert!(actor["@context"].to_string().contains("toot:Emoji"));
    let doc: Value = client()
        .get(tag["id"].as_str().unwrap())
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["type"], "Emoji", "{doc}");
    assert_eq!(doc["id"], tag["id"]);
    assert_eq!(doc["icon"]["url"], tea_url.as_str());

    // Bo, on B, follows her; her post with the emoji reaches him with A's image.
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
    let profile = bo.json(&format!("/api/v1/accounts/{ana_at_b}")).await;
    assert_eq!(shortcodes(&profile["emojis"]), ["kith_tea"], "{profile}");
    assert_eq!(profile["emojis"][0]["url"], tea_url.as_str());
    assert_eq!(profile["emojis"][0]["visible_in_picker"], false);

    let post = ana
        .post(
            "/api/v1/statuses",
            json!({"status": "tea time :kith_tea: :unknown:", "spoiler_text": "drinks"}),
        )
        .await;
    assert_eq!(shortcodes(&post["emojis"]), ["kith_tea"]);
    let uri = post["uri"].as_str().unwrap().to_owned();
    let seen = eventually("ana's post in bo's home", || async {
        let home = bo.json("/api/v1/timelines/home").await;
        home.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == uri.as_str())
            .cloned()
    })
    .await;
    assert_eq!(shortcodes(&seen["emojis"]), ["kith_tea"], "{seen}");
    let e = &seen["emojis"][0];
    assert_eq!(e["url"], tea_url.as_str());
    assert_eq!(e["static_url"], tea_url.as_str());
    assert_eq!(e["visible_in_picker"], false);
    assert_eq!(shortcodes(&seen["account"]["emojis"]), ["kith_tea"]);
    // B lists no remote emoji as its own.
    let own: Value = client()
        .get(b.url("/api/v1/custom_emojis"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(own, json!([]));

    // A poll whose option names it: the poll's `emojis` carry it, on A and on B.
    let poll = ana
        .post(
            "/api/v1/statuses",
            json!({"status": "which?", "poll": {"options": ["tea :kith_tea:", "coffee"], "expires_in": 3600}}),
        )
        .await;
    assert_eq!(shortcodes(&poll["poll"]["emojis"]), ["kith_tea"], "{poll}");
    let poll_uri = poll["uri"].as_str().unwrap().to_owned();
    let seen_poll = eventually("ana's poll in bo's home", || async {
        let home = bo.json("/api/v1/timelines/home").await;
        home.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == poll_uri.as_str())
            .cloned()
    })
    .await;
    assert_eq!(
        shortcodes(&seen_poll["emojis"]),
        ["kith_tea"],
        "{seen_poll}"
    );
    assert_eq!(shortcodes(&seen_poll["poll"]["emojis"]), ["kith_tea"]);
    assert_eq!(seen_poll["poll"]["emojis"][0]["url"], tea_url.as_str());
    // The poll on its own (`GET /api/v1/polls/:id`) and a vote's answer carry them too.
    let poll_id = poll["poll"]["id"].as_str().unwrap();
    let own_poll = ana.json(&format!("/api/v1/polls/{poll_id}")).await;
    assert_eq!(shortcodes(&own_poll["emojis"]), ["kith_tea"], "{own_poll}");
    let seen_poll_id = seen_poll["poll"]["id"].as_str().unwrap();
    let remote_poll = bo.json(&format!("/api/v1/polls/{seen_poll_id}")).await;
    assert_eq!(
        shortcodes(&remote_poll["emojis"]),
        ["kith_tea"],
        "{remote_poll}"
    );
    assert_eq!(remote_poll["emojis"][0]["url"], tea_url.as_str());
    let voted = bo
        .post(
            &format!("/api/v1/polls/{seen_poll_id}/votes"),
            json!({"choices": [0]}),
        )
        .await;
    assert_eq!(shortcodes(&voted["emojis"]), ["kith_tea"], "{voted}");
    // A poll whose options name no emoji has none, though its post's text does.
    let plain = ana
        .post(
            "/api/v1/statuses",
            json!({"status": ":kith_tea: which?", "poll": {"options": ["tea", "coffee"], "expires_in": 3600}}),
        )
        .await;
    let plain_id = plain["poll"]["id"].as_str().unwrap();
    let plain_poll = ana.json(&format!("/api/v1/polls/{plain_id}")).await;
    assert_eq!(plain_poll["emojis"], json!([]), "{plain_poll}");

    // An edit that drops the emoji drops it on B too.
    let id = post["id"].as_str().unwrap();
    let res = client()
        .put(a.url(&format!("/api/v1/statuses/{id}")))
        .bearer_auth(&ana.token)
        .json(&json!({"status": "coffee instead"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let remote_id = seen["id"].as_str().unwrap().to_owned();
    // The history keeps each version's emoji: the first named it, the edit does not.
    let history = ana.json(&format!("/api/v1/statuses/{id}/history")).await;
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 2, "{history}");
    assert_eq!(
        shortcodes(&versions[0]["emojis"]),
        ["kith_tea"],
        "{history}"
    );
    assert_eq!(versions[0]["emojis"][0]["url"], tea_url.as_str());
    assert_eq!(versions[1]["emojis"], json!([]), "{history}");
    eventually("the edit reaches bo", || async {
        let s = bo.json(&format!("/api/v1/statuses/{remote_id}")).await;
        (s["content"].as_str().unwrap_or("").contains("coffee") && s["emojis"] == json!([]))
            .then_some(())
    })
    .await;
    a.stop().await;
    b.stop().await;
}

/// A remote actor on a fake server, with a custom emoji in its display name.
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
        doc["name"] = json!(format!("{name} :{name}_wave:"));
        doc["tag"] = json!([emoji_tag(
            &format!("{name}_wave"),
            &format!("{}/emoji/{name}_wave.png", fake.base)
        )]);
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

    /// A public Note `n` with these tags, wrapped in its Create.
    fn post(&self, n: u32, content: &str, tags: Vec<Value>) -> Value {
        let mut create = note(&self.id, &format!("{}/notes/{n}", self.id), content);
        create["object"]["tag"] = Value::Array(tags);
        create
    }
}

fn emoji_tag(shortcode: &str, url: &str) -> Value {
    json!({"type": "Emoji", "id": format!("{url}#emoji"), "name": format!(":{shortcode}:"),
           "updated": "2024-11-02T18:21:44Z",
           "icon": {"type": "Image", "mediaType": "image/png", "url": url}})
}

async fn status_id(i: &Instance, ap_id: &str) -> String {
    let ap_id = ap_id.to_owned();
    i.context
        .db
        .read(move |c| statuses::by_ap_id(c, &ap_id).optional())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("not stored"))
        .id
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_emoji_tags_are_capped_and_refused() {
    on_each_backend!(async |i: &Instance| {
        let root = User::with_role(i, "root", Role::Admin, "read write").await;
        let carl = User::new(i, "carl").await;
        let tea_url = add_emoji(i, &root, "kith_tea").await;
        let fake = Fake::start().await;
        let eve = Remote::on(&fake, "eve");

        // 500 valid tags after a tag on a local shortcode and bad ones.
        let evil = "https://cdn.evil.example";
        let mut tags = vec![
            emoji_tag("kith_tea", &format!("{evil}/tea.png")),
            emoji_tag("bad-code", &format!("{evil}/1.png")),
            emoji_tag(&"a".repeat(65), &format!("{evil}/2.png")),
            emoji_tag("js", "javascript:alert(1)"),
            emoji_tag("data", "data:image/png;base64,AAAA"),
            emoji_tag("absent", &format!("{evil}/3.png")),
            json!({"type": "Emoji", "name": ":no_icon:"}),
        ];
        tags.extend((0..500).map(|n| emoji_tag(&format!("e{n}"), &format!("{evil}/{n}.png"))));
        let mut text = format!(
            "<p>:kith_tea: :bad-code: :{}: :js: :data: :no_icon:",
            "a".repeat(65)
        );
        for n in 0..500 {
            text.push_str(&format!(" :e{n}:"));
        }
        text.push_str("</p>");
        assert_eq!(eve.send(i, &eve.post(1, &text, tags)).await, 202);
        let id = status_id(i, &format!("{}/notes/1", eve.id)).await;
        let shown = carl.json(&format!("/api/v1/statuses/{id}")).await;
        let emojis = shown["emojis"].as_array().unwrap();
        assert_eq!(emojis.len(), MAX_EMOJIS, "{shown}");
        let codes = shortcodes(&shown["emojis"]);
        assert!(codes.contains(&"kith_tea".to_owned()));
        for bad in ["bad-code", "js", "data", "absent", "no_icon"] {
            assert!(!codes.contains(&bad.to_owned()), "{bad}");
        }
        for e in emojis {
            let url = e["url"].as_str().unwrap();
            assert!(url.starts_with(evil), "{url}");
            assert_eq!(e["visible_in_picker"], false);
        }
        // Eve's `kith_tea` is hers: the local one is untouched, in the list and in local posts.
        let theirs = emojis
            .iter()
            .find(|e| e["shortcode"] == "kith_tea")
            .unwrap();
        assert_eq!(theirs["url"], format!("{evil}/tea.png").as_str());
        let own: Value = client()
            .get(i.url("/api/v1/custom_emojis"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(own.as_array().unwrap().len(), 1, "{own}");
        assert_eq!(own[0]["url"], tea_url.as_str());
        let mine = carl
            .post("/api/v1/statuses", json!({"status": "my :kith_tea:"}))
            .await;
        assert_eq!(mine["emojis"][0]["url"], tea_url.as_str());
        // Her profile's emoji shows on her account and on her post's author.
        assert_eq!(shortcodes(&shown["account"]["emojis"]), ["eve_wave"]);
        let eve_id = shown["account"]["id"].as_str().unwrap();
        let profile = carl.json(&format!("/api/v1/accounts/{eve_id}")).await;
        assert_eq!(shortcodes(&profile["emojis"]), ["eve_wave"], "{profile}");

        // An edit replaces the post's emoji with those it names now.
        let mut update = eve.post(
            1,
            "<p>now :e7: only</p>",
            vec![emoji_tag("e7", &format!("{evil}/new7.png"))],
        );
        update["type"] = json!("Update");
        update["id"] = json!(format!("{}/notes/1#update", eve.id));
        update["object"]["updated"] = json!(chrono::Utc::now().to_rfc3339());
        assert_eq!(eve.send(i, &update).await, 202);
        let shown = carl.json(&format!("/api/v1/statuses/{id}")).await;
        assert_eq!(shortcodes(&shown["emojis"]), ["e7"], "{shown}");
        assert_eq!(
            shown["emojis"][0]["url"],
            format!("{evil}/new7.png").as_str()
        );
        // A late post with an older version of the emoji does not bring its old image back.
        let mut old = emoji_tag("e7", &format!("{evil}/old7.png"));
        old["updated"] = json!("2020-01-01T00:00:00Z");
        assert_eq!(
            eve.send(i, &eve.post(2, "<p>:e7:</p>", vec![old])).await,
            202
        );
        let late = status_id(i, &format!("{}/notes/2", eve.id)).await;
        for id in [&id, &late] {
            let shown = carl.json(&format!("/api/v1/statuses/{id}")).await;
            assert_eq!(
                shown["emojis"][0]["url"],
                format!("{evil}/new7.png").as_str()
            );
        }

        // Another server whose media is rejected: its emoji go, and new ones are not kept.
        let pics = Fake::start().await;
        let pics_domain = pics.base.trim_start_matches("http://").to_owned();
        let zed = Remote::on(&pics, "zed");
        let tag = emoji_tag("zed_cat", &format!("{}/cat.png", pics.base));
        assert_eq!(
            zed.send(i, &zed.post(1, "<p>:zed_cat:</p>", vec![tag.clone()]))
                .await,
            202
        );
        let first = status_id(i, &format!("{}/notes/1", zed.id)).await;
        let shown = carl.json(&format!("/api/v1/statuses/{first}")).await;
        assert_eq!(shortcodes(&shown["emojis"]), ["zed_cat"], "{shown}");
        let modo = User::with_role(i, "modo", Role::Moderator, "admin:read admin:write").await;
        modo.post(
            "/api/v1/admin/domain_blocks",
            json!({"domain": pics_domain, "severity": "noop", "reject_media": true}),
        )
        .await;
        let shown = carl.json(&format!("/api/v1/statuses/{first}")).await;
        assert_eq!(shown["emojis"], json!([]), "{shown}");
        assert_eq!(shown["account"]["emojis"], json!([]), "{shown}");
        assert_eq!(
            zed.send(i, &zed.post(2, "<p>again :zed_cat:</p>", vec![tag]))
                .await,
            202
        );
        let second = status_id(i, &format!("{}/notes/2", zed.id)).await;
        let shown = carl.json(&format!("/api/v1/statuses/{second}")).await;
        assert_eq!(shown["emojis"], json!([]), "{shown}");
        // Eve's server is not covered by that policy.
        let shown = carl.json(&format!("/api/v1/statuses/{id}")).await;
        assert_eq!(shortcodes(&shown["emojis"]), ["e7"]);
        fake.stop().await;
        pics.stop().await;
    });
}
