//! Reports: a local user's report from `POST /api/v1/reports`, or a remote instance's `Flag`,
//! becomes one row in the shared queue, and every moderator and admin is notified
//! (`admin.report`, through the notification gate). A report never acts by itself: only a
//! moderator's action does.

use crate::notifications::{notify_of, NotificationKind};
use crate::CoreError;
use kith_storage::moderation::{self, Report};
use kith_storage::{statuses, DbConn};
use std::str::FromStr;

/// The longest comment kept on a report, in characters (Mastodon's limit).
pub const MAX_COMMENT_CHARS: usize = 1000;
/// The most statuses or rules one report may name.
pub const MAX_IDS: usize = 100;

/// Why something was reported, as Mastodon names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Spam,
    Legal,
    Violation,
    Other,
}

impl Category {
    /// Mastodon's name, as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Spam => "spam",
            Category::Legal => "legal",
            Category::Violation => "violation",
            Category::Other => "other",
        }
    }
}

impl FromStr for Category {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Category, CoreError> {
        match s {
            "spam" => Ok(Category::Spam),
            "legal" => Ok(Category::Legal),
            "violation" => Ok(Category::Violation),
            "other" => Ok(Category::Other),
            _ => Err(CoreError::Invalid(format!(
                "category must be spam, legal, violation or other, not {s:?}"
            ))),
        }
    }
}

/// What a new report says.
#[derive(Debug, Clone)]
pub struct NewReport {
    /// Who reports: a local user, or for a `Flag` the sending instance's actor account.
    pub reporter_account_id: i64,
    /// The reported account.
    pub target_account_id: i64,
    /// Statuses of the target's that the report names (each must be the target's).
    pub status_ids: Vec<i64>,
    pub category: Category,
    /// Free text, cut to [`MAX_COMMENT_CHARS`].
    pub comment: String,
    /// The instance rules the report says were broken.
    pub rule_ids: Vec<i64>,
    /// Whether the reporter asks for the report to be forwarded to the target's instance.
    pub forward: bool,
    /// For a report received as a `Flag`: the sending instance's domain.
    pub origin_domain: Option<String>,
    /// For a report received as a `Flag`: the activity's id.
    pub ap_id: Option<String>,
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" ")
}

/// The ids in a stored space-separated list.
pub fn split_ids(s: &str) -> Vec<i64> {
    s.split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect()
}

/// Files a report and notifies the staff. Runs inside the caller's transaction.
///
/// Refused: a report about oneself, more than [`MAX_IDS`] statuses or rules, a status that is
/// not the target's. The target must exist (`NotFound` otherwise).
pub fn create(conn: &mut DbConn, new: NewReport) -> Result<Report, CoreError> {
    if new.reporter_account_id == new.target_account_id {
        return Err(CoreError::Invalid("you cannot report yourself".into()));
    }
    if new.status_ids.len() > MAX_IDS || new.rule_ids.len() > MAX_IDS {
        return Err(CoreError::Invalid(
            "a report names too many statuses or rules".into(),
        ));
    }
    kith_storage::accounts::by_id(conn, new.target_account_id)?;
    let mut status_ids = new.status_ids.clone();
    status_ids.sort_unstable();
    status_ids.dedup();
    let found = statuses::by_ids(conn, &status_ids)?;
    if found.len() != status_ids.len()
        || found.iter().any(|s| s.account_id != new.target_account_id)
    {
        return Err(CoreError::Invalid(
            "status_ids must be statuses of the reported account".into(),
        ));
    }
    let mut rule_ids = new.rule_ids.clone();
    rule_ids.sort_unstable();
    rule_ids.dedup();
    let now = kith_storage::now();
    let report = Report {
        id: kith_storage::id::new_id(),
        account_id: new.reporter_account_id,
        target_account_id: new.target_account_id,
        status_ids: join_ids(&status_ids),
        category: new.category.as_str().to_owned(),
        comment: new.comment.chars().take(MAX_COMMENT_CHARS).collect(),
        rule_ids: join_ids(&rule_ids),
        forward: new.forward,
        origin_domain: new.origin_domain,
        ap_id: new.ap_id,
        assigned_account_id: None,
        action_taken_at: None,
        action_taken_by_account_id: None,
        created_at: now,
        updated_at: now,
    };
    moderation::insert_report(conn, &report)?;
    for staff in moderation::staff_ids(conn)? {
        if staff != new.target_account_id {
            notify_of(
                conn,
                staff,
                new.reporter_account_id,
                NotificationKind::AdminReport,
                None,
                Some(report.id),
            )?;
        }
    }
    Ok(report)
}
