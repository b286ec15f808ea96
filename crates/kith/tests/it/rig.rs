//! The test rig: starts a real instance (the same wiring as `kith serve`) on a free loopback
//! port with a fresh database, and offers a plain HTTP client that does not follow redirects.

use kith::config::Config;
use kith_storage::testing::TestDatabase;
use std::net::TcpListener;

pub struct Instance {
    pub base: String,
    pub domain: String,
    pub context: kith_federation::KithContext,
    pub handle: actix_web::dev::ServerHandle,
    pub worker: tokio::task::JoinHandle<()>,
    _data_dir: tempfile::TempDir,
}

impl Instance {
    /// Starts an instance on `db` in development mode (plain http, loopback peers).
    pub async fn start(db: &TestDatabase) -> Instance {
        Instance::start_with(db, |_| {}).await
    }

    /// Starts an instance with development mode off, as a public instance runs (https ids,
    /// outgoing requests to public addresses only); the tests still reach it over http.
    pub async fn start_public(db: &TestDatabase) -> Instance {
        Instance::start_with(db, |c| c.dev_mode = false).await
    }

    /// Starts an instance named by its IP address (`127.0.0.1:PORT`, not `localhost:PORT`),
    /// in development mode unless `tweak` turns it off.
    pub async fn start_on_ip(db: &TestDatabase, tweak: impl FnOnce(&mut Config)) -> Instance {
        Instance::start_with(db, |c| {
            c.domain = c.domain.replace("localhost", "127.0.0.1");
            tweak(c)
        })
        .await
    }

    /// Starts an instance with a configuration tweak.
    pub async fn start_with(db: &TestDatabase, tweak: impl FnOnce(&mut Config)) -> Instance {
        Instance::try_start_with(db, tweak)
            .await
            .expect("start instance")
    }

    /// Starts an instance with a configuration tweak, or says why it did not start.
    pub async fn try_start_with(
        db: &TestDatabase,
        tweak: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Instance> {
        // Logs show up for failing tests (the test harness captures them); RUST_LOG tunes them.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| "info,actix_web=warn".into()),
            )
            .with_test_writer()
            .try_init();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().unwrap().port();
        let data_dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            domain: format!("localhost:{port}"),
            bind: format!("127.0.0.1:{port}"),
            data_dir: data_dir.path().to_owned(),
            database_url: db.url.clone(),
            database_max_connections: 4,
            dev_mode: true,
            instance_title: "Kith test".into(),
            ..Config::default()
        };
        tweak(&mut config);
        let domain = config.domain.clone();
        // Reached on the port it listens on, by the host its domain names.
        let host = if domain.starts_with("127.0.0.1") {
            "127.0.0.1"
        } else {
            "localhost"
        };
        let started = kith::serve::start(config, Some(listener)).await?;
        tokio::spawn(started.server);
        Ok(Instance {
            base: format!("http://{host}:{port}"),
            domain,
            context: started.context,
            handle: started.handle,
            worker: started.worker,
            _data_dir: data_dir,
        })
    }

    /// The instance's data directory (local media storage is under `media/`).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a local user through the same code path as `kith admin create-user`.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
    ) -> kith_storage::accounts::Account {
        kith_core::accounts::create_local_user(
            &self.context.db,
            &self.context.urls,
            kith_core::accounts::NewLocalUser {
                username: username.into(),
                password: password.into(),
                email: Some(format!("{username}@mail.example")),
                role: kith_core::accounts::Role::User,
            },
        )
        .await
        .expect("create user")
    }

    /// A bearer token for `account` with `scopes`, as `kith admin token` issues.
    pub async fn token(&self, account: &kith_storage::accounts::Account, scopes: &str) -> String {
        let scopes = kith_core::Scopes::parse(scopes).unwrap();
        kith_core::tokens::issue(&self.context.db, None, Some(account.id), &scopes)
            .await
            .unwrap()
            .0
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        self.worker.abort();
    }
}

/// An HTTP client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Runs `scenario` once per backend under test, each on a fresh database.
#[macro_export]
macro_rules! on_each_backend {
    ($scenario:expr) => {
        for db in kith_storage::testing::TestDatabase::each_backend() {
            eprintln!("--- backend {:?}", db.backend);
            let instance = $crate::rig::Instance::start(&db).await;
            $scenario(&instance).await;
            instance.stop().await;
        }
    };
}

/// Runs `scenario` once per backend under test, each on a fresh database, on an instance
/// started with the configuration tweak `tweak`.
#[macro_export]
macro_rules! on_each_backend_with {
    ($tweak:expr, $scenario:expr) => {
        for db in kith_storage::testing::TestDatabase::each_backend() {
            eprintln!("--- backend {:?}", db.backend);
            let instance = $crate::rig::Instance::start_with(&db, $tweak).await;
            $scenario(&instance).await;
            instance.stop().await;
        }
    };
}

/// A signed-in user of an instance, for driving the client API.
pub struct User {
    pub token: String,
    pub id: String,
    pub base: String,
    client: reqwest::Client,
}

impl User {
    pub async fn new(i: &Instance, username: &str) -> User {
        let account = i.create_user(username, "correct horse").await;
        User {
            token: i.token(&account, "read write follow").await,
            id: account.id.to_string(),
            base: i.base.clone(),
            client: client(),
        }
    }

    /// A user of `i` acting with `token` (made elsewhere, e.g. with a role).
    pub fn with_token(i: &Instance, account_id: i64, token: String) -> User {
        User {
            token,
            id: account_id.to_string(),
            base: i.base.clone(),
            client: client(),
        }
    }

    /// A user with a role (`Role::Moderator`, `Role::Admin`) and a token with `scopes`.
    pub async fn with_role(
        i: &Instance,
        username: &str,
        role: kith_core::accounts::Role,
        scopes: &str,
    ) -> User {
        let account = kith_core::accounts::create_local_user(
            &i.context.db,
            &i.context.urls,
            kith_core::accounts::NewLocalUser {
                username: username.into(),
                password: "correct horse".into(),
                email: Some(format!("{username}@mail.example")),
                role,
            },
        )
        .await
        .expect("create user");
        User {
            token: i.token(&account, scopes).await,
            id: account.id.to_string(),
            base: i.base.clone(),
            client: client(),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn json(&self, path: &str) -> serde_json::Value {
        let res = self.get(path).await;
        assert!(res.status().is_success(), "GET {path}: {}", res.status());
        res.json().await.unwrap()
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let res = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// Lets direct messages from people this user does not follow through: by default (as in
    /// Mastodon 4.3) a stranger's private mention is held as a message request (`shields`).
    pub async fn accept_private_mentions(&self) {
        let res = self
            .client
            .patch(format!("{}/api/v2/notifications/policy", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({"for_private_mentions": "accept"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "PATCH notification policy");
    }

    pub async fn status_code(&self, method: reqwest::Method, path: &str) -> u16 {
        self.client
            .request(method, format!("{}{}", self.base, path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Finds `handle` (resolving it remotely) and returns its local account id.
    pub async fn resolve(&self, handle: &str) -> String {
        let found = self
            .json(&format!(
                "/api/v2/search?resolve=true&type=accounts&q={}",
                urlencode(handle)
            ))
            .await;
        found["accounts"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{handle} not found: {found}"))
            .to_owned()
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Polls `check` until it returns `Some`, for up to 20 seconds.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What a browser holds after showing a signed-out form (the sign-up or OAuth sign-in page):
/// the form-token cookie and the token in the form's hidden `csrf` field.
#[derive(Debug, Clone)]
pub struct FormToken {
    /// `name=value`, as a `Cookie` header carries it.
    pub cookie: String,
    pub token: String,
}

impl FormToken {
    /// Reads the page at `url` as a browser would, keeping its form token.
    pub async fn fetch(url: &str) -> FormToken {
        let res = client().get(url).send().await.unwrap();
        assert_eq!(res.status(), 200, "GET {url}");
        let cookie = res
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("kith_"))
            .unwrap_or_else(|| panic!("GET {url} set no form cookie"));
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let html = res.text().await.unwrap();
        let token = html
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("GET {url} has no csrf field"))
            .to_owned();
        FormToken { cookie, token }
    }

    /// `req` sent as the browser would send the form: with the cookie.
    pub fn on(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        req.header("cookie", &self.cookie)
    }
}
