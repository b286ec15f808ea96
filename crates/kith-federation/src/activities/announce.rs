//! `Announce` (boost): the boosted post is found here or fetched, and the boost is stored as a
//! status of the booster's that goes to its followers' feeds. Only public and unlisted posts
//! can be boosted, and never by someone the post's author blocks (such a boost is ignored).

use crate::objects::status::ApStatus;
use crate::protocol::note::{addressees, visibility_of, Visibility};
use crate::{Data, FederationError};
use activitypub_federation::fetch::object_id::ObjectId;
use kith_core::notifications::{notify, NotificationKind};
use kith_storage::accounts::Account;
use kith_storage::statuses;
use kith_storage::{follows, OptionalExt};
use serde_json::Value;
use url::Url;

pub(super) async fn receive(
    activity: &Value,
    actor: Account,
    data: &Data,
) -> Result<(), FederationError> {
    // Lemmy's communities announce whole activities; Kith does not follow groups yet.
    if let Some(kind) = activity["object"].get("type").and_then(Value::as_str) {
        if !crate::protocol::note::NOTE_TYPES.contains(&kind) {
            return Ok(());
        }
    }
    let object = Url::parse(&super::object_id(activity).ok_or(FederationError::NotFound)?)?;
    // Fetch by id, never trusting an embedded copy; what cannot be fetched is ignored.
    let target = match crate::fetch::dereference(&ObjectId::<ApStatus>::from(object), data).await {
        Ok(s) => s.into_status(),
        Err(e) => {
            tracing::debug!(error = %e, "boosted post could not be fetched");
            return Err(FederationError::NotFound);
        }
    };
    if !Visibility::of(&target).is_distributable() {
        return Err(FederationError::Invalid(
            "only public posts can be boosted".into(),
        ));
    }
    let id = activity["id"].as_str().unwrap_or_default().to_owned();
    let to = addressees(activity.get("to"));
    let cc = addressees(activity.get("cc"));
    let visibility = visibility_of(&to, &cc, actor.followers_url.as_deref());
    let published = activity
        .get("published")
        .and_then(Value::as_str)
        .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
        .map(|p| p.with_timezone(&chrono::Utc))
        .filter(|p| *p < chrono::Utc::now())
        .unwrap_or_else(chrono::Utc::now);
    data.db
        .write(move |c| {
            if follows::blocks(c, target.account_id, actor.id)? {
                tracing::debug!(actor = %actor.ap_id, "Announce from an account the author blocks; ignored");
                return Ok(());
            }
            // Concurrent Announces of the same post (under different ids) store one boost.
            statuses::lock_for_boost(c, target.id)?;
            if statuses::by_ap_id(c, &id).optional()?.is_some()
                || statuses::reblog_by(c, actor.id, target.id)
                    .optional()?
                    .is_some()
            {
                return Ok(());
            }
            let boost = kith_core::statuses::boost(
                &target,
                &actor,
                kith_storage::id::id_at(published),
                id,
                visibility,
                published.naive_utc(),
            );
            statuses::insert(c, &boost, &[], &[])?;
            kith_core::statuses::distribute(c, &boost, &actor, &[])?;
            if target.local {
                notify(
                    c,
                    target.account_id,
                    actor.id,
                    NotificationKind::Reblog,
                    Some(target.id),
                )?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}
