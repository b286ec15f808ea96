//! The inbox: checks that a POST is signed by the actor of the activity it carries, then hands
//! the activity to its handler in `activities`. NUL characters are removed from the parsed
//! activity first (PostgreSQL cannot store them). Unsigned or badly signed requests get 401,
//! unparseable bodies 400, and accepted, repeated or deliberately ignored activities 202.
//! A signature that fails with a cached key is retried once after refetching the actor, which
//! is how key rotation reaches us. RFC 9421 signatures are not read yet: they get 401, and
//! senders that try them first (Fedify) fall back to draft-cavage.

use crate::objects::account::{authority, ApAccount};
use crate::protocol::values::strip_nul;
use crate::signatures;
use crate::{activities, Data, FederationError};
use activitypub_federation::fetch::object_id::ObjectId;
use actix_web::web::Bytes;
use actix_web::HttpRequest;
use http_signature_normalization::verify::Unverified;
use kith_core::domain_policy;
use kith_storage::accounts::{self, Account};
use kith_storage::{activity, OptionalExt};
use serde_json::Value;
use url::Url;

/// The largest activity accepted.
pub const MAX_ACTIVITY_BYTES: usize = 1024 * 1024;
/// Activities in progress at once by default (`inbox_queue`); beyond it the inbox answers 503.
/// With bodies of at most 1 MiB this also bounds the memory the inbox can be made to hold.
pub const DEFAULT_INBOX_QUEUE: usize = 512;
/// The `Retry-After` (seconds) sent with a 503 from a full inbox.
pub const RETRY_AFTER_SECS: u64 = 5;
/// How far a request's `Date` may lie in the past (Mastodon's window) …
const MAX_AGE: chrono::Duration = signatures::MAX_DATE_AGE;
/// … and in the future (clock skew).
const MAX_SKEW: chrono::Duration = signatures::MAX_DATE_SKEW;

/// Why an inbox POST was refused.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// 400: not an activity we can read.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid signature from the activity's actor.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the sending server is suspended here (or not allowed in allow-list mode).
    #[error("{0}")]
    Refused(String),
    /// 413.
    #[error("activity too large")]
    TooLarge,
    /// 500: our fault; the sender will retry.
    #[error("{0}")]
    Internal(String),
}

fn date_ok(req: &HttpRequest) -> Result<(), InboxError> {
    let date = req
        .headers()
        .get("date")
        .and_then(|d| d.to_str().ok())
        .ok_or_else(|| InboxError::Unauthorized("Date header missing".into()))?;
    let date = chrono::DateTime::parse_from_rfc2822(date)
        .map_err(|_| InboxError::Unauthorized("Date header unreadable".into()))?
        .with_timezone(&chrono::Utc);
    let now = chrono::Utc::now();
    if date < now - MAX_AGE || date > now + MAX_SKEW {
        return Err(InboxError::Unauthorized(
            "Date outside the accepted window".into(),
        ));
    }
    Ok(())
}

/// The `actor` of an activity: a URL, or an object with an `id`.
pub fn actor_of(activity: &Value) -> Option<Url> {
    match activity.get("actor")? {
        Value::String(s) => Url::parse(s).ok(),
        Value::Object(o) => o.get("id")?.as_str().and_then(|s| Url::parse(s).ok()),
        _ => None,
    }
}

/// The actor whose signature this request carries, if it is `actor`'s and verifies. The
/// stored copy of the actor is tried first (so an actor that was deleted at home and now
/// answers 410 can still sign its own `Delete`); on failure the actor is fetched again once,
/// which is how a rotated key reaches us.
async fn verified_signer(
    req: &HttpRequest,
    body: &Bytes,
    actor: &Url,
    stored: Option<Account>,
    data: &Data,
) -> Result<Account, InboxError> {
    let unauthorized = |why: String| InboxError::Unauthorized(why);
    signatures::verify_digest(req, body).map_err(unauthorized)?;
    let signature = signatures::parse(req, true).map_err(unauthorized)?;
    let id = ObjectId::<ApAccount>::from(actor.clone());
    let known = match stored {
        Some(a) => a,
        None => crate::fetch::dereference(&id, data)
            .await
            .map_err(|e| unauthorized(format!("the actor could not be fetched: {e}")))?
            .into_account(),
    };
    if !signatures::key_belongs_to(signature.key_id(), &known) {
        return Err(unauthorized("the key is not the actor's".into()));
    }
    verify_or_refetch(&signature, &id, known, data).await
}

/// `known` if `signature` is by one of its keys and verifies; otherwise `id` fetched again
/// once (how a rotated key reaches us), if the signature is by it.
async fn verify_or_refetch(
    signature: &Unverified,
    id: &ObjectId<ApAccount>,
    known: Account,
    data: &Data,
) -> Result<Account, InboxError> {
    let by = |a: &Account| {
        signatures::key_belongs_to(signature.key_id(), a)
            && signatures::verify(signature, &a.public_key_pem)
    };
    if by(&known) {
        return Ok(known);
    }
    let fresh = crate::fetch::dereference_forced(id, data)
        .await
        .map_err(|e| {
            InboxError::Unauthorized(format!("signature not verified; refetch failed: {e}"))
        })?
        .into_account();
    if by(&fresh) {
        Ok(fresh)
    } else {
        Err(InboxError::Unauthorized("signature not verified".into()))
    }
}

/// The actor that signed a GET, Mastodon/GoToSocial style (`(request-target) host date`, no
/// Digest): `Ok(None)` when the request is not signed, an error when it is signed badly.
pub async fn signed_get(req: &HttpRequest, data: &Data) -> Result<Option<Account>, InboxError> {
    if req.headers().get("signature").is_none() {
        return Ok(None);
    }
    date_ok(req)?;
    let unauthorized = |why: String| InboxError::Unauthorized(why);
    let signature = signatures::parse(req, false).map_err(unauthorized)?;
    let key_id = signature.key_id();
    let owner = key_id
        .split_once('#')
        .map(|(o, _)| o)
        .or_else(|| key_id.strip_suffix("/main-key"))
        .unwrap_or(key_id);
    let owner = Url::parse(owner).map_err(|_| unauthorized("keyId is not a URL".into()))?;
    if data.urls.is_local(&owner) {
        return Err(unauthorized("keyId claims a local actor".into()));
    }
    let id = ObjectId::<ApAccount>::from(owner);
    let known = crate::fetch::dereference(&id, data)
        .await
        .map_err(|e| unauthorized(format!("the signer could not be fetched: {e}")))?
        .into_account();
    verify_or_refetch(&signature, &id, known, data)
        .await
        .map(Some)
}

/// An activity as read from an inbox body, before its signature is checked.
#[derive(Debug)]
pub struct Envelope {
    /// The activity's `type`.
    pub kind: String,
    /// Its `id`.
    pub id: Url,
    /// Its `actor`, on the same host as `id`.
    pub actor: Url,
    /// The whole document.
    pub activity: Value,
}

/// Reads an inbox body: at most `MAX_ACTIVITY_BYTES` of JSON with a `type`, a URL `id` and
/// an `actor` on the same host. Pure, so that it can be fuzzed (`tests/fuzz.rs`).
pub fn parse_activity(body: &[u8]) -> Result<Envelope, InboxError> {
    if body.len() > MAX_ACTIVITY_BYTES {
        return Err(InboxError::TooLarge);
    }
    let mut activity: Value = serde_json::from_slice(body)
        .map_err(|e| InboxError::BadRequest(format!("body is not JSON: {e}")))?;
    // The signature covers the body as sent; what is read from it is cleaned of NUL.
    strip_nul(&mut activity);
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| InboxError::BadRequest("activity has no type".into()))?
        .to_owned();
    let id = activity
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Url::parse(s).ok())
        .ok_or_else(|| InboxError::BadRequest("activity has no valid id".into()))?;
    let actor = actor_of(&activity)
        .ok_or_else(|| InboxError::BadRequest("activity has no actor".into()))?;
    if authority(&id) != authority(&actor) {
        return Err(InboxError::BadRequest(
            "activity id is on another host than its actor".into(),
        ));
    }
    Ok(Envelope {
        kind,
        id,
        actor,
        activity,
    })
}

/// Handles one POST to an inbox.
pub async fn receive(req: &HttpRequest, body: Bytes, data: &Data) -> Result<(), InboxError> {
    let Envelope {
        kind,
        id,
        actor,
        activity,
    } = parse_activity(&body)?;
    if data.urls.is_local(&actor) {
        return Err(InboxError::Unauthorized(
            "activity claims a local actor".into(),
        ));
    }
    // Domain policies first, before any signature work: a suspended (or, in allow-list mode,
    // unlisted) server gets nothing accepted, cheaply.
    let sender = crate::objects::account::authority(&actor).unwrap_or_default();
    let allowlist = data.instance.allowlist_mode;
    let (refused, sender) = data
        .db
        .read(move |c| Ok((domain_policy::refuses(c, &sender, allowlist)?, sender)))
        .await
        .map_err(|e| InboxError::Internal(e.to_string()))?;
    if refused {
        tracing::debug!(%sender, "activity from a refused domain");
        return Err(InboxError::Refused(format!(
            "{sender} does not federate here"
        )));
    }
    date_ok(req)?;
    // One read for both the stored actor and whether the activity was seen (it is only
    // acknowledged as seen once the signature checks out).
    let (seen_id, actor_id) = (id.to_string(), actor.to_string());
    let (stored, seen, suspended) = data
        .db
        .read(move |c| {
            let stored = accounts::by_ap_id(c, &actor_id).optional()?;
            let suspended = match &stored {
                Some(a) => kith_storage::moderation::state(c, a.id)?
                    .suspended_at
                    .is_some(),
                None => false,
            };
            Ok((
                stored,
                !activity::first_receipt_would_be(c, &seen_id)?,
                suspended,
            ))
        })
        .await
        .map_err(|e| InboxError::Internal(e.to_string()))?;
    // An account the moderators suspended is refused too (as its server would be), all but
    // its own deletion, which ends the account here as well.
    let deletes_itself = kind == "Delete"
        && crate::activities::object_id(&activity).as_deref() == Some(actor.as_str());
    if suspended && !deletes_itself {
        tracing::debug!(%actor, "activity from a suspended account");
        return Err(InboxError::Refused(format!("{actor} is suspended here")));
    }
    let signer = verified_signer(req, &body, &actor, stored, data).await?;
    if seen {
        tracing::debug!(%id, "activity seen before; acknowledged");
        return Ok(());
    }
    let receipt = id.to_string();
    let recorded = match activities::apply(&kind, &activity, signer, data, &receipt).await {
        Ok(recorded) => recorded,
        Err(FederationError::Invalid(why)) => {
            tracing::info!(%id, %kind, %why, "refused activity");
            return Err(InboxError::BadRequest(why));
        }
        Err(FederationError::NotFound) => {
            tracing::debug!(%id, %kind, "activity about something unknown here; ignored");
            false
        }
        Err(FederationError::Library(e)) => {
            tracing::info!(%id, %kind, error = %e, "activity could not be processed");
            return Err(InboxError::BadRequest(e.to_string()));
        }
        Err(e) => return Err(InboxError::Internal(e.to_string())),
    };
    if !recorded {
        data.db
            .write(move |c| activity::first_receipt(c, &receipt).map(|_| ()))
            .await
            .map_err(|e| InboxError::Internal(e.to_string()))?;
    }
    Ok(())
}
