//! `Create` of a `Note` (or another post type): stored with its fan-in; a reply whose parent is
//! unknown here has the parent chain fetched in the background.

use crate::objects::status::{fetch_parents, store_remote_note};
use crate::protocol::note::{parse_note, NOTE_TYPES};
use crate::{Data, FederationError};
use kith_storage::accounts::Account;
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let object = &activity["object"];
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !NOTE_TYPES.contains(&kind) {
        return Ok(());
    }
    let note = parse_note(object).map_err(FederationError::Invalid)?;
    let (status, parent_missing) = store_remote_note(note, actor, data).await?;
    if parent_missing {
        let parent = status.in_reply_to_ap_id.clone();
        let data = data.reset_request_count();
        tokio::spawn(async move { fetch_parents(parent, &data, 20).await });
    }
    Ok(())
}
