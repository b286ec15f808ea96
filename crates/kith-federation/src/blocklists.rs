//! Blocklist subscriptions: another instance's public domain-block list
//! (`/api/v1/instance/domain_blocks`, JSON) or a Mastodon blocklist CSV at a URL, fetched
//! through the guarded HTTP client (size cap, timeout), refreshed by a job that claims each
//! due subscription in the database (one process at a time), and turned into shared entries
//! with provenance by `kith_core::shared_moderation::sync_source`. A fetch that fails keeps
//! every entry the list had and records the error.

use crate::{FederationError, KithContext};
use kith_core::domain_policy::{self, Severity};
use kith_core::limits;
use kith_core::shared_moderation::{self as shared, Entry, Mode, Source};
use kith_storage::sharing::{self as store, Subscription};
use kith_storage::{DbConn, StorageError};
use serde_json::Value;
use std::time::Duration;

/// How often a subscription is refreshed.
pub const REFRESH_EVERY: Duration = Duration::from_secs(3_600);
/// How often the job looks for due subscriptions.
const TICK: Duration = Duration::from_secs(60);

/// Adds a subscription (mode `apply` or `review`), due for its first fetch at once.
pub fn subscribe(
    conn: &mut DbConn,
    actor: i64,
    url: &str,
    mode: &str,
) -> Result<Subscription, kith_core::CoreError> {
    let mode = match Mode::parse(mode)? {
        Mode::Ignore => {
            return Err(kith_core::CoreError::Invalid(
                "a subscription's mode is apply or review".into(),
            ))
        }
        m => m,
    };
    let parsed = url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| kith_core::CoreError::Invalid(format!("{url:?} is not an http(s) URL")))?;
    if parsed.as_str().len() > limits::MAX_URL_BYTES {
        return Err(kith_core::CoreError::Invalid("the URL is too long".into()));
    }
    if store::subscription_by_url(conn, parsed.as_str())
        .map(Some)
        .or_else(|e| match e {
            StorageError::NotFound => Ok(None),
            e => Err(e),
        })?
        .is_some()
    {
        return Err(kith_core::CoreError::Invalid(
            "this list is already subscribed".into(),
        ));
    }
    let now = kith_storage::now();
    let s = Subscription {
        id: kith_storage::id::new_id(),
        url: parsed.to_string(),
        mode: mode.as_str().to_owned(),
        created_by: actor,
        created_at: now,
        next_fetch_at: now,
        last_fetched_at: None,
        last_success_at: None,
        last_error: None,
        last_note: None,
    };
    store::insert_subscription(conn, &s)?;
    kith_core::audit::record(
        conn,
        actor,
        "create_blocklist_subscription",
        "blocklist",
        &s.url,
        Some(mode.as_str()),
    )?;
    Ok(s)
}

/// Removes a subscription and retracts its entries (a confirmed entry stays).
pub fn unsubscribe(conn: &mut DbConn, actor: i64, id: i64) -> Result<(), kith_core::CoreError> {
    let s = store::subscription(conn, id)?;
    shared::retract_source(conn, &Source::subscription(id))?;
    store::delete_subscription(conn, id)?;
    kith_core::audit::record(
        conn,
        actor,
        "destroy_blocklist_subscription",
        "blocklist",
        &s.url,
        None,
    )?;
    Ok(())
}

/// Fetches `url` through the guarded client: at most `limits::MAX_BLOCKLIST_BYTES`, within
/// the client's timeout; a non-2xx answer is an error.
pub async fn fetch(ctx: &KithContext, url: &str) -> Result<String, String> {
    let mut res = ctx
        .http
        .get(url)
        .header(
            "Accept",
            "application/json, text/csv;q=0.9, text/plain;q=0.5",
        )
        .send()
        .await
        .map_err(|e| crate::http_client::error_chain(&e))?;
    if !res.status().is_success() {
        return Err(format!("the list answered {}", res.status()));
    }
    let mut body = Vec::new();
    loop {
        match tokio::time::timeout(crate::http_client::REQUEST_TIMEOUT, res.chunk()).await {
            Err(_) => return Err("the list took too long to send".into()),
            Ok(Err(e)) => return Err(crate::http_client::error_chain(&e)),
            Ok(Ok(None)) => break,
            Ok(Ok(Some(chunk))) => {
                if body.len() + chunk.len() > limits::MAX_BLOCKLIST_BYTES {
                    return Err(format!(
                        "the list is larger than {} bytes",
                        limits::MAX_BLOCKLIST_BYTES
                    ));
                }
                body.extend_from_slice(&chunk);
            }
        }
    }
    String::from_utf8(body).map_err(|_| "the list is not UTF-8 text".into())
}

/// Reads a fetched list — a JSON array in the shape of Mastodon's public domain blocks
/// (`domain`, `digest`, `severity`, `comment`), else Mastodon's blocklist CSV — into entries.
/// An obfuscated domain (with `*`) is matched by its digest against the domains this instance
/// knows, else skipped; every skipped row is named in the notes. `Err` if the body is neither.
pub fn parse_list(
    conn: &mut DbConn,
    body: &str,
) -> Result<(Vec<Entry>, Vec<String>), StorageError> {
    let mut entries = Vec::new();
    let mut notes = Vec::new();
    let trimmed = body.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Value> = match serde_json::from_str(trimmed) {
            Ok(v) => v,
            Err(e) => {
                notes.push(format!("not a JSON list: {e}"));
                return Ok((entries, notes));
            }
        };
        for (i, item) in items.iter().enumerate() {
            let domain = item.get("domain").and_then(Value::as_str).unwrap_or("");
            let severity = item
                .get("severity")
                .and_then(Value::as_str)
                .and_then(Severity::parse)
                .unwrap_or(Severity::Suspend);
            let comment = item
                .get("comment")
                .and_then(Value::as_str)
                .map(|c| c.chars().take(limits::MAX_BLOCKLIST_COMMENT).collect());
            let domain = if domain.contains('*') {
                let digest = item.get("digest").and_then(Value::as_str);
                match digest {
                    Some(d) => match shared::domain_by_digest(conn, d)? {
                        Some(found) => found,
                        None => {
                            notes.push(format!(
                                "entry {}: {domain} is obfuscated and its digest matches no known domain; skipped",
                                i + 1
                            ));
                            continue;
                        }
                    },
                    None => {
                        notes.push(format!(
                            "entry {}: {domain} is obfuscated without a digest; skipped",
                            i + 1
                        ));
                        continue;
                    }
                }
            } else {
                match domain_policy::normalize_domain(domain) {
                    Ok(d) => d,
                    Err(e) => {
                        notes.push(format!("entry {}: {e}; skipped", i + 1));
                        continue;
                    }
                }
            };
            entries.push(Entry {
                target_kind: "domain",
                target: domain,
                severity,
                reject_media: item
                    .get("reject_media")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                reject_reports: item
                    .get("reject_reports")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                comment,
                source_ref: None,
            });
        }
    } else {
        let (rows, errors) = domain_policy::parse_csv_lenient(body);
        for e in errors {
            notes.push(format!("{e}; skipped"));
        }
        for r in rows {
            entries.push(Entry {
                target_kind: "domain",
                target: r.domain,
                severity: r.severity,
                reject_media: r.reject_media,
                reject_reports: r.reject_reports,
                comment: r
                    .public_comment
                    .map(|c| c.chars().take(limits::MAX_BLOCKLIST_COMMENT).collect()),
                source_ref: None,
            });
        }
    }
    // One entry per domain (the first), and no more than the cap.
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| seen.insert(e.target.clone()));
    if entries.len() > limits::MAX_BLOCKLIST_ENTRIES {
        notes.push(format!(
            "only the first {} entries are read",
            limits::MAX_BLOCKLIST_ENTRIES
        ));
        entries.truncate(limits::MAX_BLOCKLIST_ENTRIES);
    }
    Ok((entries, notes))
}

/// Fetches one subscription's list now and applies it; an unreachable or unreadable list
/// keeps the entries it had and records the error. Returns the subscription as it is after.
pub async fn refresh(ctx: &KithContext, id: i64) -> Result<Subscription, FederationError> {
    let sub = ctx.db.read(move |c| store::subscription(c, id)).await?;
    let fetched = fetch(ctx, &sub.url).await;
    let urls = ctx.urls.clone();
    ctx.db
        .write(move |c| {
            let now = kith_storage::now();
            let body = match fetched {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(url = %sub.url, error = %e, "blocklist unreachable; its entries are kept");
                    store::record_fetch(c, id, now, Some(&e), None)?;
                    return Ok(());
                }
            };
            let (entries, mut notes) = parse_list(c, &body)?;
            if entries.is_empty() && notes.iter().any(|n| n.starts_with("not a JSON list")) {
                store::record_fetch(c, id, now, Some(&notes.join("; ")), None)?;
                return Ok(());
            }
            let mode = Mode::parse(&sub.mode).unwrap_or(Mode::Review);
            let out = match shared::sync_source(c, &urls, &Source::subscription(id), &entries, mode)
            {
                Ok(o) => o,
                Err(kith_core::CoreError::Storage(e)) => return Err(e),
                Err(e) => {
                    store::record_fetch(c, id, now, Some(&e.to_string()), None)?;
                    return Ok(());
                }
            };
            notes.extend(out.skipped);
            let note = format!(
                "{} entries, {} new or changed, {} retracted{}",
                entries.len(),
                out.changed,
                out.retracted,
                if notes.is_empty() {
                    String::new()
                } else {
                    format!("; {}", notes.join("; "))
                }
            );
            let note: String = note.chars().take(4_000).collect();
            store::record_fetch(c, id, now, None, Some(&note))
        })
        .await?;
    Ok(ctx.db.read(move |c| store::subscription(c, id)).await?)
}

/// The refresh job: every minute, each due subscription is claimed (its next fetch moved an
/// interval ahead in one conditional update, so one process takes it) and refreshed.
pub async fn run(ctx: KithContext) {
    loop {
        if let Err(e) = refresh_due(&ctx).await {
            tracing::warn!(error = %e, "blocklist refresh failed");
        }
        tokio::time::sleep(TICK).await;
    }
}

async fn refresh_due(ctx: &KithContext) -> Result<(), FederationError> {
    let now = kith_storage::now();
    let due = ctx
        .db
        .read(move |c| store::due_subscriptions(c, now))
        .await?;
    for id in due {
        let next = now
            + chrono::Duration::from_std(REFRESH_EVERY)
                .unwrap_or_else(|_| chrono::Duration::hours(1));
        let claimed = ctx
            .db
            .write(move |c| store::claim_subscription(c, id, now, next))
            .await?;
        if claimed {
            refresh(ctx, id).await?;
        }
    }
    Ok(())
}
