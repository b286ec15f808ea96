//! The large-database figures: a database seeded with a million statuses (by default), then
//! the time from process start to the first 200 from `/health` on it, and the server-side
//! latency of `GET /api/v1/timelines/home` (20 statuses) for a user following 500 accounts
//! while remote posts are ingested through the inbox at a fixed rate.

use crate::common::*;
use crate::Settings;
use kith_storage::statuses::Status;
use kith_storage::Db;
use std::time::{Duration, Instant};

fn insert_statuses(
    c: &mut kith_storage::DbConn,
    rows: &[Status],
) -> Result<(), kith_storage::StorageError> {
    insert_rows!(c, kith_storage::schema::statuses::table, rows)
}

fn insert_feed(
    c: &mut kith_storage::DbConn,
    rows: &[(i64, i64)],
) -> Result<(), kith_storage::StorageError> {
    use diesel::ExpressionMethods;
    use kith_storage::schema::home_feed;
    let values: Vec<_> = rows
        .iter()
        .map(|(a, s)| (home_feed::account_id.eq(*a), home_feed::status_id.eq(*s)))
        .collect();
    insert_rows!(c, home_feed::table, &values)
}

/// Seeds `s.statuses` public posts by `s.authors` remote accounts; `reader` follows the first
/// `followed` of them and has their posts in its home feed, as fan-in would have put them.
fn seed(db: &Db, reader: i64, followed: usize, s: &Settings) {
    let authors: Vec<_> = (0..s.authors)
        .map(|n| remote_account(&format!("a{n}"), &format!("h{}.bench.invalid", n % 100)))
        .collect();
    let ids: Vec<i64> = authors.iter().map(|a| a.id).collect();
    insert_batched(db, authors, 500, insert_accounts);
    let follows: Vec<_> = ids[..followed]
        .iter()
        .flat_map(|&target| follow_rows(&[reader], target))
        .collect();
    insert_batched(db, follows, 500, insert_follows);
    let now = chrono::Utc::now();
    let per_batch = 1000;
    for first in (0..s.statuses).step_by(per_batch) {
        let mut rows = Vec::with_capacity(per_batch);
        let mut feed = Vec::new();
        for n in first..(first + per_batch).min(s.statuses) {
            // Oldest first, a few seconds apart, so ids grow with time as in real life.
            let at = now - chrono::Duration::seconds(((s.statuses - n) * 3) as i64);
            let author = n % s.authors;
            let id = kith_storage::id::id_at(at);
            rows.push(Status {
                id,
                ap_id: format!("http://h{}.bench.invalid/notes/{n}", author % 100),
                url: None,
                account_id: ids[author],
                local: false,
                visibility: "public".into(),
                in_reply_to_id: None,
                in_reply_to_ap_id: None,
                in_reply_to_account_id: None,
                reblog_of_id: None,
                content: format!("<p>seeded post {n}, with a little text like a real one has.</p>"),
                source_text: None,
                spoiler_text: String::new(),
                sensitive: false,
                language: Some("en".into()),
                conversation: None,
                attachments: "[]".into(),
                created_at: at.naive_utc(),
                edited_at: None,
            });
            if author < followed {
                feed.push((reader, id));
            }
        }
        db.write_blocking(move |c| {
            insert_statuses(c, &rows)?;
            insert_feed(c, &feed)
        })
        .unwrap();
    }
}

pub async fn run(backend: &str, db_url: &str, s: &Settings) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    kith_ok(db_url, dir.path(), port, &["migrate"]);
    let (reader, token) = local_user(db_url, dir.path(), port, "reader");
    let db = Db::connect(db_url, 2).unwrap();
    let followed = s.follows - s.actors;
    let t = Instant::now();
    seed(&db, reader, followed, s);
    if db.backend() == kith_storage::Backend::Postgres {
        // A database that grew to a million statuses has planner statistics (autovacuum
        // keeps them); one seeded in seconds has none until autovacuum gets to it.
        db.write_blocking(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("ANALYZE")
                .map_err(kith_storage::StorageError::from)
        })
        .unwrap();
    }
    let seeded = t.elapsed();

    let server = Server::start(db_url, dir.path(), port).await;
    println!(
        "{backend:>8}  start to first /health  {:>7.0} ms   on a database of {} statuses (seeded in {:.0} s)",
        server.start.as_secs_f64() * 1000.0,
        s.statuses,
        seeded.as_secs_f64()
    );

    // The rest of the 500 follows: remote actors that post while the timeline is read.
    let actors: Vec<Actor> = (0..s.actors)
        .map(|n| Actor::new(format!("/users/r{n}")))
        .collect();
    let (base, remote) = remote_server(&actors).await;
    let inbox = url::Url::parse(&server.url("/inbox")).unwrap();
    let client = reqwest::Client::new();
    warm_up(&client, &inbox, &actors, &base).await;
    for a in &actors {
        let ap_id = format!("{base}{}", a.path);
        let target = db
            .read(move |c| kith_storage::accounts::by_ap_id(c, &ap_id))
            .await
            .unwrap()
            .id;
        let rows = follow_rows(&[reader], target);
        db.write(move |c| insert_follows(c, &rows)).await.unwrap();
    }

    // The same reads with nothing else running: the difference to the figure under ingestion
    // is contention for the two cores, not the query work.
    let home = server.url("/api/v1/timelines/home?limit=20");
    let mut idle_ms = Vec::new();
    let idle_until = Instant::now() + Duration::from_secs_f64(s.ingest_secs / 4.0);
    while Instant::now() < idle_until {
        idle_ms.push(read_home(&client, &home, &token).await.0);
    }
    idle_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{backend:>8}  home timeline, idle    p50 {:>5.2} ms   p99 {:>5.2} ms server-side ({} requests, nothing else running)",
        quantile(&idle_ms, 0.5),
        quantile(&idle_ms, 0.99),
        idle_ms.len(),
    );

    let count = (s.ingest_rate * s.ingest_secs) as usize;
    let items = sign_many(&actors, &base, &inbox, s.actors, count);
    let before = remote_statuses(&db).await;
    let ingest = {
        let (client, inbox, rate) = (client.clone(), inbox.clone(), s.ingest_rate);
        tokio::spawn(async move {
            let start = Instant::now();
            let sent = paced(client, inbox, items, rate).await;
            let accepted = sent.iter().filter(|(_, status)| *status == 202).count();
            (accepted, start.elapsed())
        })
    };
    let home = server.url("/api/v1/timelines/home?limit=20");
    let (mut server_ms, mut client_ms) = (Vec::new(), Vec::new());
    while !ingest.is_finished() {
        let (server_side, client_side) = read_home(&client, &home, &token).await;
        server_ms.push(server_side);
        client_ms.push(client_side);
    }
    let (accepted, took) = ingest.await.unwrap();
    let stored = remote_statuses(&db).await - before;
    server_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    client_ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{backend:>8}  home timeline (20)      p50 {:>5.2} ms   p99 {:>5.2} ms server-side ({} requests; client-observed p50 {:.2} ms, p99 {:.2} ms), {} follows, {} statuses stored, while ingesting {:.0}/s ({accepted} accepted, {stored} stored)",
        quantile(&server_ms, 0.5),
        quantile(&server_ms, 0.99),
        server_ms.len(),
        quantile(&client_ms, 0.5),
        quantile(&client_ms, 0.99),
        s.follows,
        s.statuses,
        accepted as f64 / took.as_secs_f64(),
    );
    server.stop();
    remote.stop(false).await;
}

/// One page of the home timeline: (server-side ms from `Server-Timing`, client-observed ms).
async fn read_home(client: &reqwest::Client, home: &str, token: &str) -> (f64, f64) {
    let t = Instant::now();
    let res = client.get(home).bearer_auth(token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let timing = res
        .headers()
        .get("server-timing")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("dur=").nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .expect("Server-Timing header");
    let page: Vec<serde_json::Value> = res.json().await.unwrap();
    assert_eq!(page.len(), 20, "a full page");
    (timing, t.elapsed().as_secs_f64() * 1000.0)
}
