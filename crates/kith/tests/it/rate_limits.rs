//! Issue 10, rate limits: every client-API request counts per token (per address without
//! one), with Mastodon's `X-RateLimit-*` headers and 429 past the limit; sign-ups per address
//! (behind a trusted proxy, the address it names), posts per account; and two `kith serve`
//! processes sharing one PostgreSQL database count together.

use crate::rig::{client, Instance, User};
use kith_storage::testing::TestDatabase;
use reqwest::{Method, Response};
use serde_json::{json, Value};

fn header(res: &Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .to_str()
        .unwrap()
        .to_owned()
}

fn remaining(res: &Response) -> i64 {
    header(res, "x-ratelimit-remaining").parse().unwrap()
}

async fn get_as(i: &Instance, path: &str, token: Option<&str>) -> Response {
    let mut req = client().get(i.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn assert_refused(res: Response, limit: &str) {
    assert_eq!(res.status(), 429);
    assert_eq!(header(&res, "x-ratelimit-limit"), limit);
    assert_eq!(remaining(&res), 0);
    let reset = header(&res, "x-ratelimit-reset");
    let reset = chrono::DateTime::parse_from_rfc3339(&reset).expect("ISO 8601 reset time");
    assert!(reset > chrono::Utc::now(), "the window ends later");
    let wait: i64 = header(&res, "retry-after").parse().unwrap();
    assert!(wait >= 1);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"error": "Too many requests"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_requests_are_counted_per_token_and_per_address() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let i = Instance::start_with(&db, |c| {
            c.rate_limit_api = "3/5m".into();
            c.rate_limit_exempt_loopback = false;
            c.trusted_proxies = vec!["127.0.0.1".into()];
        })
        .await;
        let ana = User::new(&i, "ana").await;
        for left in [2, 1, 0] {
            let res = get_as(&i, "/api/v1/accounts/verify_credentials", Some(&ana.token)).await;
            assert_eq!(res.status(), 200);
            assert_eq!(header(&res, "x-ratelimit-limit"), "3");
            assert_eq!(remaining(&res), left);
        }
        // Past the limit every route is refused for that token, before its handler runs.
        assert_refused(
            get_as(&i, "/api/v1/accounts/verify_credentials", Some(&ana.token)).await,
            "3",
        )
        .await;
        let res = client()
            .post(i.url("/api/v1/statuses"))
            .bearer_auth(&ana.token)
            .json(&json!({"status": "not posted"}))
            .send()
            .await
            .unwrap();
        assert_refused(res, "3").await;
        assert_eq!(
            i.context
                .db
                .read(kith_storage::statuses::count_local)
                .await
                .unwrap(),
            0
        );
        // Another token of the same person has its own count.
        let ana_row = i
            .context
            .db
            .read(|c| kith_storage::accounts::local_by_username(c, "ana"))
            .await
            .unwrap();
        let other = i.token(&ana_row, "read").await;
        let res = get_as(&i, "/api/v1/accounts/verify_credentials", Some(&other)).await;
        assert_eq!(res.status(), 200);
        assert_eq!(remaining(&res), 2);

        // Without a token, by address: the peer, or behind a trusted proxy the address it
        // names; a bad token counts there too.
        let anonymous = |from: &'static str| {
            client()
                .get(i.url("/api/v1/instance"))
                .header("x-forwarded-for", from)
                .send()
        };
        for left in [2, 1, 0] {
            let res = anonymous("203.0.113.7").await.unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(remaining(&res), left);
        }
        assert_refused(anonymous("203.0.113.7").await.unwrap(), "3").await;
        let res = client()
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .header("x-forwarded-for", "203.0.113.7")
            .bearer_auth("not-a-token")
            .send()
            .await
            .unwrap();
        assert_refused(res, "3").await;
        let res = anonymous("198.51.100.20").await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(remaining(&res), 2);
        i.stop().await;
    }
}

async fn app_token(i: &Instance) -> String {
    kith_core::tokens::issue(
        &i.context.db,
        None,
        None,
        &kith_core::Scopes::parse("read write").unwrap(),
    )
    .await
    .unwrap()
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_are_limited_per_address_and_posts_per_account() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let i = Instance::start_with(&db, |c| {
            c.rate_limit_sign_ups = "2/30m".into();
            c.rate_limit_exempt_loopback = false;
            c.rate_limit_statuses = "2/3h".into();
            c.trusted_proxies = vec!["127.0.0.1".into()];
        })
        .await;
        let admin = User::with_role(
            &i,
            "root",
            kith_core::accounts::Role::Admin,
            "read write admin:read admin:write",
        )
        .await;
        let res = client()
            .put(i.url("/api/v1/admin/registrations"))
            .bearer_auth(&admin.token)
            .json(&json!({"mode": "open"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let app = app_token(&i).await;
        let sign_up = |name: &str, from: &'static str| {
            client()
                .post(i.url("/api/v1/accounts"))
                .bearer_auth(&app)
                .header("x-forwarded-for", from)
                .json(&json!({"username": name, "password": "long enough pw",
                              "agreement": true, "locale": "en"}))
                .send()
        };
        for (name, left) in [("one", 1), ("two", 0)] {
            let res = sign_up(name, "203.0.113.8").await.unwrap();
            assert_eq!(res.status(), 200, "{name}");
            assert_eq!(header(&res, "x-ratelimit-limit"), "2");
            assert_eq!(remaining(&res), left);
        }
        assert_refused(sign_up("three", "203.0.113.8").await.unwrap(), "2").await;
        let res = sign_up("three", "198.51.100.9").await.unwrap();
        assert_eq!(res.status(), 200);

        // Posts per account: the API limit is far, the posts' one is near.
        let ana = User::new(&i, "ana").await;
        for n in 0..2 {
            ana.post("/api/v1/statuses", json!({"status": format!("post {n}")}))
                .await;
        }
        let res = client()
            .post(i.url("/api/v1/statuses"))
            .bearer_auth(&ana.token)
            .json(&json!({"status": "one too many"}))
            .send()
            .await
            .unwrap();
        assert_refused(res, "2").await;
        assert_eq!(
            ana.status_code(Method::GET, "/api/v1/timelines/home").await,
            200
        );
        i.stop().await;
    }
}

/// Without trusted proxies, `X-Forwarded-For` changes nothing: the peer is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let db = TestDatabase::sqlite();
    let i = Instance::start_with(&db, |c| {
        c.rate_limit_api = "2/5m".into();
        c.rate_limit_exempt_loopback = false;
    })
    .await;
    for from in ["203.0.113.1", "203.0.113.2"] {
        let res = client()
            .get(i.url("/api/v1/instance"))
            .header("x-forwarded-for", from)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = client()
        .get(i.url("/api/v1/instance"))
        .header("x-forwarded-for", "203.0.113.3")
        .send()
        .await
        .unwrap();
    assert_refused(res, "2").await;
    i.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_count_together() {
    if !std::env::var("KITH_TEST_BACKENDS")
        .unwrap_or_else(|_| "postgres".into())
        .contains("postgres")
    {
        return;
    }
    let db = TestDatabase::postgres();
    let first = Instance::start_with(&db, |c| {
        c.rate_limit_api = "4/5m".into();
        c.rate_limit_exempt_loopback = false;
    })
    .await;
    let ana = User::new(&first, "ana").await;
    // A second `kith serve` process on the same database and domain, with the same limit.
    let dir = tempfile::tempdir().unwrap();
    let port = crate::delivery::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("serve")
        .current_dir(dir.path())
        .env("KITH_DATABASE_URL", &db.url)
        .env("KITH_DOMAIN", &first.domain)
        .env("KITH_BIND", format!("127.0.0.1:{port}"))
        .env("KITH_DEV_MODE", "true")
        .env("KITH_LOG", "warn")
        .env("KITH_RATE_LIMIT_API", "4/5m")
        .env("KITH_RATE_LIMIT_EXEMPT_LOOPBACK", "false")
        .env_remove("KITH_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let second = format!("http://127.0.0.1:{port}");
    crate::rig::eventually("the second process answers", || {
        let url = format!("{second}/health");
        async move {
            reqwest::get(url)
                .await
                .ok()
                .filter(|r| r.status().is_success())
        }
    })
    .await;
    let on = |base: &str| {
        client()
            .get(format!("{base}/api/v1/accounts/verify_credentials"))
            .bearer_auth(&ana.token)
            .send()
    };
    let mut seen = Vec::new();
    for base in [&first.base, &second, &first.base, &second] {
        let res = on(base).await.unwrap();
        assert_eq!(res.status(), 200);
        seen.push(remaining(&res));
    }
    assert_eq!(seen, vec![3, 2, 1, 0]);
    assert_refused(on(&first.base).await.unwrap(), "4").await;
    assert_refused(on(&second).await.unwrap(), "4").await;
    child.kill().unwrap();
    let _ = child.wait();
    first.stop().await;
}
