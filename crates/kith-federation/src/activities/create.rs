//! `Create` of a `Note` (or another post type): stored with its fan-in; a reply whose parent is
//! unknown here has the parent chain fetched in the background.

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
    let stored = store_remote_note(note, actor, data, Some(receipt.to_owned())).await?;
    let status = stored.status;
    if stored.parent_missing {
        let parent = status.in_reply_to_ap_id.clone();
        let data = data.reset_request_count();
        tokio::spawn(async move { fetch_parents(parent, &data, 20).await });
    }
    Ok(stored.receipt_recorded)
}
