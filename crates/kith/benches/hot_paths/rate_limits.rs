//! What the client-API rate limits cost: the same authenticated read
//! (`GET /api/v1/accounts/verify_credentials`), 16 in flight, against one `kith serve` with
//! rate limiting off and then on (with a limit too high to reach, so every request is counted:
//! one upsert of its token's bucket). Printed: requests per second and median latency each
//! way, and the ratio.

use crate::common::{free_port, local_user, quantile, Server};
use crate::Settings;
use std::time::Instant;

const IN_FLIGHT: usize = 16;

/// Times `n` requests, `IN_FLIGHT` at a time: (requests per second, median ms).
async fn timed(url: &str, token: &str, n: usize) -> (f64, f64) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let per_task = n.div_ceil(IN_FLIGHT);
    let mut tasks = Vec::new();
    for _ in 0..IN_FLIGHT {
        let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut took = Vec::with_capacity(per_task);
            for _ in 0..per_task {
                let t = Instant::now();
                let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert_eq!(res.status(), 200, "a counted request was refused");
                res.bytes().await.unwrap();
                took.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            took
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    (all.len() as f64 / secs, quantile(&all, 0.5))
}

pub async fn run(backend: &str, db_url: &str, s: &Settings) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (_, token) = local_user(db_url, dir.path(), port, "reader");
    let mut figures = Vec::new();
    for (label, limit) in [("off", "off"), ("on", "1000000000/1d")] {
        let server = Server::start_with(
            db_url,
            dir.path(),
            port,
            &[
                ("KITH_RATE_LIMIT_API", limit),
                ("KITH_RATE_LIMIT_EXEMPT_LOOPBACK", "false"),
            ],
        )
        .await;
        let url = server.url("/api/v1/accounts/verify_credentials");
        // Warm the connection pool and caches first.
        timed(&url, &token, IN_FLIGHT * 4).await;
        let (rate, median) = timed(&url, &token, s.api_requests).await;
        println!(
            "rate_limits/{backend}: limits {label}: {rate:.0} requests/s, median {median:.2} ms \
             ({} requests, {IN_FLIGHT} in flight)",
            s.api_requests
        );
        figures.push((rate, median));
        server.stop();
    }
    let (off, on) = (figures[0], figures[1]);
    println!(
        "rate_limits/{backend}: counting costs {:.0}% of the throughput ({:.2} ms more at the median)",
        (1.0 - on.0 / off.0) * 100.0,
        on.1 - off.1
    );
}
