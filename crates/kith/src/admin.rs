//! Admin commands: migrations, creating users, issuing tokens for scripts and bots,
//! moderation (`account`, `report`, `audit-log`, `registrations`, `invite`: the same rules and
//! audit log as the admin API, acting as the staff member named by `--as`); and
//! `open_database`, which every command uses and which keeps the base URL fixed.

use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use kith_core::accounts::{create_local_user, NewLocalUser, Role};
use kith_core::moderation::{self, AccountAction, ActionDetails, Staff};
use kith_core::registrations::{self, Mode};
use kith_core::Scopes;
use kith_storage::moderation::{self as rows, ReportFilter};
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
    /// Act on an account: suspend, unsuspend, limit, unlimit, or delete it.
    Account {
        /// suspend, unsuspend, limit, unlimit or delete.
        action: String,
        /// `name` for a local account, `name@domain` for a remote one.
        account: String,
        /// The admin or moderator acting (written to the audit log).
        #[arg(long = "as")]
        actor: String,
        /// Why (kept in the audit log; shown to a local account as its warning).
        #[arg(long)]
        reason: Option<String>,
    },
    /// The report queue: `list` (open reports; `--all` for every one) or `resolve ID`.
    Report {
        /// list or resolve.
        action: String,
        /// The report, for resolve.
        id: Option<i64>,
        /// The admin or moderator acting (for resolve).
        #[arg(long = "as")]
        actor: Option<String>,
        /// List resolved reports too.
        #[arg(long)]
        all: bool,
    },
    /// Print the audit log, newest first: id, time, who, action, target, reason.
    AuditLog {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Show the registration mode (`show`) or set it: open, approval, invite, closed.
    Registrations {
        mode: String,
        /// The admin or moderator acting (to set it).
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Make an invite code for invite-only registration; prints the code.
    Invite {
        /// The admin or moderator making it.
        #[arg(long = "as")]
        actor: String,
        /// How many sign-ups it allows (unlimited if not given).
        #[arg(long)]
        max_uses: Option<i32>,
        /// Hours until it expires (never if not given).
        #[arg(long)]
        expires_in_hours: Option<i64>,
    },
    /// Announcements for everyone here: add, list or remove (admins; audited).
    Announcement {
        #[command(subcommand)]
        cmd: crate::announcements_cli::AnnouncementCommand,
    },
    /// The instance's custom emoji: add, list or remove (admins; audited).
    Emoji {
        #[command(subcommand)]
        cmd: crate::emoji_cli::EmojiCommand,
    },
    /// Domain blocks in Mastodon's blocklist CSV: export or import.
    DomainBlocks {
        #[command(subcommand)]
        cmd: crate::domain_blocks_cli::DomainBlocksCommand,
    },
    /// Blocklist subscriptions and the shared entries' review queue.
    Blocklist {
        #[command(subcommand)]
        cmd: crate::sharing_cli::BlocklistCommand,
    },
    /// The moderation cohort: invite, accept, list, policy, leave.
    Cohort {
        #[command(subcommand)]
        cmd: crate::sharing_cli::CohortCommand,
    },
}

/// The staff member named `name`, refusing anyone who is not an admin or moderator.
pub(crate) async fn staff_named(db: &Db, name: Option<String>) -> anyhow::Result<Staff> {
    let name = name.context("name the admin or moderator acting with --as NAME")?;
    let who = name.clone();
    let (user, account) = db
        .read(move |c| users::by_username(c, &who).optional())
        .await?
        .with_context(|| format!("no local user named {name:?}"))?;
    let role: Role = user.role.parse()?;
    Staff::new(account.id, Some(role))
        .with_context(|| format!("{name} is not an admin or a moderator"))
}

/// The account named `name` (local) or `name@domain` (remote).
async fn account_named(db: &Db, name: &str) -> anyhow::Result<accounts::Account> {
    let handle = name.trim_start_matches('@').to_owned();
    let shown = name.to_owned();
    db.read(move |c| match handle.split_once('@') {
        Some((u, d)) => accounts::remote_by_username(c, u, d).optional(),
        None => accounts::local_by_username(c, &handle).optional(),
    })
    .await?
    .with_context(|| format!("no account named {shown:?}"))
}

async fn moderate(config: &Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let urls = config.urls();
    match cmd {
        AdminCommand::Account {
            action,
            account,
            actor,
            reason,
        } => {
            let staff = staff_named(&db, Some(actor)).await?;
            let target = account_named(&db, &account).await?;
            let label = action.clone();
            let target_id = target.id;
            if action == "delete" {
                db.write(move |c| {
                    kith_federation::moderation::delete_account_in(
                        c,
                        &urls,
                        staff,
                        target_id,
                        reason.as_deref(),
                    )
                })
                .await??;
            } else {
                let action: AccountAction = match action.as_str() {
                    "suspend" | "unsuspend" | "limit" | "unlimit" => action.parse()?,
                    other => anyhow::bail!(
                        "unknown action {other:?}: use suspend, unsuspend, limit, unlimit or delete"
                    ),
                };
                let details = ActionDetails {
                    report_id: None,
                    text: reason.unwrap_or_default(),
                    notify: true,
                };
                db.write(move |c| Ok(moderation::act(c, staff, target_id, action, &details)))
                    .await??;
            }
            println!("{}: {label}", target.acct());
        }
        AdminCommand::Report {
            action,
            id,
            actor,
            all,
        } => match action.as_str() {
            "list" => {
                let filter = ReportFilter {
                    resolved: if all { None } else { Some(false) },
                    limit: 200,
                    ..ReportFilter::default()
                };
                let found = db
                    .read(move |c| {
                        let mut out = Vec::new();
                        for r in rows::list_reports(c, &filter)? {
                            let reporter = accounts::by_id(c, r.account_id)?.acct();
                            let target = accounts::by_id(c, r.target_account_id)?.acct();
                            out.push((r, reporter, target));
                        }
                        Ok(out)
                    })
                    .await?;
                for (r, reporter, target) in found {
                    println!(
                        "{}\t{}\t{}\t{} -> {}\t{}\t{}",
                        r.id,
                        r.created_at.format("%Y-%m-%d %H:%M"),
                        if r.action_taken_at.is_some() {
                            "resolved"
                        } else {
                            "open"
                        },
                        reporter,
                        target,
                        r.category,
                        r.comment.replace(['\n', '\t'], " "),
                    );
                }
            }
            "resolve" => {
                let staff = staff_named(&db, actor).await?;
                let id = id.context("give the report's id: kith admin report resolve ID")?;
                db.write(move |c| Ok(moderation::resolve_report(c, staff, id, true)))
                    .await??;
                println!("report {id} resolved");
            }
            other => anyhow::bail!("unknown report action {other:?}: use list or resolve"),
        },
        AdminCommand::AuditLog { limit } => {
            let entries = db
                .read(move |c| {
                    let mut out = Vec::new();
                    for e in rows::audit_entries(c, None, None, limit)? {
                        let who = accounts::by_id(c, e.account_id)
                            .optional()?
                            .map(|a| a.acct())
                            .unwrap_or_else(|| e.account_id.to_string());
                        out.push((e, who));
                    }
                    Ok(out)
                })
                .await?;
            for (e, who) in entries {
                println!(
                    "{}\t{}\t{}\t{}\t{} {}\t{}",
                    e.id,
                    e.created_at.format("%Y-%m-%d %H:%M:%S"),
                    who,
                    e.action,
                    e.target_type,
                    e.target_id,
                    e.reason.unwrap_or_default().replace(['\n', '\t'], " "),
                );
            }
        }
        AdminCommand::Registrations { mode, actor } => {
            if mode == "show" {
                let m = db.read(registrations::mode).await?;
                println!("{}", m.as_str());
            } else {
                let m: Mode = mode.parse()?;
                let staff = staff_named(&db, actor).await?;
                db.write(move |c| registrations::set_mode(c, staff, m))
                    .await?;
                println!("registrations: {}", m.as_str());
            }
        }
        AdminCommand::Invite {
            actor,
            max_uses,
            expires_in_hours,
        } => {
            let staff = staff_named(&db, Some(actor)).await?;
            let expires_at = match expires_in_hours {
                Some(h) if (1..=87_840).contains(&h) => Some(
                    kith_storage::now() + std::time::Duration::from_secs(h.unsigned_abs() * 3600),
                ),
                Some(_) => {
                    anyhow::bail!("--expires-in-hours must be between 1 and 87840 (ten years)")
                }
                None => None,
            };
            let invite = db
                .write(move |c| Ok(registrations::create_invite(c, staff, max_uses, expires_at)))
                .await??;
            println!("{}", invite.code);
        }
        AdminCommand::CreateUser { .. }
        | AdminCommand::Token { .. }
        | AdminCommand::DomainBlocks { .. }
        | AdminCommand::Blocklist { .. }
        | AdminCommand::Cohort { .. }
        | AdminCommand::Announcement { .. }
        | AdminCommand::Emoji { .. } => {
            unreachable!("handled by run")
        }
    }
    Ok(())
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
            let (token, _) = kith_core::tokens::issue_for_cli(&db, account.id, &scopes).await?;
            println!("{token}");
        }
        AdminCommand::DomainBlocks { cmd } => {
            let db = open_database(config).await?;
            crate::domain_blocks_cli::run(&db, cmd).await?;
        }
        AdminCommand::Blocklist { cmd } => {
            let db = open_database(config).await?;
            crate::sharing_cli::run_blocklist(config, &db, cmd).await?;
        }
        AdminCommand::Cohort { cmd } => {
            let db = open_database(config).await?;
            crate::sharing_cli::run_cohort(config, &db, cmd).await?;
        }
        AdminCommand::Announcement { cmd } => {
            let db = open_database(config).await?;
            crate::announcements_cli::run(&db, cmd).await?;
        }
        AdminCommand::Emoji { cmd } => {
            let db = open_database(config).await?;
            crate::emoji_cli::run(config, &db, cmd).await?;
        }
        other => moderate(config, other).await?,
    }
    Ok(())
}
