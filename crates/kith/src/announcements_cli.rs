//! `kith admin announcement add|list|remove`: the announcements every app shows to everyone
//! here (`GET /api/v1/announcements`), written by an admin named by `--as` (audit log).

use anyhow::Context;
use chrono::{NaiveDate, NaiveDateTime};
use clap::Subcommand;
use kith_core::announcements::{self, NewAnnouncement};
use kith_storage::{announcements as store, Db};

/// `kith admin announcement …`
#[derive(Debug, Subcommand)]
pub enum AnnouncementCommand {
    /// Publish an announcement; prints its id.
    Add {
        /// The text (plain text: shown as written, in paragraphs).
        text: String,
        /// The admin publishing it (written to the audit log).
        #[arg(long = "as")]
        actor: String,
        /// When it starts showing: `2026-12-24T18:00:00Z`, or a date `2026-12-24` (UTC).
        #[arg(long)]
        starts_at: Option<String>,
        /// When it stops showing, in the same forms.
        #[arg(long)]
        ends_at: Option<String>,
        /// It is about whole days (apps show dates, not times).
        #[arg(long)]
        all_day: bool,
    },
    /// Print every announcement, newest first: id, start, end, text.
    List,
    /// Withdraw an announcement.
    Remove {
        /// The announcement's id (from `list`).
        id: i64,
        /// The admin withdrawing it (written to the audit log).
        #[arg(long = "as")]
        actor: String,
    },
}

/// `2026-12-24T18:00:00Z` (any RFC 3339 time, kept in UTC) or `2026-12-24` (midnight UTC).
fn parse_time(s: &str) -> anyhow::Result<NaiveDateTime> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.naive_utc());
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("{s:?} is neither a time (RFC 3339) nor a date (YYYY-MM-DD)"))?;
    Ok(day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

fn shown(t: Option<NaiveDateTime>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|| "-".into())
}

/// Runs one `announcement` command.
pub async fn run(db: &Db, cmd: AnnouncementCommand) -> anyhow::Result<()> {
    match cmd {
        AnnouncementCommand::Add {
            text,
            actor,
            starts_at,
            ends_at,
            all_day,
        } => {
            let new = NewAnnouncement {
                text,
                starts_at: starts_at.as_deref().map(parse_time).transpose()?,
                ends_at: ends_at.as_deref().map(parse_time).transpose()?,
                all_day,
            };
            let staff = crate::admin::staff_named(db, Some(actor)).await?;
            let a = db
                .write(move |c| kith_core::settle(announcements::add(c, staff, &new)))
                .await??;
            println!("{}", a.id);
        }
        AnnouncementCommand::List => {
            for a in db.read(store::all).await? {
                let text = a.text.replace('\n', " ");
                println!(
                    "{}\t{}\t{}\t{text}",
                    a.id,
                    shown(a.starts_at),
                    shown(a.ends_at)
                );
            }
        }
        AnnouncementCommand::Remove { id, actor } => {
            let staff = crate::admin::staff_named(db, Some(actor)).await?;
            db.write(move |c| kith_core::settle(announcements::remove(c, staff, id)))
                .await??;
            eprintln!("announcement {id} removed");
        }
    }
    Ok(())
}
