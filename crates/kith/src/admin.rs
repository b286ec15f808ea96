//! Admin commands: migrations, creating users, issuing tokens for scripts and bots.

use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use kith_core::accounts::{create_local_user, NewLocalUser, Role};
use kith_core::Scopes;
use kith_storage::{users, Db, OptionalExt};

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

/// Connects and applies migrations (blocking work moved off the async threads).
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    let max = config.database_max_connections;
    tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
        let db = Db::connect(&url, max)
            .with_context(|| format!("cannot open database {}", redact(&url)))?;
        let applied = db.migrate().context("cannot migrate database")?;
        for m in applied {
            tracing::info!(migration = %m, "applied migration");
        }
        Ok(db)
    })
    .await?
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
