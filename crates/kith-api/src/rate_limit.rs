//! Client-API rate limits, as Mastodon's: every request under `/api` counts against a fixed
//! window per token (a user's or an app's) or, without a valid token, per client address; some
//! requests also count against a limit of their own (uploads, posts, deletions, follows,
//! sign-ups). The counters are rows in the database (`kith_storage::rate_limits`), one
//! statement per request, so every Kith process sharing it agrees on the count.
//!
//! Every counted answer carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
//! `X-RateLimit-Reset` (an ISO 8601 time) of the most constrained bucket; past a limit the
//! answer is 429 with the same headers and `Retry-After`. The client address is
//! `throttle::client_ip` (`X-Forwarded-For` only from `trusted_proxies`).

use crate::throttle;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::HttpRequest;
use kith_core::tokens::Authenticated;
use kith_storage::rate_limits::{self, Hit};
use kith_storage::{Db, StorageError};
use std::time::Duration;

/// `limit` requests per `period` (a fixed window aligned to the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub limit: i64,
    pub period: Duration,
}

impl Limit {
    const fn new(limit: i64, minutes: u64) -> Limit {
        Limit {
            limit,
            period: Duration::from_secs(minutes * 60),
        }
    }

    /// Reads `LIMIT/PERIOD` (`300/5m`, `30/30m`, `400/24h`, `10/90s`, `5/1d`); `off` (or an
    /// empty string) is no limit.
    pub fn parse(text: &str) -> Result<Option<Limit>, String> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let bad = || format!("{text:?} is not LIMIT/PERIOD (like 300/5m) or off");
        let (limit, period) = text.split_once('/').ok_or_else(bad)?;
        let limit: i64 = limit.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let (number, unit) = period.split_at(
            period
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(period.len()),
        );
        let number: u64 = number.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "" | "s" => number,
            "m" => number * 60,
            "h" => number * 3600,
            "d" => number * 86_400,
            _ => return Err(bad()),
        };
        if limit < 1 || seconds < 1 {
            return Err(bad());
        }
        Ok(Some(Limit {
            limit,
            period: Duration::from_secs(seconds),
        }))
    }
}

/// The limits in force (app data; `None` turns one off). The defaults are Mastodon's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Every API request, per token (or per address without one): 300 per 5 minutes.
    pub api: Option<Limit>,
    /// Media uploads, per account: 30 per 30 minutes.
    pub media: Option<Limit>,
    /// New posts and boosts, per account: 300 per 3 hours.
    pub statuses: Option<Limit>,
    /// Deleting posts and boosts, per account: 30 per 30 minutes.
    pub deletes: Option<Limit>,
    /// Follows, per account: 400 per 24 hours.
    pub follows: Option<Limit>,
    /// Sign-ups (`POST /api/v1/accounts` and the sign-up page), per address: 5 per 30 minutes.
    pub sign_ups: Option<Limit>,
    /// Requests made on this machine itself (a loopback peer, with no forwarding header) are
    /// not counted, as Mastodon safelists localhost: local tools, scripts and health checks.
    /// A request relayed by a proxy carries `X-Forwarded-For`/`Forwarded` and is counted.
    pub exempt_loopback: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            api: Some(Limit::new(300, 5)),
            media: Some(Limit::new(30, 30)),
            statuses: Some(Limit::new(300, 180)),
            deletes: Some(Limit::new(30, 30)),
            follows: Some(Limit::new(400, 24 * 60)),
            sign_ups: Some(Limit::new(5, 30)),
            exempt_loopback: true,
        }
    }
}

impl RateLimits {
    /// No limits at all.
    pub const OFF: RateLimits = RateLimits {
        api: None,
        media: None,
        statuses: None,
        deletes: None,
        follows: None,
        sign_ups: None,
        exempt_loopback: true,
    };

    /// The families a request to `pattern` counts against besides `api`.
    fn family(&self, method: &Method, pattern: &str) -> Option<(&'static str, Limit, bool)> {
        // (name, limit, counted per address rather than per account)
        let by_account = |name, limit: Option<Limit>| limit.map(|l| (name, l, false));
        match (method.as_str(), pattern) {
            ("POST", "/api/v1/media" | "/api/v2/media") => by_account("media", self.media),
            ("POST", "/api/v1/statuses" | "/api/v1/statuses/{id}/reblog") => {
                by_account("statuses", self.statuses)
            }
            ("DELETE", "/api/v1/statuses/{id}") | ("POST", "/api/v1/statuses/{id}/unreblog") => {
                by_account("deletes", self.deletes)
            }
            ("POST", "/api/v1/accounts/{id}/follow") => by_account("follows", self.follows),
            ("POST", "/api/v1/accounts") => self.sign_ups.map(|l| ("sign_ups", l, true)),
            _ => None,
        }
    }
}

/// What counting a request found: the most constrained bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verdict {
    limit: i64,
    remaining: i64,
    /// When that bucket's window ends (Unix seconds).
    reset: i64,
    exceeded: bool,
}

impl Verdict {
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// Adds the `X-RateLimit-*` headers (and `Retry-After` past the limit).
    pub(crate) fn apply(&self, headers: &mut HeaderMap) {
        let reset = chrono::DateTime::from_timestamp(self.reset, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let mut set = |name: &'static str, value: String| {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), v);
            }
        };
        set("x-ratelimit-limit", self.limit.to_string());
        set("x-ratelimit-remaining", self.remaining.max(0).to_string());
        set("x-ratelimit-reset", reset);
        if self.exceeded {
            let wait = self.reset - chrono::Utc::now().timestamp();
            set("retry-after", wait.max(1).to_string());
        }
    }
}

/// Counts `req` against its buckets. `auth` is what the scope gate found (`None` without a
/// valid token). `None` when no limit applies.
pub(crate) async fn count(
    req: &HttpRequest,
    auth: Option<&Authenticated>,
    db: &Db,
) -> Result<Option<Verdict>, StorageError> {
    let limits = req
        .app_data::<actix_web::web::Data<RateLimits>>()
        .map(|d| *d.get_ref())
        .unwrap_or(RateLimits::OFF);
    if limits.exempt_loopback && from_this_machine(req) {
        return Ok(None);
    }
    let address = throttle::address_key(throttle::client_ip(req));
    let pattern = req.match_pattern().unwrap_or_default();
    let mut buckets: Vec<(String, Limit)> = Vec::new();
    if let Some(api) = limits.api {
        let who = match auth {
            Some(a) => format!("token:{}", a.token.id),
            None => format!("ip:{address}"),
        };
        buckets.push((format!("api:{who}"), api));
    }
    if let Some((name, limit, per_address)) = limits.family(req.method(), &pattern) {
        let who = match (per_address, auth.and_then(|a| a.account.as_ref())) {
            (false, Some(account)) => format!("account:{}", account.id),
            _ => format!("ip:{address}"),
        };
        buckets.push((format!("{name}:{who}"), limit));
    }
    hit(db, buckets).await
}

/// Counts a sign-up made on the web page (`/auth/sign_up`) against the same per-address
/// bucket as `POST /api/v1/accounts`, so both ways in share one limit.
pub(crate) async fn count_sign_up(
    req: &HttpRequest,
    db: &Db,
) -> Result<Option<Verdict>, StorageError> {
    let limits = req
        .app_data::<actix_web::web::Data<RateLimits>>()
        .map(|d| *d.get_ref())
        .unwrap_or(RateLimits::OFF);
    let Some((name, limit, _)) = limits.family(&Method::POST, "/api/v1/accounts") else {
        return Ok(None);
    };
    if limits.exempt_loopback && from_this_machine(req) {
        return Ok(None);
    }
    let address = throttle::address_key(throttle::client_ip(req));
    hit(db, vec![(format!("{name}:ip:{address}"), limit)]).await
}

/// Adds one hit to each bucket; the verdict of the most constrained.
async fn hit(db: &Db, buckets: Vec<(String, Limit)>) -> Result<Option<Verdict>, StorageError> {
    if buckets.is_empty() {
        return Ok(None);
    }
    let now = chrono::Utc::now().timestamp();
    let hits: Vec<Hit> = buckets
        .iter()
        .map(|(bucket, l)| {
            let period = l.period.as_secs().max(1) as i64;
            Hit {
                bucket: bucket.clone(),
                window_start: now - now.rem_euclid(period),
            }
        })
        .collect();
    let windows: Vec<i64> = hits.iter().map(|h| h.window_start).collect();
    let counts = db
        .write_volatile(move |c| rate_limits::hit(c, &hits))
        .await?;
    let verdict = buckets
        .iter()
        .zip(windows)
        .zip(counts)
        .map(|(((_, l), start), hits)| Verdict {
            limit: l.limit,
            remaining: l.limit - hits,
            reset: start + l.period.as_secs() as i64,
            exceeded: hits > l.limit,
        })
        .min_by_key(|v| (!v.exceeded, v.remaining));
    Ok(verdict)
}

/// Whether `req` came straight from this machine: a loopback peer, not relaying anyone.
fn from_this_machine(req: &HttpRequest) -> bool {
    let relayed = ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req.headers().contains_key(*h));
    !relayed
        && req.peer_addr().is_some_and(|p| {
            let ip = p.ip();
            ip.is_loopback()
                || matches!(ip, std::net::IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_count_per_period() {
        assert_eq!(
            Limit::parse("300/5m").unwrap(),
            Some(Limit {
                limit: 300,
                period: Duration::from_secs(300)
            })
        );
        assert_eq!(
            Limit::parse(" 400/24h ").unwrap().unwrap().period,
            Duration::from_secs(86_400)
        );
        assert_eq!(
            Limit::parse("10/90").unwrap().unwrap().period,
            Duration::from_secs(90)
        );
        assert_eq!(Limit::parse("off").unwrap(), None);
        assert_eq!(Limit::parse("").unwrap(), None);
        for bad in ["300", "x/5m", "300/5y", "0/5m", "5/0s", "-1/5m", "5/m"] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_family_has_its_routes() {
        let l = RateLimits::default();
        let fam = |m: Method, p: &str| l.family(&m, p).map(|(n, _, a)| (n, a));
        assert_eq!(fam(Method::POST, "/api/v2/media"), Some(("media", false)));
        assert_eq!(
            fam(Method::POST, "/api/v1/statuses/{id}/reblog"),
            Some(("statuses", false))
        );
        assert_eq!(
            fam(Method::DELETE, "/api/v1/statuses/{id}"),
            Some(("deletes", false))
        );
        assert_eq!(
            fam(Method::POST, "/api/v1/accounts"),
            Some(("sign_ups", true))
        );
        assert_eq!(fam(Method::GET, "/api/v1/statuses/{id}"), None);
        assert_eq!(
            RateLimits::OFF.family(&Method::POST, "/api/v1/accounts"),
            None
        );
    }
}
