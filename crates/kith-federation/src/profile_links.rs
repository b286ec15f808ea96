//! Verifying the links in a local profile's fields, as Mastodon does (`verified_at`): a field
//! whose value is one `http(s)` URL is verified when that page links back to the profile with
//! `rel="me"` (`kith_core::profile::links_back`). Pages are fetched only through the guarded
//! client, at most `MAX_LINK_PAGE_BYTES` of each, in a background task started after a profile
//! edit, never while a request waits.

use crate::{FederationError, KithContext};
use kith_core::limits::MAX_LINK_PAGE_BYTES;
use kith_core::profile::{links_back, verifiable_url};
use kith_storage::accounts::{self, ProfileChanges};

/// Whether any of these fields (as typed) is a link that could be verified.
pub fn has_links(raw_values: &[Option<String>]) -> bool {
    raw_values
        .iter()
        .flatten()
        .any(|v| verifiable_url(v).is_some())
}

/// The page at `url`, at most `MAX_LINK_PAGE_BYTES` of it (the rest is not read); `None` if it
/// cannot be had.
async fn page(ctx: &KithContext, url: &str) -> Option<String> {
    let mut res = ctx
        .http
        .get(url)
        .header("Accept", "text/html, application/xhtml+xml;q=0.9")
        .send()
        .await
        .ok()?;
    if !res.status().is_success() {
        return None;
    }
    let mut body = Vec::new();
    loop {
        match tokio::time::timeout(crate::http_client::REQUEST_TIMEOUT, res.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                let room = MAX_LINK_PAGE_BYTES - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= MAX_LINK_PAGE_BYTES {
                    break;
                }
            }
            Ok(Ok(None)) => break,
            Ok(Err(_)) | Err(_) => return None,
        }
    }
    Some(String::from_utf8_lossy(&body).into_owned())
}

/// Checks each link field of local account `account_id` and stores its `verified_at` (the
/// time, or none). A field changed meanwhile is left as it is: the edit that changed it starts
/// its own check.
pub async fn verify(ctx: &KithContext, account_id: i64) -> Result<(), FederationError> {
    let account = ctx.db.read(move |c| accounts::by_id(c, account_id)).await?;
    if !account.is_local() {
        return Ok(());
    }
    let profile = ctx.urls.profile(&account.username).to_string();
    let mut targets = vec![account.ap_id.clone(), profile];
    targets.extend(account.url.clone());
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let mut checked: Vec<(String, bool)> = Vec::new();
    for field in account.profile_fields() {
        let Some(url) = field.raw.as_deref().and_then(verifiable_url) else {
            continue;
        };
        let verified = match page(ctx, url).await {
            Some(html) => links_back(&html, &targets),
            None => false,
        };
        checked.push((url.to_owned(), verified));
    }
    if checked.is_empty() {
        return Ok(());
    }
    let now = kith_storage::now()
        .and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    ctx.db
        .write(move |c| {
            let row = accounts::by_id(c, account_id)?;
            let mut fields = row.profile_fields();
            for field in &mut fields {
                let raw = field.raw.as_deref().and_then(verifiable_url);
                if let Some((_, verified)) = checked.iter().find(|(u, _)| Some(u.as_str()) == raw) {
                    field.verified_at = verified.then(|| now.clone());
                }
            }
            let changes = ProfileChanges {
                fields: Some(accounts::encode_fields(&fields)),
                ..Default::default()
            };
            accounts::update_profile(c, account_id, &changes)?;
            Ok(())
        })
        .await?;
    Ok(())
}
