//! Configuration: built-in defaults, then `kith.toml` (if present), then `KITH_*` environment
//! variables. Every key is documented in `docs/configuration.md` and `kith.example.toml`.

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Kith's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The instance's authority in ids and handles: `social.example` or `localhost:8080`.
    pub domain: String,
    /// Address to listen on.
    pub bind: String,
    /// Where Kith keeps its files (the SQLite database by default).
    pub data_dir: PathBuf,
    /// `postgres://…` for PostgreSQL; otherwise a SQLite file path or `sqlite://PATH`.
    /// Empty means `DATA_DIR/kith.db`.
    pub database_url: String,
    /// Most database connections to hold open.
    pub database_max_connections: u32,
    /// Development mode: plain http ids and loopback/private peers. Never in production.
    pub dev_mode: bool,
    /// Require HTTP signatures on ActivityPub reads (Mastodon's "secure mode").
    pub authorized_fetch: bool,
    /// Inbox activities in progress at once; beyond it the inbox answers 503 with
    /// `Retry-After` (a bounded queue rather than an unbounded pile-up).
    pub inbox_queue: usize,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` gives the client's
    /// address, for the login throttle. Empty: the header is ignored and the peer is the client.
    pub trusted_proxies: Vec<String>,
    /// Seconds a client has to send a request's headers; then it gets 408 and is disconnected.
    pub header_timeout: u64,
    /// Seconds a client has to send a request's whole body (inbox and API); then it gets 408
    /// and is disconnected.
    pub body_timeout: u64,
    /// Seconds an idle keep-alive connection stays open.
    pub keep_alive: u64,
    /// Most connections open at once, all worker threads together; more wait in the backlog.
    pub max_connections: usize,
    /// The instance's name.
    pub instance_title: String,
    /// A short description of the instance.
    pub instance_description: String,
    /// Contact address for the admins.
    pub contact_email: String,
    /// The instance's rules, shown in order by apps (`/api/v1/instance/rules`).
    pub rules: Vec<String>,
    /// Log filter, as `RUST_LOG` takes it (`info`, `kith=debug,info`).
    pub log: String,
    /// Where uploaded media files are kept: `local` (a directory, `media_dir`) or `s3`
    /// (S3-compatible object storage, shareable by several processes).
    pub media_storage: String,
    /// The directory for `local` media storage. Empty means `DATA_DIR/media`.
    pub media_dir: String,
    /// S3-compatible storage: endpoint URL (empty for AWS), bucket, region and credentials.
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key_id: String,
    pub s3_secret_access_key: String,
    /// `blocklist` (federate with everyone but suspended domains) or `allowlist` (federate
    /// only with the domains in the allow-list, `/api/v1/admin/domain_allows`).
    pub federation_mode: String,
    /// Who may read `GET /api/v1/instance/domain_blocks`: `all`, `users` (signed-in users) or
    /// `disabled` (nobody; 404).
    pub show_domain_blocks: String,
    /// Client-API rate limits, each `LIMIT/PERIOD` (`300/5m`; units s, m, h, d) or `off`.
    /// Every API request, per token (per client address without a valid token).
    pub rate_limit_api: String,
    /// Media uploads per account.
    pub rate_limit_media: String,
    /// New posts and boosts per account.
    pub rate_limit_statuses: String,
    /// Deleted posts and undone boosts per account.
    pub rate_limit_deletes: String,
    /// Follows per account.
    pub rate_limit_follows: String,
    /// Sign-ups (`POST /api/v1/accounts` and the sign-up page, together) per client address.
    pub rate_limit_sign_ups: String,
    /// Leave requests from this machine itself uncounted (a loopback peer with no forwarding
    /// header), as Mastodon safelists localhost.
    pub rate_limit_exempt_loopback: bool,
    /// Shields: the notification policy a person has until they change it (see
    /// `docs/moderation.md`, "Shields"). Each `shield_for_*` is `accept`, `filter` or `drop`.
    pub shield_for_not_following: String,
    pub shield_for_not_followers: String,
    pub shield_for_new_accounts: String,
    pub shield_for_private_mentions: String,
    pub shield_for_limited_accounts: String,
    /// An account whose `published` date (else its first sighting) is younger counts as new.
    pub shield_new_account_days: u32,
    /// An account from a server first seen here fewer days ago counts as new (0: off).
    pub shield_new_domain_days: u32,
    /// Signals that make an account count as new: four or more digits in the username; fewer
    /// than 3 followers and 3 posts known here; no avatar and no bio.
    pub shield_signal_many_digits: bool,
    pub shield_signal_few_followers: bool,
    pub shield_signal_no_avatar_bio: bool,
    /// The dogpile shield: more than this many accounts one does not follow mentioning or
    /// replying within `shield_dogpile_minutes` and further ones are held (0: off).
    pub shield_dogpile_threshold: u32,
    pub shield_dogpile_minutes: u32,
    /// A held direct message stays out of the home timeline until its request is accepted.
    pub shield_message_requests: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            domain: "localhost:8080".into(),
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./kith-data"),
            database_url: String::new(),
            database_max_connections: 8,
            dev_mode: false,
            authorized_fetch: false,
            inbox_queue: kith_federation::inbox::DEFAULT_INBOX_QUEUE,
            trusted_proxies: Vec::new(),
            header_timeout: 5,
            body_timeout: 15,
            keep_alive: 10,
            max_connections: 8192,
            instance_title: "Kith".into(),
            instance_description: "A small community on the fediverse.".into(),
            contact_email: String::new(),
            rules: Vec::new(),
            log: "info".into(),
            media_storage: "local".into(),
            media_dir: String::new(),
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".into(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            federation_mode: "blocklist".into(),
            show_domain_blocks: "all".into(),
            rate_limit_api: "300/5m".into(),
            rate_limit_media: "30/30m".into(),
            rate_limit_statuses: "300/3h".into(),
            rate_limit_deletes: "30/30m".into(),
            rate_limit_follows: "400/24h".into(),
            rate_limit_sign_ups: "5/30m".into(),
            rate_limit_exempt_loopback: true,
            shield_for_not_following: "accept".into(),
            shield_for_not_followers: "accept".into(),
            shield_for_new_accounts: "accept".into(),
            shield_for_private_mentions: "filter".into(),
            shield_for_limited_accounts: "filter".into(),
            shield_new_account_days: 30,
            shield_new_domain_days: 30,
            shield_signal_many_digits: true,
            shield_signal_few_followers: false,
            shield_signal_no_avatar_bio: false,
            shield_dogpile_threshold: 10,
            shield_dogpile_minutes: 60,
            shield_message_requests: true,
        }
    }
}

/// The keys that `KITH_*` variables may set (others, like `KITH_TEST_*`, belong to tools).
const KEYS: &[&str] = &[
    "domain",
    "bind",
    "data_dir",
    "database_url",
    "database_max_connections",
    "dev_mode",
    "authorized_fetch",
    "inbox_queue",
    "trusted_proxies",
    "header_timeout",
    "body_timeout",
    "keep_alive",
    "max_connections",
    "instance_title",
    "instance_description",
    "contact_email",
    "rules",
    "log",
    "media_storage",
    "media_dir",
    "s3_endpoint",
    "s3_bucket",
    "s3_region",
    "s3_access_key_id",
    "s3_secret_access_key",
    "federation_mode",
    "show_domain_blocks",
    "rate_limit_api",
    "rate_limit_media",
    "rate_limit_statuses",
    "rate_limit_deletes",
    "rate_limit_follows",
    "rate_limit_sign_ups",
    "rate_limit_exempt_loopback",
    "shield_for_not_following",
    "shield_for_not_followers",
    "shield_for_new_accounts",
    "shield_for_private_mentions",
    "shield_for_limited_accounts",
    "shield_new_account_days",
    "shield_new_domain_days",
    "shield_signal_many_digits",
    "shield_signal_few_followers",
    "shield_signal_no_avatar_bio",
    "shield_dogpile_threshold",
    "shield_dogpile_minutes",
    "shield_message_requests",
];

impl Config {
    /// Loads the configuration. `file` is the path given with `--config`; without it
    /// `./kith.toml` is read when it exists.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.exists() {
                    bail!("config file {} does not exist", path.display());
                }
                figment = figment.merge(Toml::file(path));
            }
            None => {
                if Path::new("kith.toml").exists() {
                    figment = figment.merge(Toml::file("kith.toml"));
                }
            }
        }
        let config: Config = figment
            .merge(Env::prefixed("KITH_").only(KEYS))
            .extract()
            .context("invalid configuration")?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        kith_core::InstanceUrls::new(&self.domain, self.dev_mode)
            .map_err(|e| anyhow::anyhow!("invalid domain: {e}"))?;
        self.bind_addr()?;
        if self.database_max_connections == 0 {
            bail!("database_max_connections must be at least 1");
        }
        if self.inbox_queue == 0 {
            bail!("inbox_queue must be at least 1");
        }
        self.trusted_proxies()?;
        self.rate_limits()?;
        for (key, value) in [
            ("header_timeout", self.header_timeout),
            ("body_timeout", self.body_timeout),
            ("keep_alive", self.keep_alive),
        ] {
            if value == 0 {
                bail!("{key} must be at least 1 (seconds)");
            }
        }
        if self.max_connections == 0 {
            bail!("max_connections must be at least 1");
        }
        match self.media_storage.as_str() {
            "local" => {}
            "s3" if self.s3_bucket.trim().is_empty() => {
                bail!("media_storage = \"s3\" needs s3_bucket")
            }
            "s3" => {}
            other => bail!("media_storage must be \"local\" or \"s3\", not {other:?}"),
        }
        if !matches!(self.federation_mode.as_str(), "blocklist" | "allowlist") {
            bail!("federation_mode must be \"blocklist\" or \"allowlist\"");
        }
        if !matches!(
            self.show_domain_blocks.as_str(),
            "all" | "users" | "disabled"
        ) {
            bail!("show_domain_blocks must be \"all\", \"users\" or \"disabled\"");
        }
        self.shield_defaults()?;
        if self.rules.iter().any(|r| r.trim().is_empty()) {
            bail!("rules: a rule may not be empty");
        }
        Ok(())
    }

    /// The instance's default notification policy (the `shield_*` settings).
    pub fn shield_defaults(&self) -> anyhow::Result<kith_core::shields::Policy> {
        use kith_core::shields::{Action, Policy};
        let action = |key: &str, v: &str| -> anyhow::Result<Action> {
            v.parse::<Action>()
                .map_err(|_| anyhow::anyhow!("{key} must be \"accept\", \"filter\" or \"drop\""))
        };
        if self.shield_dogpile_minutes == 0 || self.shield_dogpile_minutes > 10_080 {
            bail!("shield_dogpile_minutes must be between 1 and 10080 (a week)");
        }
        Ok(Policy {
            for_not_following: action("shield_for_not_following", &self.shield_for_not_following)?,
            for_not_followers: action("shield_for_not_followers", &self.shield_for_not_followers)?,
            for_new_accounts: action("shield_for_new_accounts", &self.shield_for_new_accounts)?,
            for_private_mentions: action(
                "shield_for_private_mentions",
                &self.shield_for_private_mentions,
            )?,
            for_limited_accounts: action(
                "shield_for_limited_accounts",
                &self.shield_for_limited_accounts,
            )?,
            new_account_days: i64::from(self.shield_new_account_days.min(36_500)),
            new_domain_days: i64::from(self.shield_new_domain_days.min(36_500)),
            signal_many_digits: self.shield_signal_many_digits,
            signal_few_followers: self.shield_signal_few_followers,
            signal_no_avatar_bio: self.shield_signal_no_avatar_bio,
            dogpile_threshold: i64::from(self.shield_dogpile_threshold),
            dogpile_minutes: i64::from(self.shield_dogpile_minutes),
            message_requests: self.shield_message_requests,
        })
    }

    /// The trusted proxies, parsed: `10.0.0.1` and `10.0.0.0/8` alike.
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!("trusted_proxies: {p:?} is not an address or range")
                    })
            })
            .collect()
    }

    /// The client-API rate limits, parsed.
    pub fn rate_limits(&self) -> anyhow::Result<kith_api::rate_limit::RateLimits> {
        use kith_api::rate_limit::{Limit, RateLimits};
        let read = |key: &str, value: &str| {
            Limit::parse(value).map_err(|e| anyhow::anyhow!("rate_limit_{key}: {e}"))
        };
        Ok(RateLimits {
            api: read("api", &self.rate_limit_api)?,
            media: read("media", &self.rate_limit_media)?,
            statuses: read("statuses", &self.rate_limit_statuses)?,
            deletes: read("deletes", &self.rate_limit_deletes)?,
            follows: read("follows", &self.rate_limit_follows)?,
            sign_ups: read("sign_ups", &self.rate_limit_sign_ups)?,
            exempt_loopback: self.rate_limit_exempt_loopback,
        })
    }

    /// The listen address.
    pub fn bind_addr(&self) -> anyhow::Result<SocketAddr> {
        self.bind
            .parse()
            .with_context(|| format!("invalid bind address {:?} (want IP:PORT)", self.bind))
    }

    /// The configured media store.
    pub fn media_store(
        &self,
    ) -> anyhow::Result<std::sync::Arc<dyn kith_core::media_store::MediaStore>> {
        use kith_core::media_store::{ObjectStoreMedia, S3Settings};
        let store = match self.media_storage.as_str() {
            "local" => {
                let dir = if self.media_dir.is_empty() {
                    self.data_dir.join("media")
                } else {
                    PathBuf::from(&self.media_dir)
                };
                ObjectStoreMedia::local(&dir)?
            }
            "s3" => ObjectStoreMedia::s3(&S3Settings {
                endpoint: self.s3_endpoint.clone(),
                bucket: self.s3_bucket.clone(),
                region: self.s3_region.clone(),
                access_key_id: self.s3_access_key_id.clone(),
                secret_access_key: self.s3_secret_access_key.clone(),
            })?,
            other => bail!("media_storage must be \"local\" or \"s3\", not {other:?}"),
        };
        Ok(std::sync::Arc::new(store))
    }

    /// The database URL, defaulting to a SQLite file in the data directory.
    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!("sqlite://{}", self.data_dir.join("kith.db").display())
        } else {
            self.database_url.trim().to_owned()
        }
    }

    /// The instance's URL scheme.
    pub fn urls(&self) -> kith_core::InstanceUrls {
        kith_core::InstanceUrls::new(&self.domain, self.dev_mode).expect("validated at load")
    }

    /// The instance's public facts.
    pub fn instance_info(&self) -> kith_core::instance::InstanceInfo {
        kith_core::instance::InstanceInfo {
            title: self.instance_title.clone(),
            description: self.instance_description.clone(),
            contact_email: self.contact_email.clone(),
            registrations_open: false,
            dev_mode: self.dev_mode,
            authorized_fetch: self.authorized_fetch,
            allowlist_mode: self.federation_mode == "allowlist",
            show_domain_blocks: self.show_domain_blocks.clone(),
            rules: self.rules.clone(),
        }
    }
}

#[cfg(test)]
// figment's test jail returns its own (large) error type; the signature is the library's.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "k.toml",
                "domain = \"social.example\"\nbind = \"0.0.0.0:9000\"",
            )?;
            jail.set_env("KITH_BIND", "127.0.0.1:9001");
            jail.set_env("KITH_DEV_MODE", "true");
            let c = Config::load(Some(Path::new("k.toml"))).expect("load");
            assert_eq!(c.domain, "social.example");
            assert_eq!(c.bind, "127.0.0.1:9001");
            assert!(c.dev_mode);
            assert!(c.database_url().ends_with("kith-data/kith.db"));
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KITH_BIND", "not an address");
            assert!(Config::load(None).is_err());
            jail.set_env("KITH_BIND", "127.0.0.1:1");
            jail.set_env("KITH_DOMAIN", "https://x.example/");
            assert!(Config::load(None).is_err());
            jail.set_env("KITH_DOMAIN", "x.example");
            jail.set_env("KITH_BODY_TIMEOUT", "0");
            assert!(
                Config::load(None).is_err(),
                "a body deadline of 0 is refused"
            );
            jail.set_env("KITH_BODY_TIMEOUT", "15");
            jail.set_env("KITH_MEDIA_STORAGE", "ftp");
            assert!(Config::load(None).is_err(), "unknown media storage");
            jail.set_env("KITH_MEDIA_STORAGE", "s3");
            assert!(Config::load(None).is_err(), "s3 without a bucket");
            jail.set_env("KITH_S3_BUCKET", "media");
            assert!(Config::load(None).is_ok());
            jail.set_env("KITH_MEDIA_STORAGE", "local");
            jail.set_env("KITH_DEV_MODE", "maybe");
            assert!(Config::load(None).is_err());
            jail.create_file("kith.toml", "colour = \"green\"")?;
            jail.set_env("KITH_DEV_MODE", "false");
            assert!(Config::load(None).is_err(), "unknown keys are refused");
            Ok(())
        });
    }

    #[test]
    fn rules_come_from_the_file_or_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("kith.toml", "rules = [\"Be kind.\", \"No ads.\"]")?;
            let c = Config::load(None).expect("load");
            assert_eq!(c.instance_info().rules, ["Be kind.", "No ads."]);
            jail.set_env("KITH_RULES", "[\"Only this.\"]");
            assert_eq!(Config::load(None).expect("load").rules, ["Only this."]);
            jail.set_env("KITH_RULES", "[\" \"]");
            assert!(Config::load(None).is_err(), "an empty rule is refused");
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_take_addresses_and_ranges() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KITH_TRUSTED_PROXIES", "[10.0.0.0/8, 127.0.0.1, \"::1\"]");
            let c = Config::load(None).expect("load");
            let nets = c.trusted_proxies().expect("parse");
            assert_eq!(nets.len(), 3);
            assert!(nets[0].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
            assert!(nets[1].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
            assert!(!nets[1].contains(&"127.0.0.2".parse::<std::net::IpAddr>().unwrap()));
            jail.set_env("KITH_TRUSTED_PROXIES", "[proxy.example]");
            assert!(Config::load(None).is_err());
            Ok(())
        });
    }
}
