//! What each received activity does, one file per type (as Mastodon's `activity/*.rb`).
//! Handlers get an activity whose signature was checked against `actor`; they still check
//! that what it touches belongs to that actor. Unknown types are acknowledged and ignored.

mod accept;
mod announce;
mod block;
mod create;
mod delete;
mod flag;
mod follow;
mod like;
mod reject;
mod undo;
mod update;

use crate::{Data, FederationError};
use kith_core::types::ActorType;
use kith_storage::accounts::{self, Account};
use kith_storage::OptionalExt;
use serde_json::Value;

/// Applies one verified activity whose id is `receipt`. Returns whether its receipt was
/// recorded in the same transaction as its effect (a `Create` does that, saving a write);
/// otherwise the caller records it.
pub async fn apply(
    kind: &str,
    activity: &Value,
    actor: Account,
    data: &Data,
    receipt: &str,
) -> Result<bool, FederationError> {
    if kind == "Create" {
        let result = create::receive(activity, actor, data, receipt).await;
        data.delivery_wakeup.notify_one();
        return result;
    }
    // Cohort messages (and refusals of them) first; anything else goes on as usual.
    if let Some(result) = crate::cohort::receive(kind, activity, &actor, data).await {
        data.delivery_wakeup.notify_one();
        return result.map(|()| false);
    }
    let result = match kind {
        "Follow" => follow::receive(activity, actor, data).await,
        "Accept" => accept::receive(activity, actor, data).await,
        "Reject" => reject::receive(activity, actor, data).await,
        "Undo" => undo::receive(activity, actor, data).await,
        "Update" => update::receive(activity, actor, data).await,
        "Delete" => delete::receive(activity, actor, data).await,
        "Like" | "EmojiReact" => like::receive(activity, actor, data).await,
        "Announce" => announce::receive(activity, actor, data).await,
        "Block" => block::receive(activity, actor, data).await,
        "Flag" => flag::receive(activity, actor, data).await,
        other => {
            tracing::debug!(kind = other, "ignoring activity type");
            Ok(())
        }
    };
    data.delivery_wakeup.notify_one();
    result.map(|()| false)
}

/// The id of `activity.object`, given as a string or as an object.
pub(crate) fn object_id(activity: &Value) -> Option<String> {
    match activity.get("object")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// A local person by actor id.
pub(crate) async fn local_person(ap_id: String, data: &Data) -> Result<Account, FederationError> {
    data.db
        .read(move |c| accounts::by_ap_id(c, &ap_id).optional())
        .await?
        .filter(|a| a.is_local() && ActorType::of(a) != ActorType::Application)
        .ok_or(FederationError::NotFound)
}
