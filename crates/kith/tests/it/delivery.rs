//! The persistent outbox under stress: a `kith serve` process killed (SIGKILL) in the middle of
//! a fan-out delivers everything after a restart; two processes sharing one PostgreSQL outbox
//! send every delivery exactly once.

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use kith_storage::accounts::Account;
use kith_storage::follows::Follow;
use kith_storage::testing::TestDatabase;
use kith_storage::{outbox, Db};
use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Received = Arc<Mutex<HashMap<(String, String), u32>>>;

/// A slow inbox server that counts what it receives, per (inbox path, activity id).
struct Sink {
    port: u16,
    received: Received,
    handle: actix_web::dev::ServerHandle,
}

async fn sink(delay: Duration) -> Sink {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received: Received = Arc::default();
    let r = received.clone();
    let server = HttpServer::new(move || {
        let r = r.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let r = r.clone();
            async move {
                tokio::time::sleep(delay).await;
                let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let id = v["id"].as_str().unwrap_or_default().to_owned();
                *r.lock()
                    .unwrap()
                    .entry((req.path().to_owned(), id))
                    .or_default() += 1;
                HttpResponse::Accepted().finish()
            }
        }))
    })
    .workers(2)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Sink {
        port,
        received,
        handle,
    }
}

fn remote(port: u16, n: usize) -> Account {
    remote_account(port, &format!("f{n}"))
}

/// A remote account on the loopback server at `port`, with a personal inbox and no shared one.
pub(crate) fn remote_account(port: u16, name: &str) -> Account {
    let base = format!("http://localhost:{port}/users/{name}");
    let now = kith_storage::now();
    Account {
        id: kith_storage::id::new_id(),
        username: name.to_owned(),
        domain: Some(format!("localhost:{port}")),
        ap_id: base.clone(),
        actor_type: "Person".into(),
        display_name: String::new(),
        note: String::new(),
        avatar_url: None,
        header_url: None,
        url: None,
        locked: false,
        bot: false,
        // Personal inboxes only: one delivery per follower.
        inbox_url: format!("{base}/inbox"),
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: None,
        following_url: None,
        public_key_id: format!("{base}#main-key"),
        public_key_pem: "unused".into(),
        private_key_pem: None,
        created_at: now,
        updated_at: now,
        fetched_at: Some(now),
    }
}

struct Server {
    child: Child,
    base: String,
}

fn kith(
    db: &TestDatabase,
    dir: &std::path::Path,
    port: u16,
    domain: &str,
    args: &[&str],
) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kith"));
    cmd.args(args)
        .current_dir(dir)
        .env("KITH_DATABASE_URL", &db.url)
        .env("KITH_DOMAIN", domain)
        .env("KITH_BIND", format!("127.0.0.1:{port}"))
        .env("KITH_DEV_MODE", "true")
        .env("KITH_LOG", "warn")
        .env_remove("KITH_CONFIG");
    cmd
}

async fn serve(db: &TestDatabase, dir: &std::path::Path, port: u16, domain: &str) -> Server {
    let child = kith(db, dir, port, domain, &["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reqwest::get(format!("{base}/health"))
        .await
        .map(|r| r.status().is_success())
        .unwrap_or(false)
    {
        assert!(Instant::now() < deadline, "kith did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Server { child, base }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Makes ana (via the CLI) with `per_sink` remote followers on each sink; returns her token.
async fn setup(
    db: &TestDatabase,
    dir: &std::path::Path,
    domain: &str,
    sinks: &[Sink],
    per_sink: usize,
) -> String {
    let out = kith(
        db,
        dir,
        0,
        domain,
        &["admin", "create-user", "ana", "--password", "correct horse"],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kith(
        db,
        dir,
        0,
        domain,
        &["admin", "token", "ana", "--scopes", "read write"],
    )
    .output()
    .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let store = Db::connect(&db.url, 2).unwrap();
    let mut rows = Vec::new();
    for s in sinks {
        for n in 0..per_sink {
            rows.push(remote(s.port, n));
        }
    }
    store
        .write(move |c| {
            let ana = kith_storage::accounts::local_by_username(c, "ana")?;
            for a in &rows {
                kith_storage::accounts::insert(c, a)?;
                kith_storage::follows::insert(
                    c,
                    &Follow {
                        id: kith_storage::id::new_id(),
                        account_id: a.id,
                        target_account_id: ana.id,
                        ap_id: format!("{}#follow", a.ap_id),
                        accepted: true,
                        created_at: kith_storage::now(),
                    },
                )?;
            }
            Ok(())
        })
        .await
        .unwrap();
    token
}

async fn post(base: &str, token: &str, text: &str) {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/statuses"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "status": text }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

fn deliveries(sinks: &[Sink]) -> (usize, u32) {
    let mut distinct = 0;
    let mut total = 0;
    for s in sinks {
        for n in s.received.lock().unwrap().values() {
            distinct += 1;
            total += n;
        }
    }
    (distinct, total)
}

async fn pending(db: &TestDatabase) -> i64 {
    Db::connect(&db.url, 1)
        .unwrap()
        .read(outbox::pending)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_delivers_everything_after_restart() {
    for db in TestDatabase::each_backend() {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let domain = format!("localhost:{port}");
        let sinks: Vec<Sink> = futures_sinks(8, Duration::from_millis(250)).await;
        let per_sink = 25;
        let token = setup(&db, dir.path(), &domain, &sinks, per_sink).await;
        let expected = sinks.len() * per_sink;

        let mut first = serve(&db, dir.path(), port, &domain).await;
        post(&first.base, &token, "a post to many inboxes").await;
        // Wait until some, not all, have arrived, then kill the process outright.
        let deadline = Instant::now() + Duration::from_secs(30);
        while deliveries(&sinks).0 < expected / 5 {
            assert!(Instant::now() < deadline, "fan-out did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.child.kill().unwrap();
        first.child.wait().unwrap();
        let (before, _) = deliveries(&sinks);
        assert!(
            before < expected,
            "the kill came after the fan-out ended ({before}/{expected})"
        );
        let left = pending(&db).await;
        assert!(left > 0, "nothing was left to deliver");
        eprintln!(
            "{:?}: killed with {before}/{expected} delivered, {left} pending",
            db.backend
        );

        // On PostgreSQL the dead process's claims expire (30 s lease); on SQLite they are
        // released at start.
        let mut second = serve(&db, dir.path(), port, &domain).await;
        let deadline = Instant::now() + Duration::from_secs(90);
        while deliveries(&sinks).0 < expected || pending(&db).await > 0 {
            assert!(
                Instant::now() < deadline,
                "not everything was delivered after the restart: {:?}",
                deliveries(&sinks)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (distinct, total) = deliveries(&sinks);
        assert_eq!(distinct, expected, "every inbox got the post");
        // Only requests in flight at the kill can repeat (the receiver dedupes them by id):
        // at most 4 per host.
        let repeats = total as usize - distinct;
        assert!(repeats <= 4 * sinks.len(), "{repeats} repeats");
        eprintln!(
            "{:?}: all {expected} delivered; {repeats} repeated from the kill",
            db.backend
        );
        second.child.kill().unwrap();
        second.child.wait().unwrap();
        for s in sinks {
            s.handle.stop(false).await;
        }
    }
}

async fn futures_sinks(n: usize, delay: Duration) -> Vec<Sink> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(sink(delay).await);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_postgres_outbox_without_sending_twice() {
    if !std::env::var("KITH_TEST_BACKENDS")
        .unwrap_or_else(|_| "postgres".into())
        .contains("postgres")
    {
        return;
    }
    let db = TestDatabase::postgres();
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (free_port(), free_port());
    let domain = format!("localhost:{p1}");
    let sinks = futures_sinks(6, Duration::from_millis(30)).await;
    let per_sink = 20;
    let token = setup(&db, dir.path(), &domain, &sinks, per_sink).await;
    let mut a = serve(&db, dir.path(), p1, &domain).await;
    let mut b = serve(&db, dir.path(), p2, &domain).await;
    for n in 0..3 {
        post(&a.base, &token, &format!("post {n} from process a")).await;
        post(&b.base, &token, &format!("post {n} from process b")).await;
    }
    let expected = sinks.len() * per_sink * 6;
    let deadline = Instant::now() + Duration::from_secs(60);
    while deliveries(&sinks).0 < expected || pending(&db).await > 0 {
        assert!(
            Instant::now() < deadline,
            "not all delivered: {:?} of {expected}",
            deliveries(&sinks)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (distinct, total) = deliveries(&sinks);
    assert_eq!(distinct, expected);
    assert_eq!(total as usize, expected, "no delivery was sent twice");
    for s in [&mut a, &mut b] {
        s.child.kill().unwrap();
        s.child.wait().unwrap();
    }
}
