//! The audit log: every moderator and admin action is recorded here, in the same transaction
//! as the action, with who did it, what, to what, why and when. Moderators and admins read it
//! through `GET /api/v1/admin/audit_log` and `kith admin audit-log`.

use kith_storage::moderation::{self, AuditEntry};
use kith_storage::{DbConn, StorageError};

/// Records that `actor_account_id` did `action` (e.g. `suspend`, `resolve_report`,
/// `create_domain_block`) to the `target_type` (`account`, `report`, `status`, `domain`,
/// `invite`, `registrations`) identified by `target_id` (an id, or a domain), for `reason`.
/// Runs inside the caller's transaction, so the entry exists exactly when the action does.
pub fn record(
    conn: &mut DbConn,
    actor_account_id: i64,
    action: &str,
    target_type: &str,
    target_id: &str,
    reason: Option<&str>,
) -> Result<AuditEntry, StorageError> {
    let entry = AuditEntry {
        id: kith_storage::id::new_id(),
        account_id: actor_account_id,
        action: action.to_owned(),
        target_type: target_type.to_owned(),
        target_id: target_id.to_owned(),
        reason: reason.filter(|r| !r.is_empty()).map(str::to_owned),
        created_at: kith_storage::now(),
    };
    moderation::insert_audit(conn, &entry)?;
    Ok(entry)
}
