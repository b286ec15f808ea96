//! `Accept` of a local account's `Follow`: the follow is on.

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
    // Some servers embed the Follow with its own actor; fall back to the pair.
    let follower_ap = activity["object"]["actor"].as_str().map(str::to_owned);
    data.db
        .write(move |c| {
            let by_id =
                follows::by_ap_id(c, &follow_id)?.filter(|f| f.target_account_id == actor.id);
            let found = match (by_id, follower_ap) {
                (Some(f), _) => Some(f),
                (None, Some(ap)) => match kith_storage::accounts::by_ap_id(c, &ap) {
                    Ok(follower) if follower.is_local() => {
                        follows::between(c, follower.id, actor.id)?
                    }
                    _ => None,
                },
                (None, None) => None,
            };
            match found {
                Some(f) => follows::accept(c, f.id),
                None => Err(kith_storage::StorageError::NotFound),
            }
        })
        .await?;
    Ok(())
}
