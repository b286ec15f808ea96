//! `Follow`: someone elsewhere follows a local account. Open accounts accept at once (and send
//! `Accept`); locked accounts get a request to approve. A blocked follower gets `Reject`.

use super::{local_person, object_id};
use crate::outbound::{self, Audience};
use crate::{Data, FederationError};
use kith_core::notifications::{notify, NotificationKind};
use kith_storage::accounts::Account;
use kith_storage::follows::{self, Follow};
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let target = local_person(object_id(activity).ok_or(FederationError::NotFound)?, data).await?;
    let follow_id = activity["id"].as_str().unwrap_or_default().to_owned();
    let urls = data.urls.clone();
    data.db
        .write(move |c| {
            if follows::blocks(c, target.id, actor.id)? {
                let reject = outbound::answer_follow(&urls, "Reject", &target, &follow_id, &actor);
                return outbound::send(c, &urls, &target, reject, &Audience::to(actor));
            }
            let row = Follow {
                id: kith_storage::id::new_id(),
                account_id: actor.id,
                target_account_id: target.id,
                ap_id: follow_id.clone(),
                accepted: !target.locked,
                created_at: kith_storage::now(),
            };
            // Concurrent Follows of the same pair (under different ids) store one row, and
            // only the one that stored it notifies.
            let new = follows::insert_if_new(c, &row)?;
            let stored = match new {
                true => row,
                false => follows::between(c, actor.id, target.id)?
                    .ok_or(kith_storage::StorageError::NotFound)?,
            };
            if new {
                let kind = if stored.accepted {
                    NotificationKind::Follow
                } else {
                    NotificationKind::FollowRequest
                };
                notify(c, target.id, actor.id, kind, None)?;
            }
            if stored.accepted {
                // Also for a repeated Follow: the first Accept may have been lost.
                let accept = outbound::answer_follow(&urls, "Accept", &target, &follow_id, &actor);
                outbound::send(c, &urls, &target, accept, &Audience::to(actor))?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
