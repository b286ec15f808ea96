//! `Update` of the actor's profile, or of one of its posts (an edit; for a `Question`, usually
//! just its poll's new counts, which are no edit).

use crate::convert;
use crate::objects::account::ApAccount;
use crate::objects::status::{check_authorship, link_emojis, store_remote_poll};
use crate::protocol::actor::Actor;
use crate::protocol::note::{parse_note, NOTE_TYPES};
use crate::{Data, FederationError};
use activitypub_federation::traits::Object;
use kith_core::notifications::{notify, NotificationKind};
use kith_core::types::ActorType;
use kith_storage::accounts::Account;
use kith_storage::OptionalExt;
use kith_storage::{polls, statuses};
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
    if kind.parse::<ActorType>().is_ok() {
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
    let ap_id = note.id.to_string();
    let now = chrono::Utc::now();
    let poll = note
        .question
        .as_ref()
        .map(|q| convert::question_to_poll(q, now));
    let allow_http = data.instance.dev_mode;
    let titles: Vec<String> = poll.iter().flat_map(|p| p.titles.clone()).collect();
    let (edit, emojis) = convert::off_thread(move || {
        let edit = convert::note_to_edit(&note, now)?;
        let mut texts = vec![edit.content.as_str(), edit.spoiler_text.as_str()];
        texts.extend(titles.iter().map(String::as_str));
        let emojis = convert::emojis(&note.emojis, &texts, allow_http, now);
        Ok((edit, emojis))
    })
    .await?;
    data.db
        .write(move |c| {
            let mut edit = edit;
            let mut emojis = emojis;
            if let Some(domain) = &actor.domain {
                if kith_core::domain_policy::rejects_media(c, domain)? {
                    edit.attachments = "[]".into();
                    emojis.clear();
                }
            }
            let status = statuses::by_ap_id(c, &ap_id)
                .optional()?
                .filter(|s| s.account_id == actor.id);
            let Some(s) = status else {
                return Err(kith_storage::StorageError::NotFound);
            };
            // New options (or single/multiple choice) void the votes, as on Mastodon; a
            // Note without a poll removes it.
            let before = polls::of_status(c, s.id)?;
            let revision = poll.as_ref().map(|p| polls::Revision {
                titles: p.titles.clone(),
                multiple: p.multiple,
                hide_totals: before.as_ref().is_some_and(|b| b.hide_totals),
                expires_at: p.state.expires_at,
            });
            let poll_changed = match (&before, &revision) {
                (Some(b), Some(r)) => r.voids_votes_of(b),
                (None, None) => false,
                _ => true,
            };
            link_emojis(c, s.id, &actor, &emojis)?;
            // A Question's Update usually carries new counts only: that is no edit.
            let changed = edit.content != s.content
                || edit.spoiler_text != s.spoiler_text
                || edit.sensitive != s.sensitive
                || edit.attachments != s.attachments;
            let counts_only = poll.is_some() && !changed && !poll_changed;
            if !counts_only {
                statuses::edit(c, s.id, &edit, poll_changed)?;
            }
            match (before, &poll, &revision) {
                (Some(b), Some(p), Some(r)) => {
                    if poll_changed {
                        polls::revise(c, &b, r)?;
                    }
                    polls::set_remote_state(c, b.id, &p.state)?;
                }
                (Some(b), None, _) => polls::remove(c, b.id)?,
                (None, Some(p), _) => store_remote_poll(c, s.id, p)?,
                _ => {}
            }
            if counts_only {
                return Ok(());
            }
            // Tell the local people who boosted it, as Mastodon does.
            for booster in statuses::local_reblogger_ids(c, s.id)? {
                notify(c, booster, actor.id, NotificationKind::Update, Some(s.id))?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
