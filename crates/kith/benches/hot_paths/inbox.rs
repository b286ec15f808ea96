//! Inbox throughput: signed `Create(Note)`s from many remote actors (keys fetched and cached
//! in a warm-up), POSTed concurrently to the shared inbox and counted until every post is
//! stored, against the ceiling of raw signature verification + one insert per activity. Then
//! the accept latency at half that rate, and what the bounded queue does beyond capacity.

use crate::common::*;
use crate::Settings;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use futures::StreamExt;
use kith_storage::Db;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::RsaPublicKey;
use std::time::{Duration, Instant};

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

/// Sends `items` `concurrency` at a time; per-request latencies (ms) and status counts.
async fn blast(
    client: &reqwest::Client,
    inbox: &url::Url,
    items: &[Signed],
    concurrency: usize,
) -> (Vec<f64>, usize, usize) {
    let results: Vec<(f64, u16)> = futures::stream::iter(items.iter())
        .map(|item| async move {
            let t = Instant::now();
            let status = post(client, inbox, item).await;
            (t.elapsed().as_secs_f64() * 1000.0, status)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let accepted = results.iter().filter(|r| r.1 == 202).count();
    let busy = results.iter().filter(|r| r.1 == 503).count();
    let mut latencies: Vec<f64> = results.into_iter().map(|r| r.0).collect();
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (latencies, accepted, busy)
}

async fn wait_stored(db: &Db, target: i64) {
    let t = Instant::now();
    while remote_statuses(db).await < target {
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            t.elapsed() < Duration::from_secs(600),
            "not everything was stored"
        );
    }
}

pub async fn run(backend: &str, db_url: &str, s: &Settings) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    kith_ok(db_url, dir.path(), port, &["migrate"]);
    let server = Server::start(db_url, dir.path(), port).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(server.child.id(), "VmRSS:");
    let db = Db::connect(db_url, 2).unwrap();

    let actors: Vec<Actor> = (0..s.actors)
        .map(|n| Actor::new(format!("/users/r{n}")))
        .collect();
    let (base, remote) = remote_server(&actors).await;
    let inbox = url::Url::parse(&server.url("/inbox")).unwrap();
    let client = reqwest::Client::new();
    warm_up(&client, &inbox, &actors, &base).await;

    // Full load.
    let load = sign_many(&actors, &base, &inbox, s.actors, s.activities);
    let before = remote_statuses(&db).await;
    let t0 = Instant::now();
    let (latencies, accepted, busy) = blast(&client, &inbox, &load, s.concurrency).await;
    wait_stored(&db, before + accepted as i64).await;
    let rate = accepted as f64 / t0.elapsed().as_secs_f64();
    let peak = rss_kib(server.child.id(), "VmHWM:");
    let ceiling_rate = ceiling(db_url, &actors, &load);
    println!(
        "{backend:>8}  inbox throughput        {rate:>9.0} /s   ceiling {ceiling_rate:>7.0} /s   ratio {:.2}   (concurrency {}, p99 accept at full load {:.1} ms, {busy} answered 503)",
        rate / ceiling_rate,
        s.concurrency,
        quantile(&latencies, 0.99)
    );

    // Half that rate, paced: the latency a sender sees when the server is not saturated.
    let half = rate / 2.0;
    let count = ((half * s.paced_secs) as usize).max(10);
    let items = sign_many(&actors, &base, &inbox, s.actors + s.activities, count);
    let mut lat: Vec<f64> = paced(client.clone(), inbox.clone(), items, half)
        .await
        .into_iter()
        .map(|(ms, _)| ms)
        .collect();
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{backend:>8}  inbox accept latency     p50 {:>6.1} ms   p99 {:>6.1} ms   at half the measured rate ({half:.0}/s for {count} activities)",
        quantile(&lat, 0.5),
        quantile(&lat, 0.99)
    );

    // Beyond capacity: more senders at once than the bounded queue holds.
    let first = s.actors + s.activities + count;
    let flood = sign_many(&actors, &base, &inbox, first, s.flood);
    let before = remote_statuses(&db).await;
    let flood_client = reqwest::Client::builder()
        .pool_max_idle_per_host(s.flood_concurrency)
        .build()
        .unwrap();
    let (lat, accepted, busy) = blast(&flood_client, &inbox, &flood, s.flood_concurrency).await;
    wait_stored(&db, before + accepted as i64).await;
    let stored = remote_statuses(&db).await - before;
    let healthy = reqwest::get(server.url("/health"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    println!(
        "{backend:>8}  beyond capacity          {} POSTs {} at a time (queue {}): {accepted} accepted and all {stored} stored, {busy} answered 503 + Retry-After, p99 {:.1} ms, /health {healthy} after",
        flood.len(),
        s.flood_concurrency,
        kith_federation::inbox::DEFAULT_INBOX_QUEUE,
        quantile(&lat, 0.99)
    );

    println!(
        "{backend:>8}  memory                  idle {:>6.1} MB   peak under inbox load {:>6.1} MB",
        idle as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    println!(
        "{backend:>8}  start to first /health  {:>7.0} ms   (empty database)",
        server.start.as_secs_f64() * 1000.0
    );
    server.stop();
    remote.stop(false).await;
}
