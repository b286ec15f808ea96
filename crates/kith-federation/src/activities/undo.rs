//! `Undo` of the actor's own `Follow`, `Like`, `Announce` or `Block`; dispatched on the inner
//! activity's type, or found by its id when only the id is given.

use crate::{Data, FederationError};
use kith_storage::accounts::Account;
use kith_storage::{activity as acts, follows, statuses, OptionalExt};
use serde_json::Value;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    let inner = &activity["object"];
    let inner_id = super::object_id(activity).ok_or(FederationError::NotFound)?;
    let kind = inner.get("type").and_then(Value::as_str).map(str::to_owned);
    let target = super::object_id(inner);
    data.db
        .write(move |c| {
            let follow = follows::by_ap_id(c, &inner_id)?;
            match (kind.as_deref(), follow) {
                (Some("Follow") | None, Some(f)) if f.account_id == actor.id => {
                    follows::remove(c, actor.id, f.target_account_id)?;
                    return Ok(());
                }
                (Some("Follow"), None) => {
                    // Matched by the pair when the Follow's id is unknown here.
                    if let Some(t) = target.as_deref() {
                        if let Some(t) = kith_storage::accounts::by_ap_id(c, t).optional()? {
                            follows::remove(c, actor.id, t.id)?;
                        }
                    }
                    return Ok(());
                }
                _ => {}
            }
            if matches!(kind.as_deref(), Some("Like") | Some("EmojiReact") | None) {
                if let Some((account, _)) = acts::unfavourite_by_ap_id(c, &inner_id)? {
                    if account != actor.id {
                        return Err(kith_storage::StorageError::NotFound);
                    }
                    return Ok(());
                }
            }
            if matches!(kind.as_deref(), Some("Announce") | None) {
                if let Some(s) = statuses::by_ap_id(c, &inner_id).optional()? {
                    if s.account_id == actor.id && s.reblog_of_id.is_some() {
                        statuses::delete(c, s.id)?;
                    }
                    return Ok(());
                }
            }
            if kind.as_deref() == Some("Block") {
                if let Some(t) = target.as_deref() {
                    if let Some(t) = kith_storage::accounts::by_ap_id(c, t).optional()? {
                        follows::unblock(c, actor.id, t.id)?;
                    }
                }
            }
            Ok(())
        })
        .await?;
    Ok(())
}
