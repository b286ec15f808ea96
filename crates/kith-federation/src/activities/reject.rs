//! `Reject` of a local account's `Follow` (or of an accepted follow, which ends it).

use crate::{Data, FederationError};
use kith_storage::accounts::Account;
use kith_storage::follows;
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let follow_id = super::object_id(activity).ok_or(FederationError::NotFound)?;
    data.db
        .write(move |c| {
            if let Some(f) =
                follows::by_ap_id(c, &follow_id)?.filter(|f| f.target_account_id == actor.id)
            {
                follows::remove(c, f.account_id, actor.id)?;
                kith_storage::statuses::remove_author_from_feed(c, f.account_id, actor.id)?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
