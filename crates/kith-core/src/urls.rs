//! The one place that knows how this instance's URLs look. The HTTP routes in `kith-api`
//! mount exactly these paths.

use crate::CoreError;
use url::Url;

/// This instance's authority and base URL, and every ActivityPub id derived from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceUrls {
    domain: String,
    base: Url,
}

impl InstanceUrls {
    /// `domain` is the authority (`social.example`, `localhost:8080`); ids use `https` unless
    /// `plain_http` (development mode) is set.
    pub fn new(domain: &str, plain_http: bool) -> Result<InstanceUrls, CoreError> {
        let domain = domain.trim().to_lowercase();
        let scheme = if plain_http { "http" } else { "https" };
        let bad = || {
            CoreError::Invalid(format!(
                "domain {domain:?} must be a host name with an optional port, like social.example or localhost:8080"
            ))
        };
        if domain.is_empty() || domain.contains(['/', '@', '?', '#', ' ']) {
            return Err(bad());
        }
        let base = Url::parse(&format!("{scheme}://{domain}/")).map_err(|_| bad())?;
        let host = base.host_str().ok_or_else(bad)?;
        let rebuilt = match base.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        // The URL parser normalises; refuse anything that did not survive it unchanged
        // (userinfo, a default port, odd characters).
        if rebuilt != domain || !base.username().is_empty() {
            return Err(bad());
        }
        Ok(InstanceUrls { domain, base })
    }

    /// The authority, e.g. `social.example` or `localhost:8080`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The base URL, ending in `/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    fn join(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    /// An account's actor id: `/users/NAME`.
    pub fn actor(&self, username: &str) -> Url {
        self.join(&format!("/users/{username}"))
    }
    /// The id of an account's key: `/users/NAME#main-key`.
    pub fn key_id(&self, actor: &Url) -> String {
        format!("{actor}#main-key")
    }
    /// An account's inbox.
    pub fn inbox(&self, username: &str) -> Url {
        self.join(&format!("/users/{username}/inbox"))
    }
    /// An account's outbox.
    pub fn outbox(&self, username: &str) -> Url {
        self.join(&format!("/users/{username}/outbox"))
    }
    /// An account's followers collection.
    pub fn followers(&self, username: &str) -> Url {
        self.join(&format!("/users/{username}/followers"))
    }
    /// An account's following collection.
    pub fn following(&self, username: &str) -> Url {
        self.join(&format!("/users/{username}/following"))
    }
    /// An account's profile page for people: `/@NAME`.
    pub fn profile(&self, username: &str) -> Url {
        self.join(&format!("/@{username}"))
    }
    /// A local status's id: `/users/NAME/statuses/ID`.
    pub fn status(&self, username: &str, id: i64) -> Url {
        self.join(&format!("/users/{username}/statuses/{id}"))
    }
    /// A local status's page for people: `/@NAME/ID`.
    pub fn status_page(&self, username: &str, id: i64) -> Url {
        self.join(&format!("/@{username}/{id}"))
    }
    /// An activity's id: `/activities/UUID-like`.
    pub fn activity(&self, kind: &str) -> Url {
        let token: u64 = rand::random();
        self.join(&format!(
            "/activities/{}-{token:016x}",
            kind.to_ascii_lowercase()
        ))
    }
    /// The shared inbox.
    pub fn shared_inbox(&self) -> Url {
        self.join("/inbox")
    }
    /// The instance actor (an `Application`, as Mastodon has), which signs fetches.
    pub fn instance_actor(&self) -> Url {
        self.join("/actor")
    }
    /// The instance actor's inbox.
    pub fn instance_actor_inbox(&self) -> Url {
        self.join("/actor/inbox")
    }
    /// The instance actor's username: the host, as Mastodon does.
    pub fn instance_actor_username(&self) -> &str {
        self.base.host_str().unwrap_or(&self.domain)
    }
    /// Whether `url` points at this instance.
    pub fn is_local(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_mastodon_style_urls() {
        let u = InstanceUrls::new("Social.Example", false).unwrap();
        assert_eq!(u.domain(), "social.example");
        assert_eq!(u.actor("ana").as_str(), "https://social.example/users/ana");
        assert_eq!(u.shared_inbox().as_str(), "https://social.example/inbox");
        assert_eq!(u.profile("ana").as_str(), "https://social.example/@ana");
        let dev = InstanceUrls::new("localhost:8080", true).unwrap();
        assert_eq!(dev.instance_actor().as_str(), "http://localhost:8080/actor");
        assert!(dev.is_local(&Url::parse("http://localhost:8080/users/x").unwrap()));
        assert!(!dev.is_local(&Url::parse("http://localhost:8081/users/x").unwrap()));
    }

    #[test]
    fn refuses_domains_that_are_not_authorities() {
        for bad in [
            "",
            "https://x.example",
            "x.example/path",
            "a@x.example",
            "x.example:443",
            "x y",
        ] {
            assert!(InstanceUrls::new(bad, false).is_err(), "{bad:?} accepted");
        }
    }
}
