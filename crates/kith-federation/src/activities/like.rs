//! `Like` (and Misskey's reactions) of a post stored here: a favourite, and a notification
//! when the post is local. A Like from someone the post's author blocks is ignored.

use crate::{Data, FederationError};
use kith_core::notifications::{notify, NotificationKind};
use kith_storage::accounts::Account;
use kith_storage::{activity as acts, follows, statuses};
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
            if follows::blocks(c, status.account_id, actor.id)? {
                tracing::debug!(actor = %actor.ap_id, "Like from an account the author blocks; ignored");
                return Ok(());
            }
            if !statuses::is_visible(c, status.id, Some(actor.id))? {
                return Err(kith_storage::StorageError::NotFound);
            }
            let new =
                acts::favourite(c, kith_storage::id::new_id(), actor.id, status.id, &like_id)?;
            if new && status.local {
                notify(
                    c,
                    status.account_id,
                    actor.id,
                    NotificationKind::Favourite,
                    Some(status.id),
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
