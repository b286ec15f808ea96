//! Profiles on both backends: private notes on accounts and endorsements (with `note` and
//! `endorsed` in relationships, and the follow rule), featured tags (counts, the cap,
//! suggestions, `tags/:name/feature`), posting preferences (`source[…]`, `/preferences`, a
//! post without visibility taking the default), profile fields in every form clients send them
//! (shown, in `source`, in the actor document), their federation to a second Kith, and a
//! hostile actor's hundred oversized fields capped and sanitized.

use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::lists::{call, call_form};
use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use kith_storage::testing::TestDatabase;
use reqwest::Method;
use serde_json::{json, Value};

async fn follow(u: &User, other: &User) {
    u.post(&format!("/api/v1/accounts/{}/follow", other.id), json!({}))
        .await;
}

async fn relationship(u: &User, other: &User) -> Value {
    u.json(&format!("/api/v1/accounts/relationships?id[]={}", other.id))
        .await[0]
        .clone()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_and_endorsements_show_in_relationships() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        let cat = User::new(i, "cat").await;

        // A private note: set, shown in every relationship, capped, cleared.
        let rel = ana
            .post(
                &format!("/api/v1/accounts/{}/note", bob.id),
                json!({"comment": "met at the café"}),
            )
            .await;
        assert_eq!(rel["note"], "met at the café");
        assert_eq!(relationship(&ana, &bob).await["note"], "met at the café");
        assert_eq!(
            relationship(&cat, &bob).await["note"],
            "",
            "notes are private"
        );
        let (status, body) = call(
            &ana,
            Method::POST,
            &format!("/api/v1/accounts/{}/note", bob.id),
            Some(json!({"comment": "x".repeat(2_001)})),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(relationship(&ana, &bob).await["note"], "met at the café");
        let (status, _) = call(
            &ana,
            Method::POST,
            "/api/v1/accounts/424242/note",
            Some(json!({"comment": "x"})),
        )
        .await;
        assert_eq!(status, 404);
        let (status, rel) = call_form(
            &ana,
            Method::POST,
            &format!("/api/v1/accounts/{}/note", bob.id),
            "comment=",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(rel["note"], "");
        // A token without `write:accounts` may not.
        let account = i.create_user("dan", "correct horse").await;
        let reader = User::with_token(i, account.id, i.token(&account, "read").await);
        for path in [
            format!("/api/v1/accounts/{}/note", bob.id),
            format!("/api/v1/accounts/{}/endorse", bob.id),
            "/api/v1/featured_tags".to_owned(),
        ] {
            assert_eq!(reader.status_code(Method::POST, &path).await, 403, "{path}");
        }

        // Endorsements: only accounts one follows (422 otherwise).
        let (status, body) = call(
            &ana,
            Method::POST,
            &format!("/api/v1/accounts/{}/endorse", bob.id),
            None,
        )
        .await;
        assert_eq!(status, 422, "{body}");
        follow(&ana, &bob).await;
        follow(&ana, &cat).await;
        let rel = ana
            .post(&format!("/api/v1/accounts/{}/endorse", bob.id), json!({}))
            .await;
        assert_eq!(rel["endorsed"], true);
        // The older `pin` does the same.
        let rel = ana
            .post(&format!("/api/v1/accounts/{}/pin", cat.id), json!({}))
            .await;
        assert_eq!(rel["endorsed"], true);
        assert_eq!(relationship(&ana, &cat).await["endorsed"], true);
        assert_eq!(relationship(&bob, &ana).await["endorsed"], false);
        let list = ana.json("/api/v1/endorsements").await;
        assert_eq!(ids(&list), [cat.id.clone(), bob.id.clone()]);
        // Paged with a Link header, as other account lists.
        let res = ana.get("/api/v1/endorsements?limit=1").await;
        let link = res.headers()["link"].to_str().unwrap().to_owned();
        assert!(link.contains("max_id="), "{link}");
        assert_eq!(ids(&res.json::<Value>().await.unwrap()), [cat.id.as_str()]);
        // Anyone may see whom someone features.
        let public: Value = client()
            .get(i.url(&format!("/api/v1/accounts/{}/endorsements", ana.id)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(ids(&public), [cat.id.clone(), bob.id.clone()]);

        // Unendorse (and `unpin`); unfollowing and blocks end an endorsement too.
        let rel = ana
            .post(&format!("/api/v1/accounts/{}/unpin", cat.id), json!({}))
            .await;
        assert_eq!(rel["endorsed"], false);
        ana.post(&format!("/api/v1/accounts/{}/unfollow", bob.id), json!({}))
            .await;
        assert_eq!(relationship(&ana, &bob).await["endorsed"], false);
        assert!(ids(&ana.json("/api/v1/endorsements").await).is_empty());
        follow(&ana, &cat).await;
        ana.post(&format!("/api/v1/accounts/{}/endorse", cat.id), json!({}))
            .await;
        cat.post(&format!("/api/v1/accounts/{}/block", ana.id), json!({}))
            .await;
        assert_eq!(relationship(&ana, &cat).await["endorsed"], false);
        let rel = ana
            .post(&format!("/api/v1/accounts/{}/unendorse", cat.id), json!({}))
            .await;
        assert_eq!(rel["endorsed"], false);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn featured_tags_and_preferences() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        for text in [
            "#Tea time",
            "more #tea",
            "#coffee too",
            "#coffee again",
            "#cake",
        ] {
            ana.post("/api/v1/statuses", json!({"status": text})).await;
        }
        ana.post(
            "/api/v1/statuses",
            json!({"status": "secret #tea", "visibility": "private"}),
        )
        .await;

        // Featuring: normalized, counted (public and unlisted posts), idempotent.
        let tag = ana
            .post("/api/v1/featured_tags", json!({"name": "#Tea"}))
            .await;
        assert_eq!(tag["name"], "tea");
        assert_eq!(tag["statuses_count"], "2");
        let today = chrono::Utc::now().date_naive().to_string();
        assert_eq!(tag["last_status_at"], today.as_str());
        let again = ana
            .post("/api/v1/featured_tags", json!({"name": "tea"}))
            .await;
        assert_eq!(again["id"], tag["id"]);
        let (status, _) = call(
            &ana,
            Method::POST,
            "/api/v1/featured_tags",
            Some(json!({"name": "!!"})),
        )
        .await;
        assert_eq!(status, 422);
        // Suggestions: one's most used tags not featured yet.
        let suggested = ana.json("/api/v1/featured_tags/suggestions").await;
        let names: Vec<&str> = suggested
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["coffee", "cake"]);
        // `tags/:name/feature` and `unfeature` (Mastodon 4.4) answer the tag.
        let coffee = ana.post("/api/v1/tags/Coffee/feature", json!({})).await;
        assert_eq!(coffee["featuring"], true);
        assert_eq!(ana.json("/api/v1/tags/coffee").await["featuring"], true);
        let mine = ana.json("/api/v1/featured_tags").await;
        assert_eq!(mine.as_array().unwrap().len(), 2);
        assert_eq!(mine[1]["statuses_count"], "2");
        let theirs = bob
            .json(&format!("/api/v1/accounts/{}/featured_tags", ana.id))
            .await;
        assert_eq!(theirs, mine);
        let coffee = ana.post("/api/v1/tags/coffee/unfeature", json!({})).await;
        assert_eq!(coffee["featuring"], false);
        // At most ten.
        for n in 0..9 {
            ana.post("/api/v1/featured_tags", json!({"name": format!("t{n}")}))
                .await;
        }
        let (status, body) = call(
            &ana,
            Method::POST,
            "/api/v1/featured_tags",
            Some(json!({"name": "one_too_many"})),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        // Deleting: one's own only (404 otherwise), once.
        let id = tag["id"].as_str().unwrap();
        let path = format!("/api/v1/featured_tags/{id}");
        assert_eq!(bob.status_code(Method::DELETE, &path).await, 404);
        assert_eq!(ana.status_code(Method::DELETE, &path).await, 200);
        assert_eq!(ana.status_code(Method::DELETE, &path).await, 404);
        assert_eq!(
            ana.json("/api/v1/featured_tags")
                .await
                .as_array()
                .unwrap()
                .len(),
            9
        );
        // The actor names its featured tags collection, as Mastodon's does.
        let activity_json = |url: String| async move {
            client()
                .get(url)
                .header("accept", "application/activity+json")
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        };
        let actor = activity_json(i.url("/users/ana")).await;
        let collection = actor["featuredTags"].as_str().unwrap().to_owned();
        assert!(actor["@context"].to_string().contains("toot:featuredTags"));
        let tags = activity_json(collection).await;
        assert_eq!(tags["type"], "Collection");
        assert_eq!(tags["totalItems"], 9);
        assert_eq!(tags["items"][0]["type"], "Hashtag");
        assert!(tags["items"][0]["name"].as_str().unwrap().starts_with('#'));

        // Preferences: the defaults, then set through `source[…]`.
        let prefs = ana.json("/api/v1/preferences").await;
        assert_eq!(prefs["posting:default:visibility"], "public");
        assert_eq!(prefs["posting:default:sensitive"], false);
        assert_eq!(prefs["reading:expand:media"], "default");
        let (status, me) = call_form(
            &ana,
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            "source[privacy]=unlisted&source[sensitive]=1&source[language]=de",
        )
        .await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["source"]["privacy"], "unlisted");
        assert_eq!(me["source"]["sensitive"], true);
        assert_eq!(me["source"]["language"], "de");
        let prefs = ana.json("/api/v1/preferences").await;
        assert_eq!(prefs["posting:default:visibility"], "unlisted");
        assert_eq!(prefs["posting:default:sensitive"], true);
        assert_eq!(prefs["posting:default:language"], "de");
        // Invalid values are 422 and change nothing.
        for form in [
            "source[privacy]=direct",
            "source[privacy]=everyone",
            "source[language]=zz",
        ] {
            let (status, body) = call_form(
                &ana,
                Method::PATCH,
                "/api/v1/accounts/update_credentials",
                form,
            )
            .await;
            assert_eq!(status, 422, "{form}: {body}");
        }
        let (status, _) = call(
            &ana,
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(json!({"source": {"privacy": "private", "language": "xx-invalid-"}})),
        )
        .await;
        assert_eq!(status, 422);
        let me = ana.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["source"]["privacy"], "unlisted");
        // A post that does not say takes the defaults; one that says keeps its own.
        let post = ana
            .post("/api/v1/statuses", json!({"status": "defaults"}))
            .await;
        assert_eq!(post["visibility"], "unlisted");
        assert_eq!(post["sensitive"], true);
        assert_eq!(post["language"], "de");
        let post = ana
            .post(
                "/api/v1/statuses",
                json!({"status": "mine", "visibility": "public", "sensitive": false, "language": "en"}),
            )
            .await;
        assert_eq!(post["visibility"], "public");
        assert_eq!(post["sensitive"], false);
        assert_eq!(post["language"], "en");

        // The instance says what the caps are.
        let instance = ana.json("/api/v2/instance").await;
        let accounts = &instance["configuration"]["accounts"];
        assert_eq!(accounts["max_profile_fields"], 4);
        assert_eq!(accounts["max_featured_tags"], 10);
    });
}

/// PATCHes update_credentials with a form body.
async fn update_form(u: &User, form: &str) -> (u16, Value) {
    call_form(
        u,
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        form,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_fields_in_every_form() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        // Rails' indexed form, as Mastodon's web and most apps send it.
        let (status, me) = update_form(
            &ana,
            "fields_attributes[0][name]=Site&fields_attributes[0][value]=https%3A%2F%2Fexample.com%2Fana\
             &fields_attributes[1][name]=Pronouns&fields_attributes[1][value]=she%2Fher%20%3Cb%3E\
             &fields_attributes[2][name]=&fields_attributes[2][value]=",
        )
        .await;
        assert_eq!(status, 200, "{me}");
        let fields = me["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 2, "{me}");
        assert_eq!(fields[0]["name"], "Site");
        let site = fields[0]["value"].as_str().unwrap();
        assert!(site.contains("href=\"https://example.com/ana\""), "{site}");
        assert!(site.contains("rel=\"nofollow noopener me\""), "{site}");
        assert_eq!(fields[1]["value"], "she/her &lt;b&gt;");
        assert_eq!(
            me["source"]["fields"][0]["value"],
            "https://example.com/ana"
        );
        assert_eq!(me["source"]["fields"][1]["value"], "she/her <b>");
        let shown = ana.json(&format!("/api/v1/accounts/{}", ana.id)).await;
        assert_eq!(shown["fields"], me["fields"]);

        // The actor document carries them as PropertyValues.
        let actor: Value = client()
            .get(i.url("/users/ana"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(actor["attachment"][0]["type"], "PropertyValue");
        assert_eq!(actor["attachment"][0]["name"], "Site");
        assert_eq!(actor["attachment"][1]["value"], "she/her &lt;b&gt;");
        let context = actor["@context"].to_string();
        assert!(context.contains("schema:PropertyValue"), "{context}");
        assert!(context.contains("schema:value"), "{context}");
        // And so does the public profile page.
        let page = client()
            .get(i.url("/@ana"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("<dt>Site</dt>"), "{page}");
        assert!(page.contains("href=\"https://example.com/ana\""), "{page}");
        assert!(page.contains("she/her &lt;b&gt;"), "{page}");

        // JSON: an array, or an object keyed by index.
        let (status, me) = call(
            &ana,
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(json!({"fields_attributes": [{"name": "A", "value": "1"}]})),
        )
        .await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["fields"].as_array().unwrap().len(), 1);
        let (status, me) = call(
            &ana,
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(json!({"fields_attributes": {
                "1": {"name": "B", "value": "2"}, "0": {"name": "A", "value": "1"}
            }})),
        )
        .await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["fields"][0]["name"], "A");
        assert_eq!(me["fields"][1]["name"], "B");

        // Refusals (422), each leaving the fields as they were.
        let five: Vec<Value> = (0..5)
            .map(|n| json!({"name": format!("n{n}"), "value": "v"}))
            .collect();
        for bad in [
            json!(five),
            json!([{"name": "n".repeat(256), "value": "v"}]),
            json!([{"name": "n", "value": "v".repeat(2_048)}]),
            json!([{"name": "", "value": "nameless"}]),
            json!("fields"),
            json!([{"name": 5, "value": "v"}]),
        ] {
            let (status, body) = call(
                &ana,
                Method::PATCH,
                "/api/v1/accounts/update_credentials",
                Some(json!({ "fields_attributes": bad })),
            )
            .await;
            assert_eq!(status, 422, "{body}");
        }
        let me = ana.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["fields"].as_array().unwrap().len(), 2);
        // The longest allowed are kept; blank ones clear.
        let (status, me) = call(
            &ana,
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(json!({"fields_attributes": [{"name": "n".repeat(255), "value": "v".repeat(2_047)}]})),
        )
        .await;
        assert_eq!(status, 200, "{me}");
        assert_eq!(
            me["source"]["fields"][0]["value"].as_str().unwrap().len(),
            2_047
        );
        let (status, me) = update_form(
            &ana,
            "fields_attributes[0][name]=&fields_attributes[0][value]=",
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(me["fields"], json!([]));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_fields_reach_another_kith() {
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
    let bo_at_a = ana.resolve(&format!("@bo@{}", b.domain)).await;
    ana.post(&format!("/api/v1/accounts/{bo_at_a}/follow"), json!({}))
        .await;
    eventually("bo accepts", || async {
        let rel = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        (rel[0]["following"] == true).then_some(())
    })
    .await;
    let (status, me) = update_form(
        &bo,
        "fields_attributes[0][name]=Site&fields_attributes[0][value]=https%3A%2F%2Fbo.example%2F\
         &fields_attributes[1][name]=Tools&fields_attributes[1][value]=hammer",
    )
    .await;
    assert_eq!(status, 200, "{me}");
    // The Update(Person) carries them; ana's server shows them, sanitized but with the link.
    let fields = eventually("fields arrive", || async {
        let acct = ana.json(&format!("/api/v1/accounts/{bo_at_a}")).await;
        (acct["fields"].as_array().unwrap().len() == 2).then(|| acct["fields"].clone())
    })
    .await;
    assert_eq!(fields[0]["name"], "Site");
    assert!(
        fields[0]["value"]
            .as_str()
            .unwrap()
            .contains("href=\"https://bo.example/\""),
        "{fields}"
    );
    assert_eq!(fields[1]["value"], "hammer");
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_actor_fields_are_capped_and_sanitized() {
    on_each_backend!(async |i: &Instance| {
        let fake = Fake::start().await;
        let k = key();
        let eve = format!("{}/users/eve", fake.base);
        let eve_key = format!("{eve}#main-key");
        let mut doc = actor_doc(&eve, &eve_key, &k.public_pem);
        let mut attachment: Vec<Value> = (0..100)
            .map(|n| {
                json!({
                    "type": "PropertyValue",
                    "name": format!("field {n} {}\u{0}", "N".repeat(400)),
                    "value": format!(
                        "<script>alert({n})</script><a href=\"javascript:alert(1)\" onclick=\"x()\">click</a>{}",
                        "&".repeat(5_000)
                    ),
                })
            })
            .collect();
        attachment.insert(
            0,
            json!({"type": "Image", "url": "https://x.example/a.png"}),
        );
        attachment.insert(
            1,
            json!({"type": "PropertyValue", "name": {"not": "text"}, "value": "v"}),
        );
        doc["attachment"] = json!(attachment);
        fake.serve(&eve, doc.clone());
        let update = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{eve}#updates/1"), "type": "Update", "actor": eve,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": doc,
        });
        let code = post_signed(
            &i.url("/inbox"),
            update.to_string().as_bytes(),
            &eve_key,
            &k,
            Spoil::None,
        )
        .await;
        assert!(code == 200 || code == 202, "Update(Person): {code}");
        let ana = User::new(i, "ana").await;
        let host = fake.base.trim_start_matches("http://").to_owned();
        let account = ana
            .json(&format!("/api/v1/accounts/lookup?acct=eve@{host}"))
            .await;
        let fields = account["fields"].as_array().unwrap();
        assert_eq!(
            fields.len(),
            kith_core::limits::MAX_REMOTE_PROFILE_FIELDS,
            "{account}"
        );
        assert!(fields[0]["name"].as_str().unwrap().starts_with("field 0 "));
        for f in fields {
            let name = f["name"].as_str().unwrap();
            let value = f["value"].as_str().unwrap();
            assert!(name.chars().count() <= 255, "{name}");
            assert!(!name.contains('\0'));
            assert!(value.chars().count() <= 2_047, "{}", value.len());
            assert!(
                !value.contains("<script") && !value.contains("javascript:"),
                "{value}"
            );
            assert!(!value.contains("onclick"), "{value}");
            assert!(value.contains(">click</a>"), "{value}");
        }
        fake.stop().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_links_are_verified_in_the_background() {
    on_each_backend!(async |i: &Instance| {
        let fake = Fake::start().await;
        let ana = User::new(i, "ana").await;
        let profile = i.url("/@ana");
        // A page that links back with rel=me, one that links back without it, and none.
        let good = format!("{}/good", fake.base);
        let plain = format!("{}/plain", fake.base);
        let missing = format!("{}/missing", fake.base);
        fake.serve(
            &good,
            json!(format!("<p><a rel=me href={profile}>me</a></p>")),
        );
        fake.serve(&plain, json!(format!("<p><a href={profile}>me</a></p>")));
        let form = format!(
            "fields_attributes[0][name]=Good&fields_attributes[0][value]={}\
             &fields_attributes[1][name]=Plain&fields_attributes[1][value]={}\
             &fields_attributes[2][name]=Missing&fields_attributes[2][value]={}\
             &fields_attributes[3][name]=Text&fields_attributes[3][value]=hello",
            crate::rig::urlencode(&good),
            crate::rig::urlencode(&plain),
            crate::rig::urlencode(&missing),
        );
        let (status, me) = update_form(&ana, &form).await;
        assert_eq!(status, 200, "{me}");
        // The answer does not wait for the check.
        assert!(me["fields"][0]["verified_at"].is_null(), "{me}");
        let fields = eventually("the link is verified", || async {
            let me = ana.json("/api/v1/accounts/verify_credentials").await;
            me["fields"][0]["verified_at"]
                .is_string()
                .then(|| me["fields"].clone())
        })
        .await;
        for n in 1..4 {
            assert!(fields[n]["verified_at"].is_null(), "{fields}");
        }
        assert!(fields[0]["value"].as_str().unwrap().contains(&good));
        let page = client()
            .get(i.url("/@ana"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page.matches("class=\"verified\"").count(), 1, "{page}");
        fake.stop().await;
    });
}
