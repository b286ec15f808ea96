//! The public web pages as an anonymous browser sees them: the home page, profiles (local
//! and remote), threads and tags show public posts (unlisted ones only on their author's
//! profile and their own page), never followers-only or direct ones, nothing of suspended
//! accounts or silenced domains, hostile names and remote HTML only escaped or sanitized,
//! with Open Graph tags, `link rel=alternate`, content negotiation and a script-free CSP;
//! custom emoji (local ones, and a remote post's or account's own) shown as small pictures.

use crate::custom_emojis::image;
use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use image::ImageFormat;
use kith_core::accounts::Role;
use kith_core::moderation::Staff;
use kith_storage::{statuses, OptionalExt};
use serde_json::{json, Value};

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const ACTIVITY: &str = "application/activity+json";

/// An answer: status, headers, body.
struct Got {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn get(i: &Instance, path: &str, accept: &str) -> Got {
    let res = client()
        .get(i.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    Got {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

/// A page that must be there: 200, HTML, no script anywhere, and the CSP that forbids it.
async fn page(i: &Instance, path: &str) -> String {
    let got = get(i, path, BROWSER).await;
    assert_eq!(got.status, 200, "{path}: {}", got.body);
    let header = |name: &str| {
        got.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(header("content-type").starts_with("text/html"), "{path}");
    assert_eq!(header("vary"), "Accept", "{path}");
    let csp = header("content-security-policy");
    assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    assert!(!csp.contains("script-src"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    let lower = got.body.to_lowercase();
    assert!(!lower.contains("<script"), "{path}: {}", got.body);
    assert!(!lower.contains("javascript:"), "{path}: {}", got.body);
    // No element carries an event handler (escaped text, attribute values included, may
    // say `onerror=`): look at attribute names only, outside quoted values.
    for element in lower.split('<').skip(1) {
        let head = element.split('>').next().unwrap_or_default();
        let names: String = head.split('"').step_by(2).collect();
        assert!(!names.contains("onerror"), "{path}: <{head}>");
    }
    got.body
}

/// The page from `<main` on, past the head's titles and descriptions.
fn main_part(body: &str) -> &str {
    &body[body.find("<main").unwrap()..]
}

/// A page that must not be there for anyone without an account.
async fn absent(i: &Instance, path: &str) {
    let got = get(i, path, BROWSER).await;
    assert!(
        got.status == 404 || got.status == 410,
        "{path}: {} {}",
        got.status,
        got.body
    );
    assert!(got.body.contains("Not found"), "{path}: {}", got.body);
}

async fn patch_display_name(i: &Instance, user: &User, name: &str) {
    let res = client()
        .patch(i.url("/api/v1/accounts/update_credentials"))
        .bearer_auth(&user.token)
        .json(&json!({ "display_name": name }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn post(user: &User, text: &str, visibility: &str, reply_to: Option<&Value>) -> Value {
    let mut body = json!({ "status": text, "visibility": visibility });
    if let Some(parent) = reply_to {
        body["in_reply_to_id"] = parent["id"].clone();
    }
    user.post("/api/v1/statuses", body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_pages_show_only_what_anyone_may_see() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bo = User::new(i, "bo").await;
        patch_display_name(i, &ana, "<script>alert(1)</script>").await;

        let hello = post(
            &ana,
            "hello world #KithTest <img src=x onerror=alert(2)>",
            "public",
            None,
        )
        .await;
        post(&ana, "quiet unlisted #kithtest", "unlisted", None).await;
        post(&ana, "secret for followers #kithtest", "private", None).await;
        post(&ana, "secret direct #kithtest", "direct", None).await;
        let reply = post(&bo, "a public reply", "public", Some(&hello)).await;
        post(&bo, "a private reply", "private", Some(&hello)).await;
        let nested = post(&ana, "an answer to the reply", "unlisted", Some(&reply)).await;
        let hello_id = hello["id"].as_str().unwrap();
        bo.post(&format!("/api/v1/statuses/{hello_id}/reblog"), json!({}))
            .await;

        // Home: the local public posts, never unlisted, followers-only or direct ones.
        let home = page(i, "/").await;
        assert!(home.contains("hello world"), "{home}");
        assert!(home.contains("a public reply"), "{home}");
        for hidden in ["quiet unlisted", "secret", "a private reply", "an answer"] {
            assert!(!home.contains(hidden), "{hidden} on the home page: {home}");
        }
        // Hostile names and text are shown, escaped, never run.
        assert!(
            home.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{home}"
        );
        assert!(
            home.contains("&lt;img src=x onerror=alert(2)&gt;"),
            "{home}"
        );
        assert!(home.contains("Kith test"), "{home}");
        assert!(home.contains("property=\"og:title\""), "{home}");
        assert!(home.contains(&i.url("/tags/kithtest")), "{home}");

        // A profile: public and unlisted posts, with the Open Graph tags and the actor link.
        let profile = page(i, "/@ana").await;
        for shown in ["hello world", "quiet unlisted", "an answer to the reply"] {
            assert!(profile.contains(shown), "{shown}: {profile}");
        }
        assert!(!profile.contains("secret"), "{profile}");
        assert!(profile.contains("property=\"og:type\" content=\"profile\""));
        let actor = i.url("/users/ana");
        assert!(
            profile.contains(&format!(
                "<link rel=\"alternate\" type=\"application/activity+json\" href=\"{actor}\">"
            )),
            "{profile}"
        );
        assert!(profile.contains(&format!("@ana@{}", i.domain)), "{profile}");
        // A boost shows on the booster's profile, as the boosted post.
        let bo_profile = page(i, "/@bo").await;
        assert!(bo_profile.contains("boosted"), "{bo_profile}");
        assert!(bo_profile.contains("hello world"), "{bo_profile}");
        assert!(bo_profile.contains("a public reply"), "{bo_profile}");
        assert!(!bo_profile.contains("a private reply"), "{bo_profile}");

        // A thread: the post, its public and unlisted replies, never the private one.
        let thread = page(i, &format!("/@ana/{hello_id}")).await;
        for shown in ["hello world", "a public reply", "an answer to the reply"] {
            assert!(thread.contains(shown), "{shown}: {thread}");
        }
        assert!(!thread.contains("a private reply"), "{thread}");
        assert!(thread.contains("property=\"og:type\" content=\"article\""));
        let uri = hello["uri"].as_str().unwrap();
        assert!(thread.contains(&format!("href=\"{uri}\"")), "{thread}");
        // Replies follow their parents: the nested answer comes after the reply it answers.
        let body = main_part(&thread);
        let at = |s: &str| body.find(s).unwrap();
        assert!(at("hello world") < at("a public reply"));
        assert!(at("a public reply") < at("an answer to the reply"));
        // From a reply's page, the thread above it shows too.
        let nested_id = nested["id"].as_str().unwrap();
        let below = page(i, &format!("/@ana/{nested_id}")).await;
        assert!(below.contains("hello world") && below.contains("a public reply"));
        let body = main_part(&below);
        assert!(body.find("hello world").unwrap() < body.find("an answer").unwrap());

        // A tag: public posts only, whatever the case of the tag in the address.
        for path in ["/tags/kithtest", "/tags/KithTest"] {
            let tag = page(i, path).await;
            assert!(tag.contains("hello world"), "{tag}");
            assert!(!tag.contains("quiet unlisted"), "{tag}");
            assert!(!tag.contains("secret"), "{tag}");
        }
        let empty = page(i, "/tags/nothingtagged").await;
        assert!(empty.contains("No public posts here yet"), "{empty}");
        absent(i, "/tags/no%20such%20tag").await;

        // Content negotiation: ActivityPub clients get the actor and the Note.
        let got = get(i, "/@ana", ACTIVITY).await;
        assert_eq!(got.status, 302);
        assert_eq!(got.headers["location"].to_str().unwrap(), actor);
        let got = get(i, &format!("/@ana/{hello_id}"), ACTIVITY).await;
        assert_eq!(got.status, 200);
        let note: Value = serde_json::from_str(&got.body).unwrap();
        assert_eq!(note["id"], uri);

        // Nothing else has a page; a private post's address is the 404 page.
        let private = post(&ana, "another secret", "private", None).await;
        absent(i, &format!("/@ana/{}", private["id"].as_str().unwrap())).await;
        absent(i, "/@nobody").await;
        absent(i, "/@nobody@elsewhere.example").await;

        // A suspended account disappears from every page.
        let modo = User::with_role(
            i,
            "modo",
            Role::Moderator,
            "read write admin:read admin:write",
        )
        .await;
        modo.post(
            &format!("/api/v1/admin/accounts/{}/action", bo.id),
            json!({"type": "suspend"}),
        )
        .await;
        absent(i, "/@bo").await;
        absent(i, &format!("/@bo/{}", reply["id"].as_str().unwrap())).await;
        let home = page(i, "/").await;
        assert!(!home.contains("a public reply"), "{home}");
        let thread = page(i, &format!("/@ana/{hello_id}")).await;
        assert!(!thread.contains("a public reply"), "{thread}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paged_from_newest_to_oldest() {
    on_each_backend!(async |i: &Instance| {
        let cy = User::new(i, "cy").await;
        let mut ids = Vec::new();
        for n in 0..23 {
            let s = post(&cy, &format!("numbered post {n:02} #paged"), "public", None).await;
            ids.push(s["id"].as_str().unwrap().to_owned());
        }
        for path in ["/", "/@cy", "/tags/paged"] {
            let first = page(i, path).await;
            assert!(first.contains("numbered post 22"), "{path}");
            assert!(first.contains("numbered post 03"), "{path}");
            assert!(!first.contains("numbered post 02"), "{path}");
            let older = format!("{path}?max_id={}", ids[3]);
            assert!(
                first.contains(&format!("href=\"{older}\" rel=\"next\"")),
                "{path}: {first}"
            );
            let second = page(i, &older).await;
            for n in 0..3 {
                assert!(second.contains(&format!("numbered post {n:02}")), "{path}");
            }
            assert!(!second.contains("numbered post 03"), "{path}");
            assert!(!second.contains("rel=\"next\""), "{path}: the last page");
            assert!(
                second.contains(&format!("href=\"{path}\">Newest")),
                "{path}"
            );
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_people_and_posts_have_pages_with_their_html_sanitized() {
    on_each_backend!(async |i: &Instance| {
        let fake = Fake::start().await;
        let key = key();
        let actor = format!("{}/users/eve", fake.base);
        let key_id = format!("{actor}#main-key");
        let mut doc = actor_doc(&actor, &key_id, &key.public_pem);
        doc["name"] = json!("<img src=x onerror=alert(3)>Eve");
        doc["summary"] = json!("<p>bio<script>alert(4)</script></p>");
        doc["url"] = json!("javascript:alert(5)");
        // Custom emoji on the actor's name and on the post: shown as pictures by their own
        // (escaped) URL; a `javascript:` one stays text.
        let blob = "https://cdn.example/blob.png?a=1&b=<i>\"";
        let emoji = |code: &str, url: &str| {
            json!({"type": "Emoji", "name": format!(":{code}:"),
                   "icon": {"type": "Image", "mediaType": "image/png", "url": url}})
        };
        doc["name"] = json!("<img src=x onerror=alert(3)>Eve :blob:");
        doc["tag"] = json!([emoji("blob", blob), emoji("js", "javascript:alert(9)")]);
        fake.serve(&actor, doc);
        let note_id = format!("{}/notes/1", fake.base);
        let public = "https://www.w3.org/ns/activitystreams#Public";
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{note_id}/activity"), "type": "Create", "actor": actor, "to": [public],
            "object": {
                "id": note_id, "type": "Note", "attributedTo": actor, "to": [public],
                "url": "javascript:alert(6)",
                "content": "<p>remote hello<script>alert(7)</script> <a href=\"javascript:alert(8)\">link</a> <a href=\"https://example.com/tags/kithtest\" class=\"hashtag\">#kithtest</a> :blob: :js: <a href=\"https://example.com/:blob:\" title=\":blob:\">x</a></p>",
                "tag": [{"type": "Hashtag", "name": "#kithtest", "href": "https://example.com/tags/kithtest"},
                        emoji("blob", blob), emoji("js", "javascript:alert(10)")],
            }
        });
        let body = create.to_string();
        let code = post_signed(
            &i.url("/inbox"),
            body.as_bytes(),
            &key_id,
            &key,
            Spoil::None,
        )
        .await;
        assert_eq!(code, 202);
        let ap_id = note_id.clone();
        let stored = i
            .context
            .db
            .read(move |c| statuses::by_ap_id(c, &ap_id).optional())
            .await
            .unwrap()
            .expect("the remote post is stored");
        let remote_domain = fake.base.trim_start_matches("http://").to_owned();

        let profile_path = format!("/@eve@{remote_domain}");
        let profile = page(i, &profile_path).await;
        assert!(
            profile.contains("&#60;img src=x onerror=alert(3)&#62;Eve"),
            "{profile}"
        );
        assert!(profile.contains("remote hello"), "{profile}");
        assert!(profile.contains("bio"), "{profile}");
        assert!(
            profile.contains(&format!("href=\"{actor}\"")),
            "the actor is the alternate: {profile}"
        );
        let thread_path = format!("{profile_path}/{}", stored.id);
        let thread = page(i, &thread_path).await;
        assert!(thread.contains("remote hello"), "{thread}");
        let tag = page(i, "/tags/kithtest").await;
        assert!(tag.contains("remote hello"), "{tag}");
        let blob_img =
            "<img class=\"emoji\" src=\"https://cdn.example/blob.png?a=1&amp;b=%3Ci%3E%22\" \
                        alt=\":blob:\" title=\":blob:\" loading=\"lazy\">";
        for (what, body) in [("profile", &profile), ("thread", &thread), ("tag", &tag)] {
            let main = main_part(body);
            // The name's emoji, after its escaped text, and the post's.
            assert!(
                main.contains(&format!("onerror=alert(3)&gt;Eve {blob_img}")),
                "{what}: {main}"
            );
            assert!(main.contains(&format!("{blob_img} :js:")), "{what}: {main}");
            // Never inside a tag or an attribute value.
            assert!(
                main.contains("href=\"https://example.com/:blob:\""),
                "{what}: {main}"
            );
            assert!(
                !main.contains("alert(9)") && !main.contains("alert(10)"),
                "{what}"
            );
        }
        let link = format!("href=\"{}\"", i.url(&thread_path));
        assert!(tag.contains(&link), "{tag}");

        // ActivityPub clients are sent to the remote originals.
        let got = get(i, &thread_path, ACTIVITY).await;
        assert_eq!(got.status, 302);
        assert_eq!(got.headers["location"].to_str().unwrap(), note_id);
        let got = get(i, &profile_path, ACTIVITY).await;
        assert_eq!(got.status, 302);
        assert_eq!(got.headers["location"].to_str().unwrap(), actor);

        // A silenced server's people and posts leave the public pages.
        let modo = User::with_role(
            i,
            "modo",
            Role::Moderator,
            "read write admin:read admin:write",
        )
        .await;
        modo.post(
            "/api/v1/admin/domain_blocks",
            json!({"domain": remote_domain, "severity": "silence"}),
        )
        .await;
        absent(i, &profile_path).await;
        absent(i, &thread_path).await;
        let tag = page(i, "/tags/kithtest").await;
        assert!(!tag.contains("remote hello"), "{tag}");
        fake.stop().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_custom_emoji_show_as_pictures() {
    on_each_backend!(async |i: &Instance| {
        let root = User::with_role(i, "root", Role::Admin, "read write").await;
        let staff = Staff::new(root.id.parse().unwrap(), Some(Role::Admin)).unwrap();
        let media = i.context.media.clone();
        let e = kith_core::custom_emojis::add(
            &i.context.db,
            media.as_ref(),
            staff,
            "kith_tea",
            image(ImageFormat::Png),
            None,
        )
        .await
        .unwrap();
        let tea_url = i.url(&format!("/{}", e.storage_key));
        let img = format!(
            "<img class=\"emoji\" src=\"{tea_url}\" alt=\":kith_tea:\" title=\":kith_tea:\" \
             loading=\"lazy\">"
        );

        let ana = User::new(i, "ana").await;
        patch_display_name(i, &ana, "Ana :kith_tea: <b>\"x\"</b>").await;
        let status = ana
            .post(
                "/api/v1/statuses",
                json!({"status": "tea :kith_tea: :unknown: #teatime \"><i>",
                       "spoiler_text": "hot :kith_tea:", "visibility": "public"}),
            )
            .await;
        let id = status["id"].as_str().unwrap();

        let profile = page(i, "/@ana").await;
        let post_page = page(i, &format!("/@ana/{id}")).await;
        let tag = page(i, "/tags/teatime").await;
        let home = page(i, "/").await;
        for (what, body) in [
            ("profile", &profile),
            ("post", &post_page),
            ("tag", &tag),
            ("home", &home),
        ] {
            let main = main_part(body);
            // In the display name (its markup escaped), the content warning and the text.
            assert!(
                main.contains(&format!("Ana {img} &lt;b&gt;&quot;x&quot;&lt;/b&gt;")),
                "{what}: {main}"
            );
            assert!(main.contains(&format!("hot {img}")), "{what}: {main}");
            assert!(
                main.contains(&format!("tea {img} :unknown:")),
                "{what}: {main}"
            );
            // Markup typed in the name or the post stays text.
            assert!(
                !main.contains("<i>") && !main.contains("<b>"),
                "{what}: {main}"
            );
        }
        // The page titles stay plain text.
        assert!(
            post_page.contains("<title>Ana :kith_tea: &#60;b&#62;"),
            "{post_page}"
        );
        // Their size is the style sheet's.
        let css = get(i, "/static/kith.css", "text/css").await;
        assert!(css.body.contains("img.emoji {"), "{}", css.body);
    });
}
