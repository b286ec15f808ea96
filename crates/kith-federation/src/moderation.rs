//! Moderator actions that other servers must hear of: deleting an account (its data goes, its
//! followers' servers get `Delete` of the actor) and deleting a status (a local one's `Delete`
//! goes out as when its author deletes it). The rest of moderation is in
//! `kith_core::moderation`.

use crate::publish;
use crate::{outbound, Data, FederationError};
use kith_core::audit;
use kith_core::moderation::{check_may_act_on, Staff};
use kith_core::{CoreError, InstanceUrls};
use kith_storage::moderation::{self as rows};
use kith_storage::{accounts, statuses, DbConn, StorageError};

/// Deletes `target` as `staff`: for a local account, records `Delete` of the actor for its
/// remote followers' servers (before the follows go), then removes its data and credentials,
/// keeping the account row suspended and marked deleted so that the activity can be signed
/// and the name is not reused; for a remote account, removes what we hold of it. One
/// transaction with its audit entry. Refused on oneself and, for a moderator, on an admin.
pub async fn delete_account(
    data: &Data,
    staff: Staff,
    target: i64,
    reason: Option<String>,
) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    data.db
        .write(move |c| delete_account_in(c, &urls, staff, target, reason.as_deref()))
        .await?
        .map_err(FederationError::Core)?;
    data.delivery_wakeup.notify_one();
    Ok(())
}

/// [`delete_account`] inside the caller's transaction (the CLI uses it; the running server's
/// delivery worker sends what it queues). The inner `Err` is a refusal, with nothing written.
pub fn delete_account_in(
    c: &mut DbConn,
    urls: &InstanceUrls,
    staff: Staff,
    target: i64,
    reason: Option<&str>,
) -> Result<Result<(), CoreError>, StorageError> {
    let account = accounts::by_id(c, target)?;
    match check_may_act_on(c, staff, target) {
        Ok(()) => {}
        Err(CoreError::Storage(e)) => return Err(e),
        Err(e) => return Ok(Err(e)),
    }
    if account.is_local() {
        let activity = outbound::delete_actor(&account);
        let audience = outbound::Audience {
            followers_of: Some(account.id),
            accounts: Vec::new(),
        };
        outbound::send(c, urls, &account, activity, &audience)?;
        rows::purge_account_data(c, target)?;
        let now = kith_storage::now();
        let mut state = rows::state(c, target)?;
        state.suspended_at = Some(now);
        state.deleted_at = Some(now);
        rows::set_state(c, &state)?;
    } else {
        accounts::delete(c, target)?;
    }
    audit::record(
        c,
        staff.account_id,
        "delete",
        "account",
        &target.to_string(),
        reason,
    )?;
    Ok(Ok(()))
}

/// Deletes a status as `staff`. A local author's status is deleted as its author would
/// (`publish::delete`, which sends its `Delete`); a remote one is removed here only.
pub async fn delete_status(
    data: &Data,
    staff: Staff,
    status_id: i64,
) -> Result<(), FederationError> {
    let (status, author, allowed) = data
        .db
        .read(move |c| {
            let status = statuses::by_id(c, status_id)?;
            let author = accounts::by_id(c, status.account_id)?;
            let allowed = check_may_act_on(c, staff, author.id);
            Ok((status, author, allowed))
        })
        .await?;
    allowed?;
    if author.is_local() {
        publish::delete(data, author, status).await?;
    } else {
        data.db
            .write(move |c| statuses::delete(c, status_id))
            .await?;
    }
    data.db
        .write(move |c| {
            audit::record(
                c,
                staff.account_id,
                "delete",
                "status",
                &status_id.to_string(),
                None,
            )
        })
        .await?;
    Ok(())
}
