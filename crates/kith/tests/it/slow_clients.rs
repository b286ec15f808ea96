//! Slow and broken clients: headers or bodies sent a byte at a time, bodies that stall, a
//! multipart body without its closing boundary. Each gets an answer (408 or 4xx) and its
//! connection is closed, and meanwhile the inbox accepts signed deliveries and `/health`
//! answers. Clients connect to 127.0.0.1 only; every loop is bounded.

use crate::inbox::{actor_doc, key, note, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{client, Instance};
use kith_storage::testing::TestDatabase;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Where the instance listens (its domain is `localhost:PORT`).
fn addr(i: &Instance) -> SocketAddr {
    let port: u16 = i.domain.rsplit(':').next().unwrap().parse().unwrap();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Starts an instance whose header and body deadlines are `secs` seconds.
async fn start_with_deadlines(db: &TestDatabase, secs: u64) -> Instance {
    Instance::start_with(db, |c| {
        c.header_timeout = secs;
        c.body_timeout = secs;
    })
    .await
}

/// Reads what the server sends until it closes the connection, for at most 30 seconds
/// (`None` if it is still open then).
async fn read_until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    match tokio::time::timeout(Duration::from_secs(30), read).await {
        Ok(_) => Some(answer),
        Err(_) => None,
    }
}

/// Sends the head and the start of a body that announces more, then stalls; returns what the
/// server answered before closing the connection.
async fn stalled_body(i: &Instance, path: &str, content_type: &str, start: &str) -> String {
    let mut stream = TcpStream::connect(addr(i)).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\nContent-Length: 500\r\n\r\n",
        i.domain
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(start.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream)
        .await
        .unwrap_or_else(|| panic!("POST {path}: no answer, connection still open"));
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_api_bodies_get_408_and_are_disconnected() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let i = start_with_deadlines(&db, 2).await;
        let json = stalled_body(&i, "/api/v1/apps", "application/json", "{\"client_name\":").await;
        assert!(json.starts_with("HTTP/1.1 408"), "{json}");
        assert!(json.contains("{\"error\":"), "{json}");
        let multipart = stalled_body(
            &i,
            "/api/v1/apps",
            "multipart/form-data; boundary=X",
            "--X\r\nContent-Disposition: form-data; name=\"client_name\"\r\n\r\nslo",
        )
        .await;
        assert!(multipart.starts_with("HTTP/1.1 408"), "{multipart}");
        let inbox = stalled_body(&i, "/inbox", "application/activity+json", "{\"id\":").await;
        assert!(inbox.starts_with("HTTP/1.1 408"), "{inbox}");
        // A chunked body trickled a chunk a second is cut off too, not drained forever.
        let stream = TcpStream::connect(addr(&i)).await.unwrap();
        let head = format!(
            "POST /inbox HTTP/1.1\r\nHost: {}\r\nContent-Type: application/activity+json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{{\r\n",
            i.domain
        );
        let chunks = b"1\r\n \r\n".repeat(MAX_WRITES);
        let open = Arc::new(AtomicUsize::new(1));
        let chunked = trickle(stream, head.into_bytes(), chunks, open).await;
        let answer = chunked
            .answer
            .expect("the server closes a trickled chunked body");
        assert!(
            answer.starts_with(b"HTTP/1.1 408"),
            "{}",
            String::from_utf8_lossy(&answer)
        );
        i.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_multipart_body_without_its_closing_boundary_is_answered() {
    on_each_backend!(async |i: &Instance| {
        // 66 bytes, complete as far as Content-Length goes, but the closing boundary is missing.
        let body = "--X\r\nContent-Disposition: form-data; name=\"client_name\"\r\n\r\nmyapp\r\n";
        assert_eq!(body.len(), 66);
        let res = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap()
            .post(i.url("/api/v1/apps"))
            .header("content-type", "multipart/form-data; boundary=X")
            .body(body)
            .send()
            .await
            .expect("an answer, not a hang");
        assert!(res.status().is_client_error(), "{}", res.status());
        let error: serde_json::Value = res.json().await.unwrap();
        assert!(error["error"].is_string(), "{error}");
    });
}

/// Slow clients of each kind, half of them sending their head a byte at a time, half sending
/// their body so (most to the inbox, some to the API, some chunked).
const SLOW_HEADS: usize = 1000;
const SLOW_BODIES: usize = 1000;
/// The deadlines of the instance under load, in seconds.
const DEADLINE: u64 = 8;
/// A slow client writes at most this many bytes, one every `WRITE_EVERY`, before it gives up
/// on the server ever closing its connection (far beyond the deadline).
const MAX_WRITES: usize = 40;
const WRITE_EVERY: Duration = Duration::from_millis(1500);

/// What happened to one slow client.
struct Outcome {
    /// What the server sent before closing, or `None` if it never closed.
    answer: Option<Vec<u8>>,
}

/// Writes `first` at once, then `rest` a byte every `WRITE_EVERY`, until the server closes the
/// connection (or `MAX_WRITES` bytes have gone out). `open` counts connections not yet closed.
async fn trickle(
    mut stream: TcpStream,
    first: Vec<u8>,
    rest: Vec<u8>,
    open: Arc<AtomicUsize>,
) -> Outcome {
    let (mut rd, mut wr) = stream.split();
    let answer = async {
        let mut answer = Vec::new();
        let _ = rd.read_to_end(&mut answer).await; // a reset ends it too
        answer
    };
    tokio::pin!(answer);
    let mut written = 0;
    let result = 'conn: {
        if wr.write_all(&first).await.is_err() {
            break 'conn Some(answer.await);
        }
        while written < MAX_WRITES.min(rest.len()) {
            tokio::select! {
                got = &mut answer => break 'conn Some(got),
                () = tokio::time::sleep(WRITE_EVERY) => {
                    if wr.write_all(&rest[written..=written]).await.is_err() {
                        break 'conn tokio::time::timeout(Duration::from_secs(30), answer).await.ok();
                    }
                    written += 1;
                }
            }
        }
        None
    };
    open.fetch_sub(1, Ordering::SeqCst);
    Outcome { answer: result }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_slow_clients_do_not_starve_the_inbox() {
    // Each slow client is two files here (its end and the server's), plus the instance's own.
    let wanted = 2 * (SLOW_HEADS + SLOW_BODIES) as u64 + 1024;
    let limit = rlimit::increase_nofile_limit(wanted).unwrap();
    assert!(
        limit >= wanted,
        "open-files limit {limit} is below {wanted}"
    );
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let i = start_with_deadlines(&db, DEADLINE).await;
        let fake = Fake::start().await;
        let k = key();
        let eve = format!("{}/users/eve", fake.base);
        let eve_key = format!("{eve}#main-key");
        fake.serve(&eve, actor_doc(&eve, &eve_key, &k.public_pem));

        let open = Arc::new(AtomicUsize::new(0));
        let mut clients = Vec::new();
        for n in 0..SLOW_HEADS + SLOW_BODIES {
            let stream = TcpStream::connect(addr(&i)).await.unwrap();
            open.fetch_add(1, Ordering::SeqCst);
            let (first, rest) = if n < SLOW_HEADS {
                let head = format!(
                    "POST /inbox HTTP/1.1\r\nHost: {}\r\nContent-Type: application/activity+json\r\nContent-Length: 1000\r\n\r\n",
                    i.domain
                );
                (head.as_bytes()[..1].to_vec(), head.as_bytes()[1..].to_vec())
            } else {
                // Four in five to the inbox, which must keep its slots for real deliveries;
                // one in five of those chunked rather than with a length.
                let path = if n % 5 == 0 { "/api/v1/apps" } else { "/inbox" };
                let (framing, rest) = if n % 5 == 1 {
                    (
                        "Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
                        b"1\r\n \r\n".repeat(200),
                    )
                } else {
                    ("Content-Length: 1000\r\n\r\n{", vec![b' '; 999])
                };
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{framing}",
                    i.domain
                );
                (head.into_bytes(), rest)
            };
            clients.push(tokio::spawn(trickle(stream, first, rest, open.clone())));
        }
        assert_eq!(open.load(Ordering::SeqCst), SLOW_HEADS + SLOW_BODIES);

        // Meanwhile, signed deliveries go in and the health check answers.
        let c = client();
        for n in 0..5 {
            let id = format!("{}/notes/{n}", fake.base);
            let body = note(&eve, &id, "still here").to_string().into_bytes();
            let status = post_signed(&i.url("/inbox"), &body, &eve_key, &k, Spoil::None).await;
            assert_eq!(status, 202, "delivery {n} under load");
        }
        let health = c.get(i.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), 200);
        let still_open = open.load(Ordering::SeqCst);
        assert!(
            still_open > 0,
            "the slow clients were all gone before the deliveries finished; the test proved nothing"
        );
        eprintln!("{still_open} slow clients still open after the deliveries");

        // Then the server closes every slow connection, each with a 408.
        let mut never_closed = 0;
        let mut not_408 = Vec::new();
        for client in clients {
            match client.await.unwrap().answer {
                None => never_closed += 1,
                Some(answer) if !answer.starts_with(b"HTTP/1.1 408") => {
                    not_408.push(String::from_utf8_lossy(&answer).into_owned())
                }
                Some(_) => {}
            }
        }
        assert_eq!(never_closed, 0, "slow connections the server never closed");
        assert!(
            not_408.is_empty(),
            "answers other than 408: {:?}",
            &not_408[..not_408.len().min(3)]
        );
        fake.stop().await;
        i.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn later_heads_on_a_kept_alive_connection_have_a_deadline_too() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        // Heads within 2 s, idle connections kept 2 s: a later head must be complete 4 s
        // after the last answer.
        let i = Instance::start_with(&db, |c| {
            c.header_timeout = 2;
            c.keep_alive = 2;
        })
        .await;
        let request = format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", i.domain);

        // A client that keeps asking, a little more slowly than the limit in all, keeps
        // its connection.
        let mut stream = TcpStream::connect(addr(&i)).await.unwrap();
        for n in 0..4 {
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = vec![0u8; 4096];
            let got = stream.read(&mut answer).await.unwrap();
            assert!(
                answer[..got].starts_with(b"HTTP/1.1 200"),
                "request {n}: {}",
                String::from_utf8_lossy(&answer[..got])
            );
            tokio::time::sleep(Duration::from_millis(1500)).await;
        }

        // One that answers fast once, then sends its next head a byte at a time, is cut off.
        let mut stream = TcpStream::connect(addr(&i)).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let got = stream.read(&mut answer).await.unwrap();
        assert!(answer[..got].starts_with(b"HTTP/1.1 200"));
        let open = Arc::new(AtomicUsize::new(1));
        let slow = trickle(stream, Vec::new(), request.into_bytes(), open).await;
        assert!(
            slow.answer.is_some(),
            "a second head sent a byte at a time kept its connection"
        );
        i.stop().await;
    }
}
