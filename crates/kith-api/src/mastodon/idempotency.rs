//! `Idempotency-Key` on `POST /api/v1/statuses`: the same key from the same account within an
//! hour gets the post the first request made, not a second post. The key is claimed in the
//! database (`kith_storage::idempotency`), so requests racing on several processes agree:
//! exactly one posts, the others wait for its post (a few seconds at most) and return it.

use super::statuses::Prepared;
use crate::error::{ApiError, ApiResult};
use actix_web::HttpRequest;
use kith_federation::publish;
use kith_federation::Data;
use kith_storage::accounts::Account;
use kith_storage::idempotency::{self, KeyState};
use kith_storage::statuses::{self, Status};
use std::time::Duration;

/// The longest key accepted, in bytes.
const MAX_KEY_BYTES: usize = 256;
/// How long a key keeps its post (Mastodon's hour).
const KEY_LIFETIME: chrono::Duration = chrono::Duration::hours(1);
/// How long a claim without a post holds the key (its request died, or its process did).
const CLAIM_LIFETIME: chrono::Duration = chrono::Duration::minutes(5);
/// How long a request waits for a concurrent one with the same key.
const WAIT: Duration = Duration::from_secs(15);

/// The request's `Idempotency-Key`, if it sent a non-empty one.
pub(super) fn key_of(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = v
        .to_str()
        .map_err(|_| {
            ApiError::Unprocessable("Validation failed: Idempotency-Key must be text".into())
        })?
        .trim();
    if key.len() > MAX_KEY_BYTES {
        return Err(ApiError::Unprocessable(format!(
            "Validation failed: Idempotency-Key is longer than {MAX_KEY_BYTES} bytes"
        )));
    }
    Ok(Some(key.to_owned()).filter(|k| !k.is_empty()))
}

/// Posts `prepared` unless `key` already made a post of `me`'s within the hour, which is
/// returned instead.
pub(crate) async fn post_once(
    data: &Data,
    me: Account,
    key: Option<String>,
    prepared: Prepared,
) -> ApiResult<Status> {
    let Some(key) = key else {
        return Ok(publish::post_with_poll(data, me, prepared.new, prepared.poll).await?);
    };
    let started = std::time::Instant::now();
    loop {
        let (account, k) = (me.id, key.clone());
        let state = data
            .db
            .write(move |c| {
                let now = kith_storage::now();
                idempotency::claim(
                    c,
                    account,
                    &k,
                    now,
                    now - KEY_LIFETIME,
                    now - CLAIM_LIFETIME,
                )
            })
            .await?;
        match state {
            KeyState::Claimed => break,
            KeyState::Done(id) => {
                if let Some(s) = data
                    .db
                    .read(move |c| kith_storage::OptionalExt::optional(statuses::by_id(c, id)))
                    .await?
                {
                    return Ok(s);
                }
            }
            KeyState::Pending => {}
        }
        if started.elapsed() > WAIT {
            return Err(ApiError::Unprocessable(
                "Validation failed: a request with this Idempotency-Key is still being processed"
                    .into(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let account = me.id;
    match publish::post_with_poll(data, me, prepared.new, prepared.poll).await {
        Ok(status) => {
            let (k, id) = (key, status.id);
            data.db
                .write(move |c| idempotency::fulfil(c, account, &k, id))
                .await?;
            Ok(status)
        }
        Err(e) => {
            data.db
                .write(move |c| idempotency::release(c, account, &key))
                .await?;
            Err(e.into())
        }
    }
}
