//! Dereferencing remote objects: the one way Kith turns an ActivityPub id into a stored actor
//! or post. Every call site uses `dereference` / `dereference_forced` here, never the
//! library's `ObjectId` methods directly.
//!
//! `activitypub_federation` refuses any URL whose host is an IP address (it asks for a domain
//! name even in debug mode), so `http://127.0.0.1:8080/users/bob` could never be fetched. In
//! development mode, and only there, Kith fetches such URLs itself the way the library does:
//! the database first (refetching stale actors), otherwise a GET signed by the instance actor
//! through the guarded client, with the same `Accept` header, accepted content types, body cap,
//! one followed redirect and id check, then the object's own `verify` and `from_json`.
//! Outside development mode an IP-literal host is refused with a reason (`route`).

use crate::{Data, FederationError};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use activitypub_federation::FEDERATION_CONTENT_TYPE;
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use url::{Host, Url};

/// The largest fetched document (the library's cap).
pub const MAX_OBJECT_BYTES: usize = 1024 * 1024;

/// The content types a fetched object may carry (the library's list).
const VALID_CONTENT_TYPES: [&str; 3] = [
    FEDERATION_CONTENT_TYPE,
    r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#,
    "application/activity+json; charset=utf-8",
];

/// Who fetches a URL.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// `activitypub_federation` (host names, and this instance's own URLs).
    Library,
    /// Kith itself: an IP-literal host in development mode.
    Direct,
}

/// Whether `url`'s host is an IP address rather than a name.
pub fn is_ip_host(url: &Url) -> bool {
    matches!(url.host(), Some(Host::Ipv4(_) | Host::Ipv6(_)))
}

/// Decides who fetches `url`: the library, unless its host is an IP address. Such a host is
/// fetched directly in development mode and refused otherwise (public instances are named).
pub fn route(url: &Url, data: &Data) -> Result<Route, FederationError> {
    route_for(url, data.instance.dev_mode, data.urls.is_local(url))
}

fn route_for(url: &Url, dev_mode: bool, local: bool) -> Result<Route, FederationError> {
    if local || !is_ip_host(url) {
        return Ok(Route::Library);
    }
    if dev_mode {
        Ok(Route::Direct)
    } else {
        Err(FederationError::Refused(format!(
            "{url} has an IP address for a host; only development mode fetches those"
        )))
    }
}

/// The object `id` names: from the database, or fetched when unknown (or, for actors, stale).
pub async fn dereference<T>(id: &ObjectId<T>, data: &Data) -> Result<T, FederationError>
where
    T: Object<DataType = crate::KithContext, Error = FederationError>
        + Send
        + Sync
        + Debug
        + 'static,
    for<'de> <T as Object>::Kind: serde::Deserialize<'de>,
{
    match logged_route(id.inner(), data)? {
        Route::Library => id.dereference(data).await,
        Route::Direct => direct(id.inner(), data, false).await,
    }
}

/// The object `id` names, fetched again from its server whatever is stored.
pub async fn dereference_forced<T>(id: &ObjectId<T>, data: &Data) -> Result<T, FederationError>
where
    T: Object<DataType = crate::KithContext, Error = FederationError>
        + Send
        + Sync
        + Debug
        + 'static,
    for<'de> <T as Object>::Kind: serde::Deserialize<'de>,
{
    match logged_route(id.inner(), data)? {
        Route::Library => id.dereference_forced(data).await,
        Route::Direct => direct(id.inner(), data, true).await,
    }
}

fn logged_route(url: &Url, data: &Data) -> Result<Route, FederationError> {
    route(url, data).inspect_err(|e| tracing::info!(%url, reason = %e, "not fetched"))
}

/// The library's `dereference`, done by hand for a URL it refuses to fetch.
async fn direct<T>(url: &Url, data: &Data, forced: bool) -> Result<T, FederationError>
where
    T: Object<DataType = crate::KithContext, Error = FederationError> + Send + Sync + 'static,
    for<'de> <T as Object>::Kind: serde::Deserialize<'de>,
{
    let stored = if forced {
        None
    } else {
        T::read_from_id(url.clone(), data).await?
    };
    if let Some(object) = stored.as_ref() {
        if !object.last_refreshed_at().is_some_and(stale) {
            return stored.ok_or(FederationError::NotFound);
        }
    }
    let fetched = Box::pin(fetch_json::<T::Kind>(url, data)).await;
    let (json, final_url) = match (fetched, stored) {
        (Ok(found), _) => found,
        (Err(Fetched::Gone), Some(object)) => {
            object.delete(data).await?;
            return Ok(object);
        }
        // As the library does: a stored copy outlives a failed refetch.
        (Err(e), Some(object)) => {
            tracing::info!(%url, reason = %e, "refetch failed; the stored copy stays");
            return Ok(object);
        }
        (Err(e), None) => return Err(e.into()),
    };
    if data.urls.is_local(&final_url) {
        return T::read_from_id(url.clone(), data)
            .await?
            .ok_or(FederationError::NotFound);
    }
    Box::pin(T::verify(&json, &final_url, data)).await?;
    Box::pin(T::from_json(json, data)).await
}

/// Whether a stored remote object is due for a refetch (the library's intervals: a day, or
/// 20 seconds in debug builds).
fn stale(last_refreshed: chrono::DateTime<chrono::Utc>) -> bool {
    let interval = if cfg!(debug_assertions) {
        chrono::Duration::seconds(20)
    } else {
        chrono::Duration::days(1)
    };
    last_refreshed < chrono::Utc::now() - interval
}

/// Why a direct fetch found nothing.
#[derive(Debug, thiserror::Error)]
enum Fetched {
    /// 410: the object was deleted.
    #[error("the object is gone (410)")]
    Gone,
    /// Anything else, in words for the log.
    #[error("{0}")]
    Failed(String),
}

impl From<Fetched> for FederationError {
    fn from(e: Fetched) -> Self {
        match e {
            Fetched::Gone => FederationError::NotFound,
            Fetched::Failed(why) => FederationError::Invalid(why),
        }
    }
}

/// A signed GET of `url` (one redirect followed), checked as the library checks a fetch:
/// an ActivityPub content type, at most `MAX_OBJECT_BYTES`, and an `id` equal to the final URL
/// (or, when on the same host, fetched from that `id` instead).
async fn fetch_json<K: DeserializeOwned>(url: &Url, data: &Data) -> Result<(K, Url), Fetched> {
    let mut target = url.clone();
    let mut hops = 0;
    loop {
        let (value, content_type, location) = get(&target, data).await?;
        if let Some(location) = location {
            if hops > 0 {
                return Err(Fetched::Failed(format!("{target} redirects again")));
            }
            hops += 1;
            target = target
                .join(&location)
                .map_err(|e| Fetched::Failed(format!("bad redirect from {target}: {e}")))?;
            continue;
        }
        let content_type = content_type.unwrap_or_default().to_lowercase();
        if !VALID_CONTENT_TYPES.contains(&content_type.as_str()) {
            return Err(Fetched::Failed(format!(
                "{target} answered with content type {content_type:?}, not ActivityPub"
            )));
        }
        let id = value
            .get("id")
            .and_then(|v| v.as_str())
            .and_then(|s| Url::parse(s).ok());
        match id {
            Some(id) if id == target => {
                let object = serde_json::from_value(value)
                    .map_err(|e| Fetched::Failed(format!("{target} is not readable: {e}")))?;
                return Ok((object, target));
            }
            Some(id)
                if hops < 2
                    && crate::objects::account::authority(&id)
                        == crate::objects::account::authority(&target) =>
            {
                hops = 2;
                target = id;
            }
            _ => return Err(Fetched::Failed(format!("{target} carries another id"))),
        }
    }
}

/// One signed GET: the JSON body, its content type, and the `Location` of a redirect.
async fn get(
    url: &Url,
    data: &Data,
) -> Result<(serde_json::Value, Option<String>, Option<String>), Fetched> {
    // A redirect or an id may point elsewhere: only what the direct route covers is fetched.
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Fetched::Failed(format!("{url} is not an http(s) URL")));
    }
    if route(url, data).map_err(|e| Fetched::Failed(e.to_string()))? != Route::Direct {
        return Err(Fetched::Failed(format!(
            "{url} leads away from the IP host it was fetched from"
        )));
    }
    tracing::info!(%url, "fetching remote object (IP host, development mode)");
    let request = data
        .http
        .get(url.as_str())
        .header("Accept", FEDERATION_CONTENT_TYPE)
        .timeout(crate::http_client::REQUEST_TIMEOUT);
    let request = data
        .sign_request(request, actix_web::web::Bytes::new())
        .await
        .map_err(|e| Fetched::Failed(format!("could not sign the fetch: {e}")))?;
    let mut res = data.http.execute(request).await.map_err(|e| {
        Fetched::Failed(format!(
            "fetching {url} failed: {}",
            crate::http_client::error_chain(&e)
        ))
    })?;
    let status = res.status();
    let header = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let location = header("location");
    let content_type = header("content-type");
    if location.is_some() && status.is_redirection() {
        return Ok((serde_json::Value::Null, None, location));
    }
    if status == reqwest::StatusCode::GONE {
        return Err(Fetched::Gone);
    }
    if !status.is_success() {
        return Err(Fetched::Failed(format!("{url} answered {status}")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| Fetched::Failed(format!("reading {url} failed: {e}")))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_OBJECT_BYTES {
            return Err(Fetched::Failed(format!("{url} is larger than 1 MiB")));
        }
    }
    let value = serde_json::from_slice(&body)
        .map_err(|e| Fetched::Failed(format!("{url} is not JSON: {e}")))?;
    Ok((value, content_type, None))
}

#[cfg(test)]
mod tests {
    use super::{route_for, Route};
    use url::Url;

    #[test]
    fn ip_hosts_are_fetched_directly_in_development_mode_only() {
        let url = |s: &str| Url::parse(s).unwrap();
        let ip = url("http://127.0.0.1:8080/users/bob");
        let v6 = url("http://[::1]:8080/users/bob");
        let named = url("http://localhost:8080/users/bob");
        assert_eq!(route_for(&ip, true, false).unwrap(), Route::Direct);
        assert_eq!(route_for(&v6, true, false).unwrap(), Route::Direct);
        assert_eq!(route_for(&named, true, false).unwrap(), Route::Library);
        assert_eq!(route_for(&named, false, false).unwrap(), Route::Library);
        // This instance's own URLs are the library's, whatever their host.
        assert_eq!(route_for(&ip, false, true).unwrap(), Route::Library);
        let refused = route_for(&ip, false, false).unwrap_err().to_string();
        assert!(refused.contains("only development mode"), "{refused}");
        assert!(route_for(&v6, false, false).is_err());
    }
}
