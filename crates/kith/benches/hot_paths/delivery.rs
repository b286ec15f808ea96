//! Delivery: a sink of many loopback "instances" (one port each, answering 202), some slow and
//! some dead. Fan-out: one public post by an account with followers on all of them, and how
//! soon each live instance has it. Throughput: posts by an account followed on the live
//! instances only, counted as signed requests received per second, against the ceiling of
//! raw RSA-SHA256 signing (aws-lc-rs, both cores) of as many requests.

use crate::common::*;
use crate::Settings;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use kith_storage::Db;
use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Arrivals = Arc<Mutex<HashMap<u16, Vec<Instant>>>>;

struct Sink {
    live: Vec<u16>,
    slow: Vec<u16>,
    dead: Vec<u16>,
    arrivals: Arrivals,
    handle: actix_web::dev::ServerHandle,
}

impl Sink {
    async fn start(live: usize, slow: usize, dead: usize, delay: Duration) -> Sink {
        let listeners: Vec<TcpListener> = (0..live + slow)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let ports: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        let slow_ports: HashSet<u16> = ports[live..].iter().copied().collect();
        let arrivals: Arrivals = Arc::default();
        let (seen, slow_set) = (arrivals.clone(), Arc::new(slow_ports.clone()));
        let mut server = HttpServer::new(move || {
            let (seen, slow_set) = (seen.clone(), slow_set.clone());
            App::new().default_service(web::to(move |req: HttpRequest, _body: web::Bytes| {
                let (seen, slow_set) = (seen.clone(), slow_set.clone());
                async move {
                    let port = req.app_config().local_addr().port();
                    if slow_set.contains(&port) {
                        tokio::time::sleep(delay).await;
                    }
                    seen.lock()
                        .unwrap()
                        .entry(port)
                        .or_default()
                        .push(Instant::now());
                    HttpResponse::Accepted().finish()
                }
            }))
        })
        .workers(1)
        .backlog(4096);
        for l in listeners {
            server = server.listen(l).unwrap();
        }
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Sink {
            live: ports[..live].to_vec(),
            slow: ports[live..].to_vec(),
            // Ports nobody listens on: connections are refused.
            dead: (0..dead).map(|_| free_port()).collect(),
            arrivals,
            handle,
        }
    }

    fn count(&self, ports: &[u16]) -> usize {
        let a = self.arrivals.lock().unwrap();
        ports.iter().map(|p| a.get(p).map_or(0, Vec::len)).sum()
    }

    /// The first arrival at each port after `since`.
    fn first_after(&self, port: u16, since: Instant) -> Option<Instant> {
        let a = self.arrivals.lock().unwrap();
        a.get(&port)?.iter().copied().find(|t| *t >= since)
    }
}

/// `per_instance` followers of `target` on each of `ports`.
fn seed_followers(db: &Db, target: i64, ports: &[u16], per_instance: usize, tag: &str) {
    let accounts: Vec<_> = ports
        .iter()
        .flat_map(|p| {
            (0..per_instance)
                .map(move |n| remote_account(&format!("{tag}{n}"), &format!("localhost:{p}")))
        })
        .collect();
    let ids: Vec<i64> = accounts.iter().map(|a| a.id).collect();
    insert_batched(db, accounts, 500, insert_accounts);
    let follows: Vec<_> = ids
        .iter()
        .flat_map(|&f| follow_rows(&[f], target))
        .collect();
    insert_batched(db, follows, 500, insert_follows);
}

async fn publish(client: &reqwest::Client, server: &Server, token: &str, text: &str) {
    let res = client
        .post(server.url("/api/v1/statuses"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "status": text, "visibility": "public" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
}

/// The ceiling: RSA-SHA256 signatures over as many signing strings, on both cores.
fn signing_ceiling(count: usize) -> f64 {
    let actor = Actor::new("/users/ceiling".into());
    let strings: Vec<String> = (0..count)
        .map(|n| format!("(request-target): post /inbox\nhost: 127.0.0.1:{n}\ndate: Sun, 22 Nov 2026 10:00:00 GMT\ndigest: SHA-256=abc{n}"))
        .collect();
    let start = Instant::now();
    std::thread::scope(|s| {
        for part in strings.chunks(count.div_ceil(2)) {
            let actor = &actor;
            s.spawn(move || {
                for m in part {
                    std::hint::black_box(actor.sign(m.as_bytes()));
                }
            });
        }
    });
    count as f64 / start.elapsed().as_secs_f64()
}

pub async fn run(backend: &str, db_url: &str, s: &Settings) {
    let dir = tempfile::tempdir().unwrap();
    // The sink first, holding its ports, so that Kith's port cannot be one of them (a free
    // port picked earlier could be bound by the sink before Kith starts).
    let sink = Sink::start(
        s.instances - s.slow - s.dead,
        s.slow,
        s.dead,
        Duration::from_secs(5),
    )
    .await;
    let port = std::iter::repeat_with(free_port)
        .find(|p| !sink.dead.contains(p))
        .unwrap();
    kith_ok(db_url, dir.path(), port, &["migrate"]);
    let (star, star_token) = local_user(db_url, dir.path(), port, "star");
    let (busy, busy_token) = local_user(db_url, dir.path(), port, "busy");
    let db = Db::connect(db_url, 2).unwrap();
    let all: Vec<u16> = sink
        .live
        .iter()
        .chain(&sink.slow)
        .chain(&sink.dead)
        .copied()
        .collect();
    seed_followers(&db, star, &all, s.followers / s.instances, "f");
    seed_followers(&db, busy, &sink.live, 1, "b");
    let server = Server::start(db_url, dir.path(), port).await;
    let client = reqwest::Client::new();

    // Fan-out: one post to every instance.
    let t0 = Instant::now();
    publish(&client, &server, &star_token, "hello, everyone").await;
    let deadline = t0 + Duration::from_secs(30);
    while sink.live.iter().any(|p| sink.first_after(*p, t0).is_none()) && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut live_ms: Vec<f64> = sink
        .live
        .iter()
        .filter_map(|p| sink.first_after(*p, t0))
        .map(|t| (t - t0).as_secs_f64() * 1000.0)
        .collect();
    live_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let within = live_ms.iter().filter(|ms| **ms <= 2000.0).count();
    println!(
        "{backend:>8}  fan-out                 {within}/{} live instances had the post within 2 s (p50 {:.0} ms, p99 {:.0} ms, last {:.0} ms); {} followers on {} instances, {} of them answering after 5 s and {} refusing connections",
        sink.live.len(),
        quantile(&live_ms, 0.5),
        quantile(&live_ms, 0.99),
        live_ms.last().copied().unwrap_or(f64::NAN),
        s.followers,
        s.instances,
        sink.slow.len(),
        sink.dead.len()
    );
    // Let the slow hosts answer, so the throughput run starts from an idle worker.
    tokio::time::sleep(Duration::from_secs(6)).await;

    // Throughput: posts to the live instances only.
    let before = sink.count(&sink.live);
    let expected = before + sink.live.len() * s.delivery_posts;
    let t1 = Instant::now();
    for n in 0..s.delivery_posts {
        publish(&client, &server, &busy_token, &format!("post {n}")).await;
    }
    let deadline = t1 + Duration::from_secs(300);
    while sink.count(&sink.live) < expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let sent = sink.count(&sink.live) - before;
    let rate = sent as f64 / t1.elapsed().as_secs_f64();
    let ceiling = signing_ceiling(sent.max(100));
    println!(
        "{backend:>8}  delivery throughput     {rate:>9.0} /s   ceiling {ceiling:>7.0} /s   ratio {:.2}   ({sent} signed requests to {} instances)",
        rate / ceiling,
        sink.live.len()
    );
    server.stop();
    sink.handle.stop(false).await;
}
