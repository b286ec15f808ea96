//! The one HTTP client for every outgoing request (WebFinger, fetches, deliveries, and any
//! later media fetch): a `ClientWithMiddleware` that `KithContext::http` holds and that
//! `activitypub_federation` is given, so no request leaves by another way.
//!
//! Outside development mode it refuses, at connection time, every address that is not
//! public (`non_public`): host names are checked by its DNS resolver, which connects only to
//! the resolved addresses that pass (so a name cannot change between a check and the
//! connection), and literal IP hosts, which never reach a resolver, are checked by a
//! middleware before the request is sent. The client never follows redirects (a 3xx is the
//! answer); `activitypub_federation` follows one `Location` of a fetch itself, as a new
//! request through this client, so the target of a redirect is checked like any other. No
//! proxy from the environment is used, since a proxy would resolve names itself.

use crate::FederationError;
use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest_middleware::{ClientWithMiddleware, Middleware, Next};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use url::Host;

/// Timeout for every outgoing request (and for connecting).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the guarded client. `allow_private` (development mode only) turns the address
/// checks off, so that instances on loopback can talk to each other.
pub fn guarded_client(
    user_agent: String,
    allow_private: bool,
) -> Result<ClientWithMiddleware, FederationError> {
    let inner = reqwest::Client::builder()
        .user_agent(user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(REQUEST_TIMEOUT)
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .build()
        .map_err(|e| FederationError::Invalid(format!("HTTP client: {e}")))?;
    Ok(reqwest_middleware::ClientBuilder::new(inner)
        .with(LiteralIpGuard { allow_private })
        .build())
}

/// Resolves host names and keeps only the public addresses (all of them with `allow_private`);
/// a name with none left is refused.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || non_public(a.ip()).is_none())
                .collect();
            if kept.is_empty() {
                let why = found
                    .first()
                    .and_then(|a| non_public(a.ip()).map(|r| format!(" ({} is {r})", a.ip())))
                    .unwrap_or_default();
                return Err(format!(
                    "refused to connect to {host}: it resolves to no public address{why}"
                )
                .into());
            }
            let addrs: Addrs = Box::new(kept.into_iter());
            Ok(addrs)
        })
    }
}

/// Refuses requests whose URL names a non-public IP address directly (such hosts are never
/// given to the resolver).
struct LiteralIpGuard {
    allow_private: bool,
}

#[async_trait::async_trait]
impl Middleware for LiteralIpGuard {
    async fn handle(
        &self,
        req: reqwest::Request,
        extensions: &mut http::Extensions,
        next: Next<'_>,
    ) -> reqwest_middleware::Result<reqwest::Response> {
        if !self.allow_private {
            check_url(req.url()).map_err(reqwest_middleware::Error::middleware)?;
        }
        next.run(req, extensions).await
    }
}

/// A refused outgoing request.
#[derive(Debug, thiserror::Error)]
#[error("refused to connect to {target}: {why}")]
pub struct Refused {
    target: String,
    why: String,
}

/// Checks a URL's host before a request: literal IP hosts must be public; names are left to
/// the resolver, which checks every address it connects to.
pub fn check_url(url: &url::Url) -> Result<(), Refused> {
    let ip = match url.host() {
        None => {
            return Err(Refused {
                target: url.to_string(),
                why: "the URL has no host".into(),
            })
        }
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    match non_public(ip) {
        None => Ok(()),
        Some(reason) => Err(Refused {
            target: ip.to_string(),
            why: format!("{reason} address"),
        }),
    }
}

/// IPv4 ranges that are not public and that `std` does not classify on stable Rust.
const V4_RANGES: &[(Ipv4Net, &str)] = &[
    (net4([0, 0, 0, 0], 8), "a \"this network\""),
    (net4([100, 64, 0, 0], 10), "a shared (CGNAT)"),
    (net4([192, 0, 0, 0], 24), "an IETF protocol assignment"),
    (net4([198, 18, 0, 0], 15), "a benchmarking"),
    (net4([240, 0, 0, 0], 4), "a reserved"),
];

/// IPv6 ranges that are not public and that `std` does not classify on stable Rust.
const V6_RANGES: &[(Ipv6Net, &str)] = &[
    (
        net6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
        "a documentation",
    ),
    (net6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), "a documentation"),
    (net6([0x2001, 0x2, 0, 0, 0, 0, 0, 0], 48), "a benchmarking"),
    (
        net6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
        "a local-use NAT64",
    ),
    (net6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10), "a site-local"),
    (net6([0x100, 0, 0, 0, 0, 0, 0, 0], 64), "a discard-only"),
];

const fn net4(octets: [u8; 4], prefix: u8) -> Ipv4Net {
    Ipv4Net::new_assert(
        Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]),
        prefix,
    )
}

const fn net6(s: [u16; 8], prefix: u8) -> Ipv6Net {
    Ipv6Net::new_assert(
        Ipv6Addr::new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]),
        prefix,
    )
}

/// Why `ip` is not a public address (as "a loopback", "a private", …), or `None` when it is.
/// IPv6 addresses that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::`) are judged by that address.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_non_public(v4),
        IpAddr::V6(v6) => v6_non_public(v6),
    }
}

fn v4_non_public(ip: Ipv4Addr) -> Option<&'static str> {
    let why = if ip.is_unspecified() {
        "an unspecified"
    } else if ip.is_loopback() {
        "a loopback"
    } else if ip.is_private() {
        "a private"
    } else if ip.is_link_local() {
        "a link-local"
    } else if ip.is_multicast() {
        "a multicast"
    } else if ip.is_broadcast() {
        "a broadcast"
    } else if ip.is_documentation() {
        "a documentation"
    } else {
        return V4_RANGES
            .iter()
            .find(|(net, _)| net.contains(&ip))
            .map(|(_, why)| *why);
    };
    Some(why)
}

fn v6_non_public(ip: Ipv6Addr) -> Option<&'static str> {
    let why = if ip.is_unspecified() {
        "an unspecified"
    } else if ip.is_loopback() {
        "a loopback"
    } else if ip.is_multicast() {
        "a multicast"
    } else if ip.is_unique_local() {
        "a unique-local"
    } else if ip.is_unicast_link_local() {
        "a link-local"
    } else if let Some(v4) = embedded_v4(ip) {
        return v4_non_public(v4);
    } else {
        return V6_RANGES
            .iter()
            .find(|(net, _)| net.contains(&ip))
            .map(|(_, why)| *why);
    };
    Some(why)
}

/// The IPv4 address an IPv6 address stands for, in the forms that reach IPv4 hosts.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // IPv4-mapped (::ffff:0:0/96) and IPv4-compatible (::/96, deprecated)
        [0, 0, 0, 0, 0, 0xffff | 0, hi, lo] => Some(low(hi, lo)),
        // NAT64 well-known prefix (64:ff9b::/96)
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        // 6to4 (2002::/16): the IPv4 address follows the prefix
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

/// An error with its causes, `: `-separated: reqwest's own message names only the URL, and
/// the reason a connection was refused sits in a cause.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every form of a non-public address the guard must refuse, as a URL host (so the `url`
    /// crate's normalization of decimal, hex, octal and short IPv4 forms is covered too).
    const REFUSED: &[&str] = &[
        "127.0.0.1",
        "127.255.255.254",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "0.0.0.0",
        "0",
        "0.1.2.3",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "192.0.0.8",
        "192.0.2.1",
        "198.51.100.7",
        "203.0.113.9",
        "198.18.0.1",
        "198.19.255.255",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "[::1]",
        "[::]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::ffff:10.0.0.1]",
        "[::ffff:169.254.169.254]",
        "[::127.0.0.1]",
        "[::7f00:1]",
        "[64:ff9b::127.0.0.1]",
        "[64:ff9b::a00:1]",
        "[64:ff9b:1::1]",
        "[2002:7f00:1::]",
        "[2002:c0a8:101::1]",
        "[fc00::1]",
        "[fd12:3456::1]",
        "[fe80::1]",
        "[fec0::1]",
        "[ff02::1]",
        "[ff05::2]",
        "[2001:db8::1]",
        "[3fff:10::1]",
        "[2001:2::1]",
        "[100::1]",
    ];

    /// Public addresses that must pass.
    const ALLOWED: &[&str] = &[
        "1.1.1.1",
        "8.8.8.8",
        "93.184.216.34",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
        "192.0.1.1",
        "192.169.0.1",
        "198.17.255.255",
        "198.20.0.1",
        "223.255.255.255",
        "[2606:4700::1111]",
        "[2a00:1450:4001:81c::200e]",
        "[::ffff:8.8.8.8]",
        "[64:ff9b::808:808]",
        "[2002:808:808::1]",
        "[2001:db9::1]",
    ];

    fn url(host: &str) -> url::Url {
        url::Url::parse(&format!("https://{host}/inbox")).unwrap()
    }

    #[test]
    fn non_public_addresses_are_refused_in_every_form() {
        for host in REFUSED {
            let url = url(host);
            assert!(
                matches!(url.host(), Some(Host::Ipv4(_) | Host::Ipv6(_))),
                "{host} should parse as an IP, got {url}"
            );
            let refused = check_url(&url);
            assert!(refused.is_err(), "{host} ({url}) was allowed");
        }
    }

    #[test]
    fn public_addresses_and_names_pass() {
        for host in ALLOWED {
            assert!(check_url(&url(host)).is_ok(), "{host} was refused");
        }
        // Names are for the resolver to judge, address by address.
        assert!(check_url(&url("localhost")).is_ok());
        assert!(check_url(&url("example.com")).is_ok());
    }

    #[test]
    fn the_reason_names_the_range() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(non_public(ip("127.0.0.1")), Some("a loopback"));
        assert_eq!(non_public(ip("100.64.1.1")), Some("a shared (CGNAT)"));
        assert_eq!(non_public(ip("::ffff:192.168.0.1")), Some("a private"));
        assert_eq!(non_public(ip("64:ff9b::7f00:1")), Some("a loopback"));
        assert_eq!(non_public(ip("8.8.8.8")), None);
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_of_loopback_addresses() {
        let resolver = GuardedResolver {
            allow_private: false,
        };
        let err = match resolver.resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => panic!("resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e.to_string(),
        };
        assert!(err.contains("no public address"), "{err}");
        let dev = GuardedResolver {
            allow_private: true,
        };
        assert!(dev.resolve("localhost".parse().unwrap()).await.is_ok());
    }

    #[tokio::test]
    async fn the_client_never_connects_to_a_literal_loopback_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let client = guarded_client("test".into(), false).unwrap();
        for host in [
            "127.0.0.1",
            "2130706433",
            "0x7f000001",
            "127.1",
            "localhost",
        ] {
            let res = client
                .get(format!("http://{host}:{port}/secret"))
                .send()
                .await;
            let err = error_chain(&res.expect_err(host));
            assert!(err.contains("refused to connect"), "{host}: {err}");
        }
        assert!(
            matches!(listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "a connection reached the listener"
        );
        // In development mode the same request goes through.
        listener.set_nonblocking(false).unwrap();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).unwrap();
            conn.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .unwrap();
        });
        let dev = guarded_client("test".into(), true).unwrap();
        let res = dev
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .expect("dev mode reaches loopback");
        assert_eq!(res.status(), 204);
        server.join().unwrap();
    }
}
