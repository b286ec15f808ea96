//! The password throttle at `/oauth/authorize`: after `PER_ACCOUNT` failed logins for one
//! account name, or `PER_ADDRESS` from one client address, within `WINDOW`, further attempts
//! are refused with 429 (the password is not even checked) until the oldest of those failures
//! leaves the window. Failures are rows in the database (`login_failures`), so every Kith
//! process on one database counts the same. The client address is the peer's, or, when the peer
//! is one of the configured `trusted_proxies`, the nearest untrusted address in
//! `X-Forwarded-For`; the header is never read otherwise.

use actix_web::HttpRequest;
use chrono::NaiveDateTime;
use ipnet::IpNet;
use kith_storage::{login_failures, Db, StorageError};
use std::net::IpAddr;

/// How far back failures count.
pub const WINDOW: chrono::TimeDelta = chrono::TimeDelta::minutes(15);
/// Failed logins for one account name within `WINDOW` before it is throttled.
pub const PER_ACCOUNT: i64 = 10;
/// Failed logins from one address (an IPv6 /64) within `WINDOW` before it is throttled.
pub const PER_ADDRESS: i64 = 30;

/// Reverse proxies whose `X-Forwarded-For` is believed (app data; none by default).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req
        .app_data::<actix_web::web::Data<TrustedProxies>>()
        .map(|d| d.get_ref().clone())
        .unwrap_or_default();
    if !trusted.trusts(peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.trusts(*ip))
            .unwrap_or(peer),
    )
}

/// The key an address is counted under: the address itself, or its /64 for IPv6 (one machine
/// usually holds a whole /64).
pub fn address_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Some(IpAddr::V4(v4)) => v4.to_string(),
        None => "unknown".into(),
    }
}

/// The key an account name is counted under (case does not make a new name).
pub fn account_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// When attempts for this name or from this address may resume, if they are throttled now.
pub async fn throttled_until(
    db: &Db,
    account: String,
    address: String,
) -> Result<Option<NaiveDateTime>, StorageError> {
    db.read(move |c| {
        let since = kith_storage::now() - WINDOW;
        let by_name = login_failures::latest_for_username(c, &account, since, PER_ACCOUNT)?;
        let by_address = login_failures::latest_for_ip(c, &address, since, PER_ADDRESS)?;
        // With the limit reached, the oldest of the latest `limit` failures must leave the
        // window before the count drops under it.
        let until = |latest: &[NaiveDateTime], limit: i64| {
            (latest.len() as i64 >= limit)
                .then(|| latest.last().map(|t| *t + WINDOW))
                .flatten()
        };
        Ok(until(&by_name, PER_ACCOUNT).max(until(&by_address, PER_ADDRESS)))
    })
    .await
}

/// Records a failed login.
pub async fn record_failure(db: &Db, account: String, address: String) -> Result<(), StorageError> {
    db.write(move |c| {
        let now = kith_storage::now();
        login_failures::record(
            c,
            kith_storage::id::new_id(),
            &account,
            &address,
            now,
            now - WINDOW,
        )
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_keyed_by_host_or_ipv6_slash_64() {
        assert_eq!(address_key(Some("192.0.2.7".parse().unwrap())), "192.0.2.7");
        assert_eq!(
            address_key(Some("2001:db8:1:2:3:4:5:6".parse().unwrap())),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_key(Some("::ffff:192.0.2.7".parse().unwrap())),
            "192.0.2.7"
        );
        assert_eq!(account_key(" Ana "), "ana");
    }

    #[test]
    fn forwarded_for_is_read_only_from_trusted_proxies() {
        let proxy: std::net::SocketAddr = "10.0.0.2:4000".parse().unwrap();
        let req = |trusted: Vec<&str>| {
            actix_web::test::TestRequest::default()
                .peer_addr(proxy)
                .insert_header(("x-forwarded-for", "203.0.113.9, 198.51.100.4, 10.0.0.3"))
                .app_data(actix_web::web::Data::new(TrustedProxies(
                    trusted.into_iter().map(|t| t.parse().unwrap()).collect(),
                )))
                .to_http_request()
        };
        assert_eq!(client_ip(&req(vec![])), Some("10.0.0.2".parse().unwrap()));
        assert_eq!(
            client_ip(&req(vec!["10.0.0.0/8"])),
            Some("198.51.100.4".parse().unwrap())
        );
    }
}
