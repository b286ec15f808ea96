//! `kith admin blocklist …` and `kith admin cohort …`: moderation shared across instances from
//! the command line, with the same rules and audit log as the admin API
//! (`docs/moderation.md`). Fetches and invitations use the guarded HTTP client, as the server
//! does; the activities they cause are queued for the running server's delivery worker.

use crate::config::Config;
use anyhow::Context;
use clap::Subcommand;
use kith_core::shared_moderation::{self as shared, Mode};
use kith_federation::objects::account::ApAccount;
use kith_federation::{blocklists, build_federation_config, cohort, KithContext};
use kith_storage::sharing as store;
use kith_storage::{Db, OptionalExt};

/// `kith admin blocklist …`
#[derive(Debug, Subcommand)]
pub enum BlocklistCommand {
    /// Subscribe to a blocklist: another instance's `/api/v1/instance/domain_blocks` or a CSV URL.
    Subscribe {
        url: String,
        /// apply (entries take effect at once) or review (held for a moderator).
        #[arg(long, default_value = "review")]
        mode: String,
        /// The admin or moderator acting.
        #[arg(long = "as")]
        actor: String,
    },
    /// Remove a subscription; its entries are retracted unless confirmed.
    Unsubscribe {
        id: i64,
        #[arg(long = "as")]
        actor: String,
    },
    /// List the subscriptions: id, mode, URL, last success, last error.
    List,
    /// Fetch a subscription's list now.
    Refresh { id: i64 },
    /// List shared entries with their provenance (`--state pending` for the review queue).
    Entries {
        #[arg(long)]
        state: Option<String>,
    },
    /// Approve a pending entry.
    Approve {
        id: i64,
        #[arg(long = "as")]
        actor: String,
    },
    /// Reject a pending entry.
    Reject {
        id: i64,
        #[arg(long = "as")]
        actor: String,
    },
    /// Confirm an applied entry: it becomes a local decision and survives retraction.
    Confirm {
        id: i64,
        #[arg(long = "as")]
        actor: String,
    },
}

/// `kith admin cohort …`
#[derive(Debug, Subcommand)]
pub enum CohortCommand {
    /// Invite another instance (its actor URL, or its base URL) into the cohort.
    Invite {
        actor_url: String,
        /// What to do with its decisions: apply, review or ignore.
        #[arg(long, default_value = "review")]
        policy: String,
        #[arg(long = "as")]
        actor: String,
    },
    /// Accept an invitation (by id, or by the inviting instance actor's URL).
    Accept {
        which: String,
        #[arg(long, default_value = "review")]
        policy: String,
        #[arg(long = "as")]
        actor: String,
    },
    /// List members and invitations: id, state, policy, actor.
    List,
    /// Set what to do with a member's decisions: apply, review or ignore.
    Policy {
        id: i64,
        policy: String,
        #[arg(long = "as")]
        actor: String,
    },
    /// Leave the cohort relationship with one instance (or decline its invitation).
    Leave {
        id: i64,
        #[arg(long = "as")]
        actor: String,
    },
}

async fn context(config: &Config, db: &Db) -> anyhow::Result<KithContext> {
    Ok(KithContext::new(
        db.clone(),
        config.urls(),
        config.instance_info(),
    )?)
}

async fn staff_id(db: &Db, name: String) -> anyhow::Result<i64> {
    Ok(crate::admin::staff_named(db, Some(name)).await?.account_id)
}

/// Runs one `blocklist` command.
pub async fn run_blocklist(config: &Config, db: &Db, cmd: BlocklistCommand) -> anyhow::Result<()> {
    match cmd {
        BlocklistCommand::Subscribe { url, mode, actor } => {
            let who = staff_id(db, actor).await?;
            let s = db
                .write(move |c| Ok(blocklists::subscribe(c, who, &url, &mode)))
                .await??;
            println!("{}\t{}\t{}", s.id, s.mode, s.url);
        }
        BlocklistCommand::Unsubscribe { id, actor } => {
            let who = staff_id(db, actor).await?;
            db.write(move |c| Ok(blocklists::unsubscribe(c, who, id)))
                .await??;
            println!("unsubscribed {id}");
        }
        BlocklistCommand::List => {
            for s in db.read(store::subscriptions).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    s.id,
                    s.mode,
                    s.url,
                    s.last_success_at.map_or_else(
                        || "never".into(),
                        |t| t.format("%Y-%m-%d %H:%M").to_string()
                    ),
                    s.last_error.unwrap_or_default()
                );
            }
        }
        BlocklistCommand::Refresh { id } => {
            let ctx = context(config, db).await?;
            let s = blocklists::refresh(&ctx, id).await?;
            match s.last_error {
                Some(e) => println!("{}: error: {e} (entries kept)", s.url),
                None => println!("{}: {}", s.url, s.last_note.unwrap_or_default()),
            }
        }
        BlocklistCommand::Entries { state } => {
            let rows = db
                .read(move |c| {
                    let mut out = Vec::new();
                    for d in store::decisions(c, state.as_deref(), None)? {
                        let label = shared::source_label(c, &d.source_kind, d.source_id)?;
                        out.push((d, label));
                    }
                    Ok(out)
                })
                .await?;
            for (d, label) in rows {
                println!(
                    "{}\t{}\t{} {}\t{}\t{}\t{}",
                    d.id,
                    d.state,
                    d.target_kind,
                    d.target,
                    d.severity,
                    label,
                    d.comment.unwrap_or_default()
                );
            }
        }
        BlocklistCommand::Approve { id, actor } => decide(db, id, actor, shared::approve).await?,
        BlocklistCommand::Reject { id, actor } => decide(db, id, actor, shared::reject).await?,
        BlocklistCommand::Confirm { id, actor } => decide(db, id, actor, shared::confirm).await?,
    }
    Ok(())
}

async fn decide(
    db: &Db,
    id: i64,
    actor: String,
    how: fn(
        &mut kith_storage::DbConn,
        kith_core::moderation::Staff,
        i64,
    ) -> Result<kith_storage::sharing::SharedDecision, kith_core::CoreError>,
) -> anyhow::Result<()> {
    let staff = crate::admin::staff_named(db, Some(actor)).await?;
    let d = db.write(move |c| Ok(how(c, staff, id))).await??;
    println!("{}\t{}\t{} {}", d.id, d.state, d.target_kind, d.target);
    Ok(())
}

/// Runs one `cohort` command.
pub async fn run_cohort(config: &Config, db: &Db, cmd: CohortCommand) -> anyhow::Result<()> {
    let urls = config.urls();
    match cmd {
        CohortCommand::Invite {
            actor_url,
            policy,
            actor,
        } => {
            let who = staff_id(db, actor).await?;
            let policy = Mode::parse(&policy)?;
            let ctx = context(config, db).await?;
            let instance_actor = kith_core::accounts::ensure_instance_actor(db, &urls)
                .await
                .context("the instance actor")?;
            let federation = build_federation_config(ctx, &ApAccount::new(instance_actor)?).await?;
            let data = federation.to_request_data();
            let m = cohort::invite(&data, who, &actor_url, policy).await?;
            println!("{}\t{}\t{}", m.id, m.state, m.actor_id);
        }
        CohortCommand::Accept {
            which,
            policy,
            actor,
        } => {
            let who = staff_id(db, actor).await?;
            let policy = Mode::parse(&policy)?;
            let m = db
                .write(move |c| {
                    let id = match which.parse::<i64>() {
                        Ok(id) => id,
                        Err(_) => {
                            store::member_by_actor(c, &which)
                                .optional()?
                                .ok_or(kith_storage::StorageError::NotFound)?
                                .id
                        }
                    };
                    cohort::accept(c, &urls, who, id, policy)
                })
                .await
                .context("no such invitation")?;
            println!("{}\t{}\t{}", m.id, m.state, m.actor_id);
        }
        CohortCommand::List => {
            for m in db.read(store::members).await? {
                println!("{}\t{}\t{}\t{}", m.id, m.state, m.policy, m.actor_id);
            }
        }
        CohortCommand::Policy { id, policy, actor } => {
            let who = staff_id(db, actor).await?;
            let policy = Mode::parse(&policy)?;
            let m = db
                .write(move |c| cohort::set_policy(c, who, id, policy))
                .await?;
            println!("{}\t{}\t{}", m.id, m.policy, m.actor_id);
        }
        CohortCommand::Leave { id, actor } => {
            let who = staff_id(db, actor).await?;
            db.write(move |c| Ok(cohort::leave(c, &urls, who, id)))
                .await??;
            println!("left {id}");
        }
    }
    Ok(())
}
