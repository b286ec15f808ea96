//! `Update` of the actor's profile, or of one of its posts (an edit).

use crate::objects::account::ApAccount;
use crate::objects::status::check_authorship;
use crate::protocol::actor::{Actor, ACTOR_TYPES};
use crate::protocol::note::{parse_note, NOTE_TYPES};
use crate::protocol::values::truncate_chars;
use crate::{Data, FederationError};
use activitypub_federation::traits::Object;
use kith_core::notifications::{notify, NotificationKind};
use kith_storage::accounts::Account;
use kith_storage::statuses::{self, StatusEdit};
use kith_storage::OptionalExt;
use serde_json::Value;
use url::Url;

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
    if ACTOR_TYPES.contains(&kind) {
        let person: Actor = serde_json::from_value(object.clone())
            .map_err(|e| FederationError::Invalid(format!("bad actor: {e}")))?;
        if person.id.as_str() != actor.ap_id {
            return Err(FederationError::Invalid(
                "an actor may only update itself".into(),
            ));
        }
        let expected = Url::parse(&actor.ap_id)?;
        ApAccount::verify(&person, &expected, data).await?;
        ApAccount::from_json(person, data).await?;
        return Ok(());
    }
    if !NOTE_TYPES.contains(&kind) {
        return Ok(());
    }
    let note = parse_note(object).map_err(FederationError::Invalid)?;
    check_authorship(&note, &actor)?;
    let edit = StatusEdit {
        content: kith_core::html::sanitize_remote(&truncate_chars(&note.content, 100_000)),
        source_text: None,
        spoiler_text: note
            .summary
            .as_deref()
            .map(|s| {
                truncate_chars(
                    &kith_core::html::html_to_text(&kith_core::html::sanitize_remote(s)),
                    500,
                )
            })
            .unwrap_or_default(),
        sensitive: note.sensitive || note.summary.is_some(),
        attachments: serde_json::to_string(&note.attachments)?,
        edited_at: Some(
            note.updated
                .map(|u| u.naive_utc())
                .unwrap_or_else(kith_storage::now),
        ),
    };
    let ap_id = note.id.to_string();
    data.db
        .write(move |c| {
            let status = statuses::by_ap_id(c, &ap_id)
                .optional()?
                .filter(|s| s.account_id == actor.id);
            match status {
                Some(s) => {
                    statuses::edit(c, s.id, &edit)?;
                    // Tell the local people who boosted it, as Mastodon does.
                    for booster in statuses::local_reblogger_ids(c, s.id)? {
                        notify(c, booster, actor.id, NotificationKind::Update, Some(s.id))?;
                    }
                    Ok(())
                }
                None => Err(kith_storage::StorageError::NotFound),
            }
        })
        .await?;
    Ok(())
}
