//! Federation benchmarks against a real `kith serve` process (release build), each figure
//! printed with a ceiling measured in the same run on the same machine, as a ratio: these
//! machines are shared and noisy, ratios hold where absolute numbers drift.
//!
//!     cargo bench -p kith --bench federation              # full run, both backends
//!     cargo bench -p kith --bench federation -- --smoke   # a few seconds
//!     KITH_BENCH_SMOKE=1 cargo test -p kith --bench federation   # the same, debug build (CI)
//!
//! Figures: inbox throughput (signed `Create(Note)`s from many remote actors, keys cached,
//! POSTed concurrently to the shared inbox, counted until all are stored) against the ceiling
//! of raw signature verification + one insert per activity; RSS idle and at peak; time from
//! process start to the first 200 from `/health`. No assertions: it measures and prints.

use actix_web::{web, App, HttpResponse, HttpServer};
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use futures::StreamExt;
use kith_storage::testing::TestDatabase;
use kith_storage::Db;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Settings {
    actors: usize,
    activities: usize,
    concurrency: usize,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

struct Actor {
    id: String,
    key: RsaPrivateKey,
}

/// Serves the remote actors' documents, as their home server would.
async fn remote_server(actors: &[Actor]) -> (String, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let docs: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    for a in actors {
        let pem = RsaPublicKey::from(&a.key)
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        let id = format!("{base}{}", a.id);
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": id, "type": "Person", "preferredUsername": a.id.rsplit('/').next().unwrap(),
            "inbox": format!("{id}/inbox"), "followers": format!("{id}/followers"),
            "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": pem}
        });
        docs.lock().unwrap().insert(a.id.clone(), doc.to_string());
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

struct Signed {
    body: Vec<u8>,
    date: String,
    digest: String,
    signature: String,
    signing_string: String,
    actor: usize,
}

fn sign(actor: &Actor, actor_index: usize, base: &str, inbox: &url::Url, n: usize) -> Signed {
    let id = format!("{base}{}", actor.id);
    let note = format!("{base}/notes/{n}");
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note}/activity"), "type": "Create", "actor": id,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": note, "type": "Note", "attributedTo": id, "content": format!("<p>post {n}</p>"),
                   "to": ["https://www.w3.org/ns/activitystreams#Public"]}
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
    let sig = SigningKey::<Sha256>::new(actor.key.clone()).sign(signing_string.as_bytes());
    let signature = format!(
        "keyId=\"{id}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        base64::engine::general_purpose::STANDARD.encode(sig.to_bytes())
    );
    Signed {
        body,
        date,
        digest,
        signature,
        signing_string,
        actor: actor_index,
    }
}

/// The ceiling: verify each signature (aws-lc-rs, keys parsed once, as the inbox does) and
/// insert one row, on both cores; no HTTP, no JSON.
fn ceiling(db_url: &str, actors: &[Actor], signed: &[Signed]) -> f64 {
    let db = Db::connect(db_url, 4).unwrap();
    let keys: Vec<ParsedPublicKey> = actors
        .iter()
        .map(|a| {
            let der = RsaPublicKey::from(&a.key).to_pkcs1_der().unwrap();
            ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes()).unwrap()
        })
        .collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for (part, half) in signed.chunks(signed.len().div_ceil(2)).enumerate() {
            let (db, keys) = (db.clone(), &keys);
            s.spawn(move || {
                for (n, item) in half.iter().enumerate() {
                    let raw = base64::engine::general_purpose::STANDARD
                        .decode(
                            item.signature
                                .rsplit("signature=\"")
                                .next()
                                .unwrap()
                                .trim_end_matches('"'),
                        )
                        .unwrap();
                    keys[item.actor]
                        .verify_sig(item.signing_string.as_bytes(), &raw)
                        .unwrap();
                    let id = format!("ceiling-{part}-{n}-{}", item.date);
                    db.write_blocking(move |c| {
                        kith_storage::activity::first_receipt(c, &id).map(|_| ())
                    })
                    .unwrap();
                }
            });
        }
    });
    signed.len() as f64 / start.elapsed().as_secs_f64()
}

fn kith(db_url: &str, dir: &std::path::Path, port: u16, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kith"));
    cmd.args(args)
        .current_dir(dir)
        .env("KITH_DATABASE_URL", db_url)
        .env("KITH_DOMAIN", format!("localhost:{port}"))
        .env("KITH_BIND", format!("127.0.0.1:{port}"))
        .env("KITH_DEV_MODE", "true")
        .env("KITH_LOG", "error")
        .env_remove("KITH_CONFIG");
    cmd
}

async fn wait_healthy(port: u16) -> Duration {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/health")).await {
            if r.status().is_success() {
                return start.elapsed();
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "kith did not start"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn statuses(db_url: &str) -> i64 {
    let db = Db::connect(db_url, 1).unwrap();
    db.read(kith_storage::statuses::count_remote_for_bench)
        .await
        .unwrap()
}

async fn run(backend: &str, db: &TestDatabase, s: &Settings) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let out = kith(&db.url, dir.path(), port, &["migrate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Start: process start to the first 200 from /health.
    let started = Instant::now();
    let mut child: Child = kith(&db.url, dir.path(), port, &["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_healthy(port).await;
    let start_ms = started.elapsed().as_secs_f64() * 1000.0;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(child.id(), "VmRSS:");

    let actors: Vec<Actor> = (0..s.actors)
        .map(|n| {
            let pair = kith_core::keys::generate_rsa_2048().unwrap();
            Actor {
                id: format!("/users/r{n}"),
                key: RsaPrivateKey::from_pkcs8_pem(&pair.private_pem).unwrap(),
            }
        })
        .collect();
    let (base, remote) = remote_server(&actors).await;
    let inbox = url::Url::parse(&format!("http://localhost:{port}/inbox")).unwrap();
    let signed: Vec<Signed> = std::thread::scope(|sc| {
        let chunks: Vec<_> = (0..s.activities + s.actors)
            .collect::<Vec<_>>()
            .chunks((s.activities + s.actors).div_ceil(2))
            .map(|c| c.to_vec())
            .collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|c| {
                let (actors, base, inbox) = (&actors, &base, &inbox);
                sc.spawn(move || {
                    c.into_iter()
                        .map(|n| sign(&actors[n % actors.len()], n % actors.len(), base, inbox, n))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let (warm, load) = signed.split_at(s.actors);
    let client = reqwest::Client::new();
    let send = |item: &Signed| {
        client
            .post(inbox.as_str())
            .header("content-type", "application/activity+json")
            .header("date", &item.date)
            .header("digest", &item.digest)
            .header("signature", &item.signature)
            .body(item.body.clone())
            .send()
    };
    // Warm-up: one activity per actor, so every key is fetched and cached.
    for item in warm {
        let r = send(item).await.unwrap();
        assert_eq!(r.status(), 202, "warm-up refused");
    }
    let before = statuses(&db.url).await;
    let t0 = Instant::now();
    let mut latencies: Vec<f64> = futures::stream::iter(load.iter())
        .map(|item| {
            let send = &send;
            async move {
                let t = Instant::now();
                let r = send(item).await.unwrap();
                assert!(
                    r.status().is_success() || r.status() == 503,
                    "{}",
                    r.status()
                );
                t.elapsed().as_secs_f64() * 1000.0
            }
        })
        .buffer_unordered(s.concurrency)
        .collect()
        .await;
    while statuses(&db.url).await - before < load.len() as i64 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "not everything was stored"
        );
    }
    let rate = load.len() as f64 / t0.elapsed().as_secs_f64();
    let peak = rss_kib(child.id(), "VmHWM:");
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let p99 = latencies[(latencies.len() * 99 / 100).min(latencies.len() - 1)];
    let ceiling_rate = ceiling(&db.url, &actors, load);
    println!("{backend:>8}  inbox throughput        {rate:>9.0} /s   ceiling {ceiling_rate:>7.0} /s   ratio {:.2}   (p99 accept latency at full load {p99:.1} ms, concurrency {})", rate / ceiling_rate, s.concurrency);
    println!(
        "{backend:>8}  memory                  idle {:>6.1} MB   peak under inbox load {:>6.1} MB",
        idle as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!("{backend:>8}  start to first /health  {start_ms:>7.0} ms   (small database)");
    child.kill().unwrap();
    child.wait().unwrap();
    remote.stop(false).await;
}

#[tokio::main]
async fn main() {
    // `--smoke` (or KITH_BENCH_SMOKE=1, for `cargo test --bench federation` in CI) runs a
    // few seconds' worth, to keep the harness from rotting; its figures mean little.
    let smoke =
        std::env::args().any(|a| a == "--smoke") || std::env::var_os("KITH_BENCH_SMOKE").is_some();
    let s = if smoke {
        Settings {
            actors: 4,
            activities: 200,
            concurrency: 16,
        }
    } else {
        Settings {
            actors: 50,
            activities: 5000,
            concurrency: 64,
        }
    };
    println!(
        "kith federation benchmarks ({} mode; {} actors, {} activities)",
        if smoke { "smoke" } else { "full" },
        s.actors,
        s.activities
    );
    for db in TestDatabase::each_backend() {
        let backend = format!("{:?}", db.backend).to_lowercase();
        run(&backend, &db, &s).await;
    }
}
