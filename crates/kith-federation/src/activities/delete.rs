//! `Delete` of one of the actor's posts, or of the actor itself (its account goes, with
//! everything it made here). An actor that now answers 410 is still deleted: the signature
//! was checked with the key we had.

use crate::{Data, FederationError};
use kith_storage::accounts::Account;
use kith_storage::{statuses, OptionalExt};
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let object = super::object_id(activity).ok_or(FederationError::NotFound)?;
    data.db
        .write(move |c| {
            if object == actor.ap_id {
                return kith_storage::accounts::delete(c, actor.id);
            }
            if let Some(s) = statuses::by_ap_id(c, &object).optional()? {
                if s.account_id == actor.id {
                    statuses::delete(c, s.id)?;
                }
            }
            Ok(())
        })
        .await?;
    Ok(())
}
