//! Admin commands: migrations, creating users, issuing tokens for scripts and bots; and
//! `open_database`, which every command uses and which keeps the base URL fixed.

use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use kith_core::accounts::{create_local_user, NewLocalUser, Role};
use kith_core::Scopes;
use kith_storage::{accounts, settings, users, Db, OptionalExt};

/// `kith admin …`
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a local user and print its ActivityPub id.
    CreateUser {
        /// The handle (letters, digits, _ and inner . or -; at most 30 characters).
        username: String,
        /// The password (at least 8 characters).
        #[arg(long)]
        password: String,
        /// Contact address (optional, unique).
        #[arg(long)]
        email: Option<String>,
        /// admin, moderator or user.
        #[arg(long, default_value = "user")]
        role: String,
    },
    /// Print a new OAuth bearer token for a user, alone on standard output.
    Token {
        /// The user's handle.
        username: String,
        /// Space-separated scopes.
        #[arg(long, default_value = "read write follow")]
        scopes: String,
    },
}

/// Connects, applies migrations, and checks that the configuration's base URL is the
/// instance's (blocking work moved off the async threads).
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    let max = config.database_max_connections;
    let urls = config.urls();
    tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let db = Db::connect(&url, max)
            .with_context(|| format!("cannot open database {}", redact(&url)))?;
        let applied = db.migrate().context("cannot migrate database")?;
        for m in applied {
            tracing::info!(migration = %m, "applied migration");
        }
        check_base_url(&db, &urls)?;
        Ok(db)
    })
    .await?
}

/// Every id an instance makes starts with its base URL (scheme and domain), so the base URL
/// may never change under a database: the first command to open it records it
/// (`instance_settings`), and every later `serve`, `migrate` or `admin` command whose
/// configuration says otherwise is refused. A database from before the setting existed is
/// judged by the ids already in it.
fn check_base_url(db: &Db, urls: &kith_core::InstanceUrls) -> anyhow::Result<()> {
    let configured = urls.base().to_string();
    let mine = configured.clone();
    let stored = db
        .write_blocking(move |c| {
            if let Some(stored) = settings::get(c, settings::BASE_URL)? {
                return Ok(stored);
            }
            if let Some(id) = accounts::oldest_local_ap_id(c)? {
                if !id.starts_with(&mine) {
                    return Ok(url::Url::parse(&id)
                        .map(|u| format!("{}://{}/", u.scheme(), u.authority()))
                        .unwrap_or(id));
                }
            }
            settings::get_or_set(c, settings::BASE_URL, &mine)
        })
        .context("cannot read the instance's base URL")?;
    if stored == configured {
        return Ok(());
    }
    let stored_url = url::Url::parse(&stored).ok();
    let hint = match stored_url.as_ref() {
        Some(s) if s.scheme() != urls.base().scheme() && s.scheme() == "http" => {
            "; it was started with KITH_DEV_MODE=true (plain http): set it again".to_owned()
        }
        Some(s) if s.scheme() != urls.base().scheme() => {
            "; it was started without KITH_DEV_MODE (https): leave it unset".to_owned()
        }
        Some(s) => format!(
            "; it was started with KITH_DOMAIN={}: set it again",
            s.authority()
        ),
        None => String::new(),
    };
    anyhow::bail!(
        "this database belongs to the instance at {stored}, but the configuration makes \
         {configured} (domain {:?}, dev mode {}): ids made now would not match the ones \
         stored. Run every kith command (serve, migrate, admin) with the configuration of the \
         instance's first start{hint}.",
        urls.domain(),
        urls.base().scheme() == "http",
    )
}

/// A database URL with any password hidden, for messages.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// `kith migrate`
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    open_database(config).await?;
    println!("database is up to date");
    Ok(())
}

/// `kith admin …`
pub async fn run(config: &Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let urls = config.urls();
    match cmd {
        AdminCommand::CreateUser {
            username,
            password,
            email,
            role,
        } => {
            let role: Role = role.parse()?;
            let db = open_database(config).await?;
            let account = create_local_user(
                &db,
                &urls,
                NewLocalUser {
                    username,
                    password,
                    email,
                    role,
                },
            )
            .await?;
            println!("{}", account.ap_id);
        }
        AdminCommand::Token { username, scopes } => {
            let scopes = Scopes::parse(&scopes)?;
            let db = open_database(config).await?;
            let name = username.clone();
            let (_, account) = db
                .read(move |c| users::by_username(c, &name).optional())
                .await?
                .with_context(|| format!("no local user named {username:?}"))?;
            let (token, _) = kith_core::tokens::issue(&db, None, Some(account.id), &scopes).await?;
            println!("{token}");
        }
    }
    Ok(())
}
