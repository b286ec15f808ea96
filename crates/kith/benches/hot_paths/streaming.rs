//! Streaming fan-out: N anonymous WebSocket clients on the `public` stream of a real
//! `kith serve`; a local user posts, and each client must get the `update`. Printed: the time
//! from sending the post to the last client's delivery (and to the median one), and the
//! server's RSS with the clients connected (issue 11's target at 1,000 clients: ≤ 200 ms and
//! ≤ 60 MB on 2 cores).

use crate::common::*;
use crate::Settings;
use futures::StreamExt;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub async fn run(backend: &str, db_url: &str, s: &Settings) {
    // The benchmark's own side holds a socket per client.
    let _ = rlimit::increase_nofile_limit(s.stream_clients as u64 * 2 + 1024);
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    kith_ok(db_url, dir.path(), port, &["migrate"]);
    let (_, token) = local_user(db_url, dir.path(), port, "poster");
    let server = Server::start(db_url, dir.path(), port).await;
    let pid = server.child.id();
    let rss_idle = rss_kib(pid, "VmRSS:");
    // RSS counts the binary's code pages too (file-backed, shared, reclaimable); the
    // anonymous part is what the process itself allocated.
    let anon_idle = rss_kib(pid, "RssAnon:");

    let (tx, mut rx) = mpsc::unbounded_channel::<Instant>();
    let url = format!("ws://127.0.0.1:{port}/api/v1/streaming?stream=public");
    let mut connected = 0;
    for chunk in (0..s.stream_clients).collect::<Vec<_>>().chunks(100) {
        let sockets = futures::future::join_all(
            chunk
                .iter()
                .map(|_| tokio_tungstenite::connect_async(url.clone())),
        )
        .await;
        for socket in sockets {
            let (mut ws, _) = socket.expect("websocket connects");
            connected += 1;
            let tx = tx.clone();
            tokio::spawn(async move {
                while let Some(Ok(m)) = ws.next().await {
                    if m.is_text() && tx.send(Instant::now()).is_err() {
                        return;
                    }
                }
            });
        }
    }
    let rss_connected = rss_kib(pid, "VmRSS:");
    let anon_connected = rss_kib(pid, "RssAnon:");
    let http = reqwest::Client::new();
    let mut lasts = Vec::new();
    let mut medians = Vec::new();
    for n in 0..s.stream_posts {
        let sent = Instant::now();
        let res = http
            .post(server.url("/api/v1/statuses"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "status": format!("fan-out {n}") }))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "post: {}", res.status());
        let mut arrivals = Vec::with_capacity(connected);
        while arrivals.len() < connected {
            let at = tokio::time::timeout(Duration::from_secs(60), rx.recv())
                .await
                .expect("every client gets the update within 60 s")
                .unwrap();
            arrivals.push(at.duration_since(sent).as_secs_f64() * 1000.0);
        }
        arrivals.sort_by(f64::total_cmp);
        lasts.push(arrivals[arrivals.len() - 1]);
        medians.push(quantile(&arrivals, 0.5));
    }
    let rss_after = rss_kib(pid, "VmRSS:");
    let anon_after = rss_kib(pid, "RssAnon:");
    let peak = rss_kib(pid, "VmHWM:");
    lasts.sort_by(f64::total_cmp);
    medians.sort_by(f64::total_cmp);
    println!(
        "streaming [{backend}] {connected} WebSocket clients on `public`, {} posts: post → last \
         delivery median {:.1} ms (worst {:.1} ms), post → median delivery {:.1} ms; server RSS \
         {:.1} MB idle, {:.1} MB connected, {:.1} MB after, peak {:.1} MB (of which anonymous \
         {:.1} / {:.1} / {:.1} MB) (target ≤ 200 ms, ≤ 60 MB at 1,000 clients)",
        lasts.len(),
        quantile(&lasts, 0.5),
        lasts.last().copied().unwrap_or(f64::NAN),
        quantile(&medians, 0.5),
        rss_idle as f64 / 1024.0,
        rss_connected as f64 / 1024.0,
        rss_after as f64 / 1024.0,
        peak as f64 / 1024.0,
        anon_idle as f64 / 1024.0,
        anon_connected as f64 / 1024.0,
        anon_after as f64 / 1024.0,
    );
    server.stop();
}
