//! `Create` of a `Note` (or another post type): stored with its fan-in; a reply whose parent is
//! unknown here has the parent chain fetched in the background. A Note that is a vote in a
//! local poll is counted instead (`polls::receive_vote`).

use crate::objects::status::{fetch_parents, store_remote_note};
use crate::protocol::note::{parse_note, NOTE_TYPES};
use crate::{Data, FederationError};
use kith_storage::accounts::Account;
use serde_json::Value;

/// Returns whether the activity's receipt was recorded with the post.
pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
    receipt: &str,
) -> Result<bool, FederationError> {
    let object = &activity["object"];
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !NOTE_TYPES.contains(&kind) {
        return Ok(false);
    }
    let note = parse_note(object).map_err(FederationError::Invalid)?;
    // A vote in one of our polls is counted, never shown as a reply.
    if let Some(recorded) = crate::polls::receive_vote(&note, &actor, data, receipt).await? {
        return Ok(recorded);
    }
    let stored = store_remote_note(note, actor, data, Some(receipt.to_owned())).await?;
    let status = stored.status;
    if stored.parent_missing {
        let parent = status.in_reply_to_ap_id.clone();
        let data = data.reset_request_count();
        tokio::spawn(async move { fetch_parents(parent, &data, 20).await });
    }
    Ok(stored.receipt_recorded)
}
