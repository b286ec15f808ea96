//! Finding accounts and posts elsewhere: `@user@domain` through WebFinger, URLs by fetching.

use crate::objects::account::ApAccount;
use crate::objects::status::ApStatus;
use crate::{Data, FederationError};
use activitypub_federation::fetch::object_id::ObjectId;
use kith_core::types::ActorType;
use kith_storage::accounts::{self, Account};
use kith_storage::statuses::Status;
use kith_storage::OptionalExt;
use serde::Deserialize;
use url::Url;

/// The largest WebFinger document read.
const MAX_WEBFINGER_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
struct Jrd {
    #[serde(default)]
    links: Vec<JrdLink>,
}

#[derive(Deserialize)]
struct JrdLink {
    rel: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    href: Option<String>,
}

/// Splits `@user@domain` / `user@domain`; a bare `user` is local. `Ok(None)` when the user
/// part is not a username (not a handle at all); an error when the domain part is not a bare
/// authority (`host` or `host:port`: no userinfo, path, query or fragment), which would
/// otherwise end up in the WebFinger URL.
pub fn split_handle(handle: &str) -> Result<Option<(String, Option<String>)>, FederationError> {
    let h = handle.trim().trim_start_matches('@');
    let h = h.strip_prefix("acct:").unwrap_or(h);
    let (user, domain) = match h.split_once('@') {
        Some((u, d)) => (u, Some(d.to_lowercase())),
        None => (h, None),
    };
    let ok = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_alphanumeric() || "_.-".contains(c));
    if !ok {
        return Ok(None);
    }
    if let Some(d) = &domain {
        check_authority(d).map_err(|why| {
            FederationError::Invalid(format!(
                "{handle:?} is not a valid handle: the part after @ must be a server name \
                 (host or host:port); {why}"
            ))
        })?;
    }
    Ok(Some((user.to_owned(), domain)))
}

/// Checks that `domain` is a bare authority: a host name, IPv4 address or bracketed IPv6
/// address, with an optional port, and nothing else.
fn check_authority(domain: &str) -> Result<(), String> {
    if domain.is_empty() {
        return Err("it is empty".into());
    }
    if let Some(c) = domain
        .chars()
        .find(|c| !(c.is_alphanumeric() || ".-_:[]".contains(*c)))
    {
        return Err(format!("{c:?} is not allowed in it"));
    }
    let url = Url::parse(&format!("https://{domain}/")).map_err(|e| e.to_string())?;
    let bare = url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    if bare {
        Ok(())
    } else {
        Err("it carries more than a host and port".into())
    }
}

/// An account by handle: local, already known, or found through WebFinger when `resolve`.
/// A failed lookup is logged with its reason (the WebFinger answer, the fetch error, the
/// verification or policy that refused it); callers answer as Mastodon does, with nothing.
pub async fn account_by_handle(
    handle: &str,
    resolve: bool,
    data: &Data,
) -> Result<Option<Account>, FederationError> {
    let found = account_by_handle_unlogged(handle, resolve, data).await;
    match &found {
        Err(reason) => tracing::info!(handle, %reason, "account lookup failed"),
        Ok(None) if resolve => tracing::info!(handle, "account lookup found nothing"),
        Ok(_) => {}
    }
    found
}

async fn account_by_handle_unlogged(
    handle: &str,
    resolve: bool,
    data: &Data,
) -> Result<Option<Account>, FederationError> {
    let Some((user, domain)) = split_handle(handle)? else {
        return Ok(None);
    };
    let domain = domain.filter(|d| d != data.urls.domain());
    let (u, d) = (user.clone(), domain.clone());
    let known = data
        .db
        .read(move |c| match d {
            None => accounts::local_by_username(c, &u).optional(),
            Some(d) => accounts::remote_by_username(c, &u, &d).optional(),
        })
        .await?
        .filter(|a| ActorType::of(a) != ActorType::Application || a.domain.is_some());
    if known.is_some() || !resolve {
        return Ok(known);
    }
    let Some(domain) = domain else {
        return Ok(None);
    };
    let actor_url = webfinger(&user, &domain, data).await?;
    Ok(Some(
        crate::fetch::dereference(&ObjectId::<ApAccount>::from(actor_url), data)
            .await?
            .into_account(),
    ))
}

async fn webfinger(user: &str, domain: &str, data: &Data) -> Result<Url, FederationError> {
    let scheme = if data.instance.dev_mode {
        "http"
    } else {
        "https"
    };
    let mut url = Url::parse(&format!("{scheme}://{domain}/.well-known/webfinger"))?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{user}@{domain}"));
    let mut res = data
        .http
        .get(url)
        .header("accept", "application/jrd+json, application/json")
        .send()
        .await
        .map_err(|e| {
            FederationError::Invalid(format!(
                "WebFinger request failed: {}",
                crate::http_client::error_chain(&e)
            ))
        })?;
    if !res.status().is_success() {
        return Err(FederationError::Invalid(format!(
            "WebFinger at {domain} answered {} for {user}",
            res.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| FederationError::Invalid(e.to_string()))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_WEBFINGER_BYTES {
            return Err(FederationError::Invalid(
                "WebFinger document too large".into(),
            ));
        }
    }
    let jrd: Jrd = serde_json::from_slice(&body)
        .map_err(|e| FederationError::Invalid(format!("bad WebFinger document: {e}")))?;
    jrd.links
        .into_iter()
        .filter(|l| l.rel.as_deref() == Some("self"))
        .filter(|l| {
            l.kind
                .as_deref()
                .is_some_and(|k| k.contains("activity+json") || k.contains("ld+json"))
        })
        .find_map(|l| l.href.and_then(|h| Url::parse(&h).ok()))
        .ok_or_else(|| {
            FederationError::Invalid("the WebFinger document links no ActivityPub actor".into())
        })
}

/// What a URL turned out to be.
pub enum Resolved {
    /// An actor.
    Account(Account),
    /// A post.
    Status(Status),
}

/// Fetches (or finds) whatever a URL names: an actor or a post. A failure is logged with
/// both reasons (as an actor, as a post).
pub async fn by_url(url: Url, data: &Data) -> Result<Resolved, FederationError> {
    let as_actor =
        match crate::fetch::dereference(&ObjectId::<ApAccount>::from(url.clone()), data).await {
            Ok(a) => return Ok(Resolved::Account(a.into_account())),
            Err(e) => e,
        };
    match crate::fetch::dereference(&ObjectId::<ApStatus>::from(url.clone()), data).await {
        Ok(s) => Ok(Resolved::Status(s.into_status())),
        Err(as_post) => {
            tracing::info!(%url, %as_actor, %as_post, "URL lookup failed");
            Err(as_post)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_handle;

    #[test]
    fn handles_split_into_user_and_bare_domain() {
        let ok = |h: &str| split_handle(h).unwrap().unwrap();
        assert_eq!(ok("@alice"), ("alice".into(), None));
        assert_eq!(
            ok("@alice@Example.COM"),
            ("alice".into(), Some("example.com".into()))
        );
        assert_eq!(
            ok("acct:bob@social.example:8443"),
            ("bob".into(), Some("social.example:8443".into()))
        );
        assert_eq!(ok("x@[::1]:8080").1.as_deref(), Some("[::1]:8080"));
        assert_eq!(ok("x@münchen.social").1.as_deref(), Some("münchen.social"));
        // Not handles at all: no error, nothing found.
        assert!(split_handle("hello world").unwrap().is_none());
        assert!(split_handle("@").unwrap().is_none());
    }

    #[test]
    fn a_domain_with_more_than_host_and_port_is_refused() {
        for handle in [
            "@x@host/internal/admin?delete=all#",
            "@x@host/path",
            "@x@host?q=1",
            "@x@host#frag",
            "@x@user:pass@host",
            "@x@host:99999",
            "@x@host:port",
            "@x@",
            "@x@host\\evil",
            "@x@host%2fpath",
            "@x@host extra",
            "@x@[::1",
            "@x@a:b:c",
        ] {
            let err = split_handle(handle).expect_err(handle).to_string();
            assert!(err.contains("not a valid handle"), "{handle}: {err}");
        }
    }
}
