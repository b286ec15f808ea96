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
    _data_dir: tempfile::TempDir,
}

impl Instance {
    /// Starts an instance on `db` in development mode (plain http, loopback peers).
    pub async fn start(db: &TestDatabase) -> Instance {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = listener.local_addr().unwrap().port();
        let data_dir = tempfile::tempdir().unwrap();
        let config = Config {
            domain: format!("localhost:{port}"),
            bind: format!("127.0.0.1:{port}"),
            data_dir: data_dir.path().to_owned(),
            database_url: db.url.clone(),
            database_max_connections: 4,
            dev_mode: true,
            instance_title: "Kith test".into(),
            ..Config::default()
        };
        let started = kith::serve::start(config, Some(listener))
            .await
            .expect("start instance");
        tokio::spawn(started.server);
        Instance {
            base: format!("http://localhost:{port}"),
            domain: format!("localhost:{port}"),
            context: started.context,
            handle: started.handle,
            _data_dir: data_dir,
        }
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
