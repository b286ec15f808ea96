//! The inbox against a hostile or sloppy server: a fake remote server (actix, on loopback)
//! serves actors whose keys the test holds, and the test signs requests itself, so it can
//! send valid, unsigned, wrongly signed, stale, digest-mismatched, oversized and malformed
//! ones. Then the activities of six real server kinds (fixtures) go through the same inbox.

use crate::on_each_backend;
use crate::rig::{client, Instance};
use actix_web::{web, App, HttpResponse, HttpServer};
use base64::Engine;
use kith_storage::testing::TestDatabase;
use kith_storage::{statuses, OptionalExt};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

type Docs = Arc<Mutex<HashMap<String, Value>>>;

/// A remote server that serves whatever documents the test puts in it.
pub struct Fake {
    pub base: String,
    pub docs: Docs,
    handle: actix_web::dev::ServerHandle,
}

impl Fake {
    pub async fn start() -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let docs: Docs = Arc::default();
        let served = docs.clone();
        let server = HttpServer::new(move || {
            let docs = served.clone();
            App::new().default_service(web::to(move |req: actix_web::HttpRequest| {
                let docs = docs.clone();
                async move {
                    let doc = docs.lock().unwrap().get(req.path()).cloned();
                    match doc {
                        Some(d) => HttpResponse::Ok()
                            .content_type("application/activity+json")
                            .body(d.to_string()),
                        None => HttpResponse::NotFound().finish(),
                    }
                }
            }))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Fake {
            base: format!("http://localhost:{port}"),
            docs,
            handle,
        }
    }

    pub fn serve(&self, url: &str, doc: Value) {
        let path = url::Url::parse(url).unwrap().path().to_owned();
        self.docs.lock().unwrap().insert(path, doc);
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

pub struct Key {
    private: RsaPrivateKey,
    pub public_pem: String,
}

pub fn key() -> Key {
    let pair = kith_core::keys::generate_rsa_2048().unwrap();
    let private = RsaPrivateKey::from_pkcs8_pem(&pair.private_pem).unwrap();
    let public_pem = rsa::RsaPublicKey::from(&private)
        .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
        .unwrap();
    Key {
        private,
        public_pem,
    }
}

pub fn actor_doc(id: &str, key_id: &str, pem: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id, "type": "Person", "preferredUsername": id.rsplit('/').next().unwrap(),
        "inbox": format!("{id}/inbox"), "outbox": format!("{id}/outbox"), "followers": format!("{id}/followers"),
        "publicKey": { "id": key_id, "owner": id, "publicKeyPem": pem }
    })
}

/// How to spoil a signed request.
#[derive(Clone, Copy, PartialEq)]
pub enum Spoil {
    None,
    Unsigned,
    StaleDate,
    DigestMismatch,
}

/// POSTs `body` to `inbox`, signed draft-cavage style with `key` as `key_id`.
pub async fn post_signed(inbox: &str, body: &[u8], key_id: &str, key: &Key, spoil: Spoil) -> u16 {
    let url = url::Url::parse(inbox).unwrap();
    let host = url.authority().to_owned();
    let when = if spoil == Spoil::StaleDate {
        chrono::Utc::now() - chrono::Duration::hours(13)
    } else {
        chrono::Utc::now()
    };
    let date = when.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let digest = format!(
        "SHA-256={}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
    );
    let signing = format!(
        "(request-target): post {}\nhost: {host}\ndate: {date}\ndigest: {digest}",
        url.path()
    );
    let signature = SigningKey::<Sha256>::new(key.private.clone()).sign(signing.as_bytes());
    let header = format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
    );
    let mut req = client()
        .post(inbox)
        .header("content-type", "application/activity+json")
        .header("date", date);
    if spoil != Spoil::Unsigned {
        req = req.header("signature", header);
    }
    let sent_body = if spoil == Spoil::DigestMismatch {
        [body, b" "].concat()
    } else {
        body.to_vec()
    };
    req.header("digest", digest)
        .body(sent_body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// A signature made at `signed_at` over exactly `covers` (in that order; `(created)` is
/// `signed_at` too), sent with a `Date` header of `sent_at`.
struct Coverage<'a> {
    covers: &'a str,
    signed_at: chrono::DateTime<chrono::Utc>,
    sent_at: chrono::DateTime<chrono::Utc>,
}

/// POSTs `body` to `inbox` with a signature as `coverage` describes.
async fn post_covering(
    inbox: &str,
    body: &[u8],
    key_id: &str,
    key: &Key,
    coverage: Coverage<'_>,
) -> u16 {
    let url = url::Url::parse(inbox).unwrap();
    let http_date =
        |t: chrono::DateTime<chrono::Utc>| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let digest = format!(
        "SHA-256={}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body))
    );
    let created = coverage.signed_at.timestamp();
    let signing = coverage
        .covers
        .split(' ')
        .map(|h| match h {
            "(request-target)" => format!("(request-target): post {}", url.path()),
            "(created)" => format!("(created): {created}"),
            "host" => format!("host: {}", url.authority()),
            "date" => format!("date: {}", http_date(coverage.signed_at)),
            "digest" => format!("digest: {digest}"),
            other => panic!("no value for {other}"),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let signature = SigningKey::<Sha256>::new(key.private.clone()).sign(signing.as_bytes());
    let created = if coverage.covers.contains("(created)") {
        format!("created={created},")
    } else {
        String::new()
    };
    let header = format!(
        "keyId=\"{key_id}\",algorithm=\"hs2019\",{created}headers=\"{}\",signature=\"{}\"",
        coverage.covers,
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
    );
    client()
        .post(inbox)
        .header("content-type", "application/activity+json")
        .header("date", http_date(coverage.sent_at))
        .header("digest", digest)
        .header("signature", header)
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn stored(i: &Instance, ap_id: &str) -> Option<kith_storage::statuses::Status> {
    let ap_id = ap_id.to_owned();
    i.context
        .db
        .read(move |c| statuses::by_ap_id(c, &ap_id).optional())
        .await
        .unwrap()
}

pub fn note(actor: &str, id: &str, content: &str) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"), "type": "Create", "actor": actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": { "id": id, "type": "Note", "attributedTo": actor, "content": content,
                    "to": ["https://www.w3.org/ns/activitystreams#Public"] }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_are_refused_and_change_nothing() {
    on_each_backend!(async |i: &Instance| {
        let fake = Fake::start().await;
        let (k, other) = (key(), key());
        let eve = format!("{}/users/eve", fake.base);
        let eve_key = format!("{eve}#main-key");
        fake.serve(&eve, actor_doc(&eve, &eve_key, &k.public_pem));
        let inbox = i.url("/inbox");
        let body = |n: u32, content: &str| {
            note(&eve, &format!("{}/notes/{n}", fake.base), content)
                .to_string()
                .into_bytes()
        };

        // A good one goes in, once, with its HTML cleaned.
        let good = body(
            1,
            r#"<p>hi <script>alert(1)</script><a href="javascript:x()">x</a><img src=x onerror=alert(1)></p>"#,
        );
        assert_eq!(
            post_signed(&inbox, &good, &eve_key, &k, Spoil::None).await,
            202
        );
        assert_eq!(
            post_signed(&inbox, &good, &eve_key, &k, Spoil::None).await,
            202,
            "a repeat is acknowledged"
        );
        let s = stored(i, &format!("{}/notes/1", fake.base))
            .await
            .expect("stored");
        assert!(
            !s.content.contains("script")
                && !s.content.contains("onerror")
                && !s.content.contains("javascript"),
            "{}",
            s.content
        );
        let author = s.account_id;
        let count = i
            .context
            .db
            .read(move |c| statuses::count_by_account(c, author))
            .await
            .unwrap();
        assert_eq!(count, 1, "a repeated activity is applied once");

        // A replay of an activity already applied changes nothing even once its effect is
        // gone: a post is deleted, then its Create arrives again and must not revive it.
        let gone = body(20, "soon gone");
        let gone_id = format!("{}/notes/20", fake.base);
        assert_eq!(
            post_signed(&inbox, &gone, &eve_key, &k, Spoil::None).await,
            202
        );
        assert!(stored(i, &gone_id).await.is_some());
        let delete = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{gone_id}#delete"), "type": "Delete", "actor": eve,
            "object": { "id": gone_id, "type": "Tombstone" }
        });
        assert_eq!(
            post_signed(
                &inbox,
                delete.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            202
        );
        assert!(stored(i, &gone_id).await.is_none());
        assert_eq!(
            post_signed(&inbox, &gone, &eve_key, &k, Spoil::None).await,
            202,
            "a replay is acknowledged"
        );
        assert!(
            stored(i, &gone_id).await.is_none(),
            "a replayed Create does not bring back a deleted post"
        );

        // Refusals: nothing of them is stored.
        for (n, spoil, key_id, signer, want) in [
            (2, Spoil::Unsigned, eve_key.as_str(), &k, 401),
            (3, Spoil::None, eve_key.as_str(), &other, 401),
            (4, Spoil::StaleDate, eve_key.as_str(), &k, 401),
            (5, Spoil::DigestMismatch, eve_key.as_str(), &k, 401),
        ] {
            assert_eq!(
                post_signed(&inbox, &body(n, "no"), key_id, signer, spoil).await,
                want,
                "case {n}"
            );
            assert!(
                stored(i, &format!("{}/notes/{n}", fake.base))
                    .await
                    .is_none(),
                "case {n} stored"
            );
        }
        // Too big; not JSON; no id; an id on another host than the actor; a local actor.
        let big = vec![b' '; 1024 * 1024 + 10];
        assert_eq!(
            post_signed(&inbox, &big, &eve_key, &k, Spoil::None).await,
            413
        );
        assert_eq!(
            post_signed(&inbox, b"{not json", &eve_key, &k, Spoil::None).await,
            400
        );
        let mut no_id = note(&eve, &format!("{}/notes/6", fake.base), "x");
        no_id.as_object_mut().unwrap().remove("id");
        assert_eq!(
            post_signed(
                &inbox,
                no_id.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            400
        );
        let mut foreign = note(&eve, &format!("{}/notes/7", fake.base), "x");
        foreign["id"] = json!("https://elsewhere.example/activity/7");
        assert_eq!(
            post_signed(
                &inbox,
                foreign.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            400
        );
        let fake_local = note(&i.url("/users/ana"), &i.url("/users/ana/statuses/1"), "x");
        assert_eq!(
            post_signed(
                &inbox,
                fake_local.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            401
        );

        // Spoofing: eve's Create of a note attributed to mallory, or hosted elsewhere.
        let mallory = format!("{}/users/mallory", fake.base);
        fake.serve(
            &mallory,
            actor_doc(&mallory, &format!("{mallory}#main-key"), &other.public_pem),
        );
        let mut spoof = note(&eve, &format!("{}/notes/8", fake.base), "I am mallory");
        spoof["object"]["attributedTo"] = json!(mallory);
        assert_eq!(
            post_signed(
                &inbox,
                spoof.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            400
        );
        let mut elsewhere = note(&eve, &format!("{}/notes/9", fake.base), "x");
        elsewhere["object"]["id"] = json!("https://victim.example/notes/9");
        assert_eq!(
            post_signed(
                &inbox,
                elsewhere.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            400
        );
        // Signed by eve, claiming to be mallory.
        let as_mallory = note(&mallory, &format!("{}/notes/10", fake.base), "x");
        assert_eq!(
            post_signed(
                &inbox,
                as_mallory.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            401
        );
        // Wrong types.
        let mut bad_to = note(&eve, &format!("{}/notes/11", fake.base), "x");
        bad_to["object"]["content"] = json!({"html": 1});
        assert_eq!(
            post_signed(
                &inbox,
                bad_to.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            400
        );
        let mut num_to = note(&eve, &format!("{}/notes/12", fake.base), "fine");
        num_to["object"]["to"] = json!(42);
        num_to["to"] = json!(42);
        let code = post_signed(
            &inbox,
            num_to.to_string().as_bytes(),
            &eve_key,
            &k,
            Spoil::None,
        )
        .await;
        assert!(code == 202 || code == 400, "{code}");
        if let Some(s) = stored(i, &format!("{}/notes/12", fake.base)).await {
            assert_eq!(
                s.visibility, "direct",
                "unreadable addressing is never public"
            );
        }
        for n in [2, 3, 4, 5, 6, 7, 8, 9, 10, 11] {
            assert!(
                stored(i, &format!("{}/notes/{n}", fake.base))
                    .await
                    .is_none(),
                "note {n} stored"
            );
        }
        assert!(stored(i, "https://victim.example/notes/9").await.is_none());
        // Eve cannot delete someone else's post.
        let del = json!({"id": format!("{}/del/1", fake.base), "type": "Delete", "actor": mallory, "object": format!("{}/notes/1", fake.base)});
        assert_eq!(
            post_signed(
                &inbox,
                del.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            401
        );
        assert!(stored(i, &format!("{}/notes/1", fake.base)).await.is_some());
        // Unknown activity types are acknowledged and ignored.
        let odd = json!({"id": format!("{}/odd/1", fake.base), "type": "Arrive", "actor": eve, "object": eve});
        assert_eq!(
            post_signed(
                &inbox,
                odd.to_string().as_bytes(),
                &eve_key,
                &k,
                Spoil::None
            )
            .await,
            202
        );

        // Key rotation: eve's server now serves a new key; the inbox refetches and accepts.
        let rotated = key();
        fake.serve(&eve, actor_doc(&eve, &eve_key, &rotated.public_pem));
        assert_eq!(
            post_signed(
                &inbox,
                &body(13, "new key"),
                &eve_key,
                &rotated,
                Spoil::None
            )
            .await,
            202
        );
        assert!(stored(i, &format!("{}/notes/13", fake.base))
            .await
            .is_some());
        // GoToSocial's key ids end in /main-key.
        let gts = format!("{}/users/gts", fake.base);
        let gts_key = format!("{gts}/main-key");
        fake.serve(&gts, actor_doc(&gts, &gts_key, &k.public_pem));
        let g = note(&gts, &format!("{}/notes/14", fake.base), "from gts");
        assert_eq!(
            post_signed(&inbox, g.to_string().as_bytes(), &gts_key, &k, Spoil::None).await,
            202
        );
        fake.stop().await;
    });
}

/// Loads a fixture family with its hosts rewritten to the fake server and the instance.
fn family(dir: &str, host: &str, fake: &str, kith: &str) -> Vec<(String, Value)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/activitypub")
        .join(dir);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replace(&format!("https://{host}"), fake)
            .replace("https://kith.example", kith);
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((name, serde_json::from_str(&text).unwrap()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The order a conversation happens in.
fn rank(name: &str) -> u32 {
    [
        "follow",
        "create",
        "announce",
        "like",
        "emoji",
        "dislike",
        "update_note",
        "update_person",
        "delete",
        "undo",
        "accept",
    ]
    .iter()
    .position(|p| name.starts_with(p))
    .unwrap_or(99) as u32
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activities_of_six_server_kinds_are_handled() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("bob", "correct horse").await;
        let k = key();
        for (dir, host) in [
            ("mastodon", "mastodon.example"),
            ("gotosocial", "gts.example"),
            ("misskey", "misskey.example"),
            ("akkoma", "akkoma.example"),
            ("lemmy", "lemmy.example"),
            ("pixelfed", "pixelfed.example"),
        ] {
            let fake = Fake::start().await;
            let mut docs = family(dir, host, &fake.base, &i.base);
            // Serve the actors with the test's key, and every post so boosts can be fetched.
            let mut key_ids = HashMap::new();
            for (name, doc) in docs.iter_mut() {
                if name == "actor" || name == "group" {
                    doc["publicKey"]["publicKeyPem"] = json!(k.public_pem);
                    let id = doc["id"].as_str().unwrap().to_owned();
                    key_ids.insert(
                        id.clone(),
                        doc["publicKey"]["id"].as_str().unwrap().to_owned(),
                    );
                    fake.serve(&id, doc.clone());
                }
                if name.starts_with("create") && doc["object"]["id"].is_string() {
                    let mut object = doc["object"].clone();
                    object["@context"] = json!("https://www.w3.org/ns/activitystreams");
                    fake.serve(doc["object"]["id"].as_str().unwrap(), object);
                }
            }
            docs.retain(|(n, _)| n != "actor" && n != "group");
            docs.sort_by_key(|(n, _)| rank(n));
            let mut created = Vec::new();
            for (name, doc) in &docs {
                let actor = doc["actor"].as_str().unwrap();
                let key_id = &key_ids[actor];
                let code = post_signed(
                    &i.url("/inbox"),
                    doc.to_string().as_bytes(),
                    key_id,
                    &k,
                    Spoil::None,
                )
                .await;
                assert_eq!(code, 202, "{dir}/{name}");
                if name.starts_with("create")
                    && NOTE_LIKE.contains(&doc["object"]["type"].as_str().unwrap_or(""))
                {
                    created.push((
                        name.clone(),
                        doc["object"]["id"].as_str().unwrap().to_owned(),
                    ));
                }
                if *name == "follow" && doc["object"] == json!(i.url("/users/bob")) {
                    let bob_followers = i.context.db.read(|c| {
                        let bob = kith_storage::accounts::local_by_username(c, "bob")?;
                        kith_storage::follows::counts(c, bob.id)
                    });
                    assert_eq!(bob_followers.await.unwrap().0, 1, "{dir}: follow recorded");
                }
            }
            assert!(
                !created.is_empty() || dir == "lemmy",
                "{dir}: no post among the fixtures"
            );
            for (name, id) in &created {
                let deleted_later = docs
                    .iter()
                    .any(|(n, d)| n.starts_with("delete") && d.to_string().contains(id.as_str()));
                match stored(i, id).await {
                    Some(s) => {
                        assert!(!deleted_later, "{dir}/{name}: deleted post still stored");
                        assert!(!s.content.contains("<script"), "{dir}/{name}");
                        if name.ends_with("followers_only") {
                            assert_eq!(s.visibility, "private", "{dir}/{name}");
                        }
                        if name.ends_with("direct") {
                            assert_eq!(s.visibility, "direct", "{dir}/{name}");
                        }
                    }
                    None => assert!(deleted_later, "{dir}/{name}: post not stored"),
                }
            }
            // Undo(Follow) ended the follow.
            let followers = i.context.db.read(|c| {
                let bob = kith_storage::accounts::local_by_username(c, "bob")?;
                kith_storage::follows::counts(c, bob.id)
            });
            assert_eq!(followers.await.unwrap().0, 0, "{dir}: undo_follow");
            fake.stop().await;
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_must_cover_the_target_the_host_and_the_time() {
    on_each_backend!(async |i: &Instance| {
        let fake = Fake::start().await;
        let k = key();
        let eve = format!("{}/users/eve", fake.base);
        let eve_key = format!("{eve}#main-key");
        fake.serve(&eve, actor_doc(&eve, &eve_key, &k.public_pem));
        let inbox = i.url("/inbox");
        let now = chrono::Utc::now();
        let hours_ago = now - chrono::Duration::hours(13);
        let cases = [
            // No date: a signature made 13 hours ago, sent with a fresh unsigned Date.
            (1, "(request-target) host digest", hours_ago, 401),
            (2, "(request-target) host digest", now, 401),
            // No (request-target): it could be replayed to another path.
            (3, "host date digest", now, 401),
            // No digest on a POST.
            (4, "(request-target) host date", now, 401),
            // A 13-hours-old signed date under a fresh Date header does not verify.
            (5, "(request-target) host date digest", hours_ago, 401),
            // A 13-hours-old (created).
            (6, "(request-target) (created) host digest", hours_ago, 401),
            // The ordinary shapes.
            (7, "(request-target) host date digest", now, 202),
            (8, "(request-target) (created) host digest", now, 202),
        ];
        for (n, covers, signed_at, want) in cases {
            let id = format!("{}/notes/{n}", fake.base);
            let body = note(&eve, &id, "hello").to_string().into_bytes();
            let coverage = Coverage {
                covers,
                signed_at,
                sent_at: now,
            };
            assert_eq!(
                post_covering(&inbox, &body, &eve_key, &k, coverage).await,
                want,
                "case {n}: {covers}"
            );
            assert_eq!(
                stored(i, &id).await.is_some(),
                want == 202,
                "case {n}: stored or not"
            );
        }
        fake.stop().await;
    });
}

const NOTE_LIKE: &[&str] = &["Note", "Article", "Page", "Question"];

/// GETs `url` signed Mastodon style (`(request-target) host date`).
async fn get_signed(url: &str, key_id: &str, key: &Key) -> u16 {
    let u = url::Url::parse(url).unwrap();
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let signing = format!(
        "(request-target): get {}\nhost: {}\ndate: {date}",
        u.path(),
        u.authority()
    );
    let signature = SigningKey::<Sha256>::new(key.private.clone()).sign(signing.as_bytes());
    let header = format!(
        "keyId=\"{key_id}\",algorithm=\"hs2019\",headers=\"(request-target) host date\",signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(signature.to_bytes())
    );
    client()
        .get(url)
        .header("accept", "application/activity+json")
        .header("date", date)
        .header("signature", header)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorized_fetch_requires_valid_signatures_on_reads() {
    for db in TestDatabase::each_backend() {
        let i = Instance::start_with(&db, |c| c.authorized_fetch = true).await;
        i.create_user("ana", "correct horse").await;
        let fake = Fake::start().await;
        let (k, other) = (key(), key());
        let eve = format!("{}/users/eve", fake.base);
        fake.serve(
            &eve,
            actor_doc(&eve, &format!("{eve}#main-key"), &k.public_pem),
        );
        let gts = format!("{}/users/gts", fake.base);
        fake.serve(
            &gts,
            actor_doc(&gts, &format!("{gts}/main-key"), &k.public_pem),
        );
        let ana = i.url("/users/ana");
        let plain = client()
            .get(&ana)
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 401, "unsigned reads are refused");
        for path in ["/users/ana/outbox", "/users/ana/followers"] {
            let res = client()
                .get(i.url(path))
                .header("accept", "application/activity+json")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{path}");
        }
        // The instance actor stays readable, or nobody could verify our own signed fetches.
        let actor = client()
            .get(i.url("/actor"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(actor.status(), 200);
        // People (browsers) still see the profile page.
        assert_eq!(
            client()
                .get(&ana)
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(get_signed(&ana, &format!("{eve}#main-key"), &k).await, 200);
        assert_eq!(
            get_signed(&ana, &format!("{gts}/main-key"), &k).await,
            200,
            "GoToSocial-style key id"
        );
        assert_eq!(
            get_signed(&ana, &format!("{eve}#main-key"), &other).await,
            401,
            "wrong key"
        );
        assert_eq!(
            get_signed(&i.url("/users/ana/outbox"), &format!("{eve}#main-key"), &k).await,
            200
        );
        fake.stop().await;
        i.stop().await;
    }
    // Without authorized fetch, unsigned reads work, and a bad signature is still refused.
    let db = TestDatabase::sqlite();
    let i = Instance::start(&db).await;
    i.create_user("ana", "correct horse").await;
    let plain = client()
        .get(i.url("/users/ana"))
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    let fake = Fake::start().await;
    let k = key();
    let eve = format!("{}/users/eve", fake.base);
    fake.serve(
        &eve,
        actor_doc(&eve, &format!("{eve}#main-key"), &key().public_pem),
    );
    assert_eq!(
        get_signed(&i.url("/users/ana"), &format!("{eve}#main-key"), &k).await,
        401
    );
    fake.stop().await;
    i.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_inbox_answers_503_with_retry_after_and_loses_nothing() {
    for db in TestDatabase::each_backend() {
        let i = Instance::start_with(&db, |c| c.inbox_queue = 1).await;
        let fake = Fake::start().await;
        let k = key();
        let eve = format!("{}/users/eve", fake.base);
        fake.serve(
            &eve,
            actor_doc(&eve, &format!("{eve}#main-key"), &k.public_pem),
        );
        let inbox = i.url("/inbox");
        let key_id = format!("{eve}#main-key");

        // An activity whose actor cannot be fetched yet (its server accepts the connection and
        // never answers) holds the only slot while the inbox waits for the actor …
        let tarpit = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = tarpit.local_addr().unwrap().port();
        let tarpit_base = format!("http://localhost:{port}");
        // `localhost` also names `::1`: listen there too, so that whichever address the
        // client tries first, the connection is accepted and left unanswered.
        let tarpit6 = tokio::net::TcpListener::bind(("::1", port)).await.ok();
        let held = tokio::spawn(async move {
            let mut held = Vec::new();
            // Every connection is held open, unanswered, until the test aborts this task.
            loop {
                let accepted = match &tarpit6 {
                    Some(six) => tokio::select! {
                        a = tarpit.accept() => a,
                        a = six.accept() => a,
                    },
                    None => tarpit.accept().await,
                };
                match accepted {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => break,
                }
            }
        });
        let slow_actor = format!("{tarpit_base}/users/slow");
        let slow_note = note(&slow_actor, &format!("{tarpit_base}/notes/1"), "slow")
            .to_string()
            .into_bytes();
        let slow_key = format!("{slow_actor}#main-key");
        let k2 = key();
        let slow = tokio::spawn({
            let inbox = inbox.clone();
            // Sent again while the probes below hold the slot for a moment (a sender retries
            // a 503, as servers do), until it holds the slot itself.
            async move {
                loop {
                    let status = post_signed(&inbox, &slow_note, &slow_key, &k2, Spoil::None).await;
                    if status != 503 {
                        return status;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                }
            }
        });
        // … so the next POST is turned away, with a time to come back.
        let first = note(&eve, &format!("{}/notes/first", fake.base), "first");
        let mut seen = Vec::new();
        let busy = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                let res = client()
                    .post(&inbox)
                    .header("content-type", "application/activity+json")
                    .body(first.to_string())
                    .send()
                    .await
                    .unwrap();
                if res.status() == 503 {
                    return res;
                }
                seen.push(res.status().as_u16());
                // The held activity has not taken its slot yet.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
        .await;
        let Ok(busy) = busy else {
            let held_answer = slow.await.unwrap();
            panic!("a 503 while the slot is held; saw {seen:?}, the held one got {held_answer}");
        };
        assert_eq!(busy.headers()["retry-after"], "5");
        held.abort();
        let released = slow.await.unwrap();
        assert_ne!(
            released, 202,
            "an actor that never answered verifies nothing"
        );

        // A burst: every POST is either accepted and stored, or refused with 503 and not
        // stored; the refused ones are accepted when sent again.
        let notes: Vec<(String, Vec<u8>)> = (0..12)
            .map(|n| {
                let id = format!("{}/notes/burst-{n}", fake.base);
                let body = note(&eve, &id, &format!("burst {n}"))
                    .to_string()
                    .into_bytes();
                (id, body)
            })
            .collect();
        let mut pending: Vec<&(String, Vec<u8>)> = notes.iter().collect();
        let mut refused_total = 0;
        for round in 0..50 {
            let statuses = futures::future::join_all(
                pending
                    .iter()
                    .map(|(_, body)| post_signed(&inbox, body, &key_id, &k, Spoil::None)),
            )
            .await;
            let mut again = Vec::new();
            for (n, status) in pending.iter().zip(statuses) {
                match status {
                    202 => assert!(stored(&i, &n.0).await.is_some(), "accepted, so stored"),
                    503 => {
                        assert!(stored(&i, &n.0).await.is_none(), "refused, so not stored");
                        again.push(*n);
                    }
                    other => panic!("unexpected {other} in round {round}"),
                }
            }
            refused_total += again.len();
            pending = again;
            if pending.is_empty() {
                break;
            }
        }
        assert!(pending.is_empty(), "all accepted in the end");
        eprintln!("burst of 12 with one slot: {refused_total} answers were 503");
        for (id, _) in &notes {
            assert!(stored(&i, id).await.is_some());
        }
        fake.stop().await;
    }
}
