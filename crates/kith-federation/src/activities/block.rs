//! `Block` of a local account: follows both ways end, and the blocker's posts stop reaching it.

use super::{local_person, object_id};
use crate::{Data, FederationError};
use kith_storage::accounts::Account;
use kith_storage::follows;
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let target = local_person(object_id(activity).ok_or(FederationError::NotFound)?, data).await?;
    let id = activity["id"].as_str().unwrap_or_default().to_owned();
    data.db
        .write(move |c| {
            follows::block(c, kith_storage::id::new_id(), actor.id, target.id, &id)?;
            kith_storage::statuses::remove_author_from_feed(c, target.id, actor.id)
        })
        .await?;
    Ok(())
}
