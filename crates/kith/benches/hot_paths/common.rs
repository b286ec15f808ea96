//! What every benchmark shares: a real `kith` process, remote actors with keys, signed
//! requests, a fake remote server, and database seeding for the large-database figures.

use actix_web::{web, App, HttpResponse, HttpServer};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;
use kith_storage::accounts::Account;
use kith_storage::Db;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A field of `/proc/PID/status` in KiB (`VmRSS:`, `VmHWM:`).
pub fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The value at quantile `q` (0..=1) of sorted `values`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// A remote actor whose key the benchmark holds.
pub struct Actor {
    /// Path on the fake remote server (`/users/r0`).
    pub path: String,
    pub key: RsaPrivateKey,
    /// The same key for aws-lc-rs, which signs about 3× faster than `rsa`.
    pub pair: RsaKeyPair,
}

impl Actor {
    pub fn new(path: String) -> Actor {
        let pem = kith_core::keys::generate_rsa_2048().unwrap().private_pem;
        let key = RsaPrivateKey::from_pkcs8_pem(&pem).unwrap();
        let der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key).unwrap();
        let pair = RsaKeyPair::from_pkcs8(der.as_bytes()).unwrap();
        Actor { path, key, pair }
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig)
            .unwrap();
        sig
    }
}

/// Serves the remote actors' documents, as their home server would.
pub async fn remote_server(actors: &[Actor]) -> (String, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let docs: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    for a in actors {
        let pem = RsaPublicKey::from(&a.key)
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        let id = format!("{base}{}", a.path);
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": a.path.rsplit('/').next().unwrap(),
            "inbox": format!("{id}/inbox"), "followers": format!("{id}/followers"),
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem}
        });
        docs.lock().unwrap().insert(a.path.clone(), doc.to_string());
    }
    let server = HttpServer::new(move || {
        let docs = docs.clone();
        App::new().default_service(web::to(move |req: actix_web::HttpRequest| {
            let doc = docs.lock().unwrap().get(req.path()).cloned();
            async move {
                match doc {
                    Some(d) => HttpResponse::Ok()
                        .content_type("application/activity+json")
                        .body(d),
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
    (base, handle)
}

/// A signed `Create(Note)`, ready to POST.
#[derive(Clone)]
pub struct Signed {
    pub body: Vec<u8>,
    pub date: String,
    pub digest: String,
    pub signature: String,
    pub signing_string: String,
    pub actor: usize,
}

/// Signs a public `Create(Note)` number `n` by `actors[actor]`, for `inbox`.
pub fn sign_create(
    actors: &[Actor],
    actor: usize,
    base: &str,
    inbox: &url::Url,
    n: usize,
) -> Signed {
    let a = &actors[actor];
    let id = format!("{base}{}", a.path);
    let note = format!("{base}/notes/{n}");
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"), "type": "Create", "actor": id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{id}/followers")],
        "object": {"id": note, "type": "Note", "attributedTo": id, "content": format!("<p>post {n}</p>"),
                   "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{id}/followers")]}
    })
    .to_string()
    .into_bytes();
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let digest = format!(
        "SHA-256={}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body))
    );
    let signing_string = format!(
        "(request-target): post {}\nhost: {}\ndate: {date}\ndigest: {digest}",
        inbox.path(),
        inbox.authority()
    );
    let signature = format!(
        "keyId=\"{id}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(a.sign(signing_string.as_bytes()))
    );
    Signed {
        body,
        date,
        digest,
        signature,
        signing_string,
        actor,
    }
}

/// Signs `count` activities numbered from `first`, spread over the actors, on both cores.
pub fn sign_many(
    actors: &[Actor],
    base: &str,
    inbox: &url::Url,
    first: usize,
    count: usize,
) -> Vec<Signed> {
    let numbers: Vec<usize> = (first..first + count).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = numbers
            .chunks(count.div_ceil(2).max(1))
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|&n| sign_create(actors, n % actors.len(), base, inbox, n))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// POSTs a signed activity; the status code.
pub async fn post(client: &reqwest::Client, inbox: &url::Url, item: &Signed) -> u16 {
    client
        .post(inbox.as_str())
        .header("content-type", "application/activity+json")
        .header("date", &item.date)
        .header("digest", &item.digest)
        .header("signature", &item.signature)
        .body(item.body.clone())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// One activity per actor, so that the server fetches and caches every key before a run.
pub async fn warm_up(client: &reqwest::Client, inbox: &url::Url, actors: &[Actor], base: &str) {
    for item in sign_many(actors, base, inbox, 0, actors.len()) {
        assert_eq!(post(client, inbox, &item).await, 202, "warm-up refused");
    }
}

/// Sends `items` at a fixed `rate` per second (open loop, each request on its own task);
/// each request's latency (ms) and status, in sending order.
pub async fn paced(
    client: reqwest::Client,
    inbox: url::Url,
    items: Vec<Signed>,
    rate: f64,
) -> Vec<(f64, u16)> {
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let mut sends = Vec::with_capacity(items.len());
    for (n, item) in items.into_iter().enumerate() {
        tokio::time::sleep_until(start + interval * n as u32).await;
        let (client, inbox) = (client.clone(), inbox.clone());
        sends.push(tokio::spawn(async move {
            let t = Instant::now();
            let status = post(&client, &inbox, &item).await;
            (t.elapsed().as_secs_f64() * 1000.0, status)
        }));
    }
    let mut results = Vec::with_capacity(sends.len());
    for s in sends {
        results.push(s.await.unwrap());
    }
    results
}

/// A `kith` command for a database, a port and a working directory.
pub fn kith(db_url: &str, dir: &std::path::Path, port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kith"));
    cmd.args(args)
        .current_dir(dir)
        .env("KITH_DATABASE_URL", db_url)
        .env("KITH_DOMAIN", format!("localhost:{port}"))
        .env("KITH_BIND", format!("127.0.0.1:{port}"))
        .env("KITH_DEV_MODE", "true")
        .env("KITH_LOG", "error")
        // One token reads thousands of timelines here, far past the client-API rate limit;
        // the `rate_limits` figure measures what counting costs.
        .env("KITH_RATE_LIMIT_API", "off")
        .env_remove("KITH_CONFIG");
    cmd
}

/// Runs a `kith` command to completion; its standard output.
pub fn kith_ok(db_url: &str, dir: &std::path::Path, port: u16, args: &[&str]) -> String {
    let out = kith(db_url, dir, port, args).output().unwrap();
    assert!(
        out.status.success(),
        "kith {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A running `kith serve`.
pub struct Server {
    pub child: Child,
    pub port: u16,
    /// Process start to the first 200 from `/health`.
    pub start: Duration,
}

impl Server {
    pub async fn start(db_url: &str, dir: &std::path::Path, port: u16) -> Server {
        Server::start_with(db_url, dir, port, &[]).await
    }

    /// Starts `kith serve` with extra `KITH_*` settings.
    pub async fn start_with(
        db_url: &str,
        dir: &std::path::Path,
        port: u16,
        settings: &[(&str, &str)],
    ) -> Server {
        let started = Instant::now();
        let child = kith(db_url, dir, port, &["serve"])
            .envs(settings.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client
                .get(format!("http://127.0.0.1:{port}/health"))
                .send()
                .await
            {
                if r.status().is_success() {
                    break;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "kith did not start"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Server {
            child,
            port,
            start: started.elapsed(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    pub fn stop(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Remote posts stored so far.
pub async fn remote_statuses(db: &Db) -> i64 {
    db.read(kith_storage::statuses::count_remote_for_bench)
        .await
        .unwrap()
}

/// A remote account row for seeding (no real key: it never signs anything).
pub fn remote_account(username: &str, authority: &str) -> Account {
    let ap_id = format!("http://{authority}/users/{username}");
    let now = kith_storage::now();
    Account {
        id: kith_storage::id::new_id(),
        username: username.into(),
        domain: Some(authority.into()),
        public_key_id: format!("{ap_id}#main-key"),
        ap_id: ap_id.clone(),
        actor_type: "Person".into(),
        display_name: username.into(),
        note: String::new(),
        avatar_url: None,
        header_url: None,
        url: Some(ap_id.clone()),
        locked: false,
        bot: false,
        inbox_url: format!("{ap_id}/inbox"),
        shared_inbox_url: Some(format!("http://{authority}/inbox")),
        outbox_url: None,
        followers_url: Some(format!("{ap_id}/followers")),
        following_url: None,
        public_key_pem: "-".into(),
        private_key_pem: None,
        created_at: now,
        updated_at: now,
        fetched_at: Some(now),
        fields: "[]".into(),
    }
}

/// Inserts rows in batches of `batch`, one transaction per batch.
pub fn insert_batched<T: Clone + Send + 'static>(
    db: &Db,
    rows: Vec<T>,
    batch: usize,
    insert: fn(&mut kith_storage::DbConn, &[T]) -> Result<(), kith_storage::StorageError>,
) {
    for chunk in rows.chunks(batch) {
        let chunk = chunk.to_vec();
        db.write_blocking(move |c| insert(c, &chunk)).unwrap();
    }
}

/// Follows (accepted) from each of `followers` to `target`.
pub fn follow_rows(followers: &[i64], target: i64) -> Vec<kith_storage::follows::Follow> {
    followers
        .iter()
        .map(|&f| kith_storage::follows::Follow {
            id: kith_storage::id::new_id(),
            account_id: f,
            target_account_id: target,
            ap_id: format!("http://bench.invalid/follows/{f}/{target}"),
            accepted: true,
            created_at: kith_storage::now(),
        })
        .collect()
}

pub fn insert_accounts(
    c: &mut kith_storage::DbConn,
    rows: &[Account],
) -> Result<(), kith_storage::StorageError> {
    insert_rows!(c, kith_storage::schema::accounts::table, rows)
}

pub fn insert_follows(
    c: &mut kith_storage::DbConn,
    rows: &[kith_storage::follows::Follow],
) -> Result<(), kith_storage::StorageError> {
    insert_rows!(c, kith_storage::schema::follows::table, rows)
}

/// A local user with a bearer token, made with the `kith admin` commands.
pub fn local_user(db_url: &str, dir: &std::path::Path, port: u16, name: &str) -> (i64, String) {
    kith_ok(
        db_url,
        dir,
        port,
        &[
            "admin",
            "create-user",
            name,
            "--password",
            "bench-password-1",
        ],
    );
    let token = kith_ok(db_url, dir, port, &["admin", "token", name]);
    let db = Db::connect(db_url, 1).unwrap();
    let mut c = db.conn().unwrap();
    let (_, account) = kith_storage::users::by_username(&mut c, name).unwrap();
    (account.id, token)
}
