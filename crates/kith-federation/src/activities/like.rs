//! `Like` (and Misskey's reactions) of a post stored here: a favourite, and a notification
//! when the post is local.

use crate::{Data, FederationError};
use kith_core::statuses::notification;
use kith_storage::accounts::Account;
use kith_storage::{activity as acts, statuses};
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let object = super::object_id(activity).ok_or(FederationError::NotFound)?;
    let like_id = activity["id"].as_str().unwrap_or_default().to_owned();
    data.db
        .write(move |c| {
            let status = statuses::by_ap_id(c, &object)?;
            if !statuses::is_visible(c, status.id, Some(actor.id))? {
                return Err(kith_storage::StorageError::NotFound);
            }
            let new =
                acts::favourite(c, kith_storage::id::new_id(), actor.id, status.id, &like_id)?;
            if new && status.local {
                acts::notify(
                    c,
                    &notification(status.account_id, actor.id, "favourite", Some(status.id)),
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
