//! Facts about this instance that both the federation layer and the client API publish.

/// How the instance presents itself (NodeInfo, `/api/v1/instance`, HTML pages).
#[derive(Debug, Clone)]
pub struct InstanceInfo {
    /// Display name of the instance.
    pub title: String,
    /// One-paragraph description.
    pub description: String,
    /// Address for people to contact the admins; may be empty.
    pub contact_email: String,
    /// Whether anyone may sign up (Kith 0.1 has no sign-up page; accounts come from admins).
    pub registrations_open: bool,
    /// Development mode: plain http and loopback peers allowed.
    pub dev_mode: bool,
    /// Authorized-fetch ("secure") mode: ActivityPub reads need a valid HTTP signature.
    pub authorized_fetch: bool,
    /// Allow-list federation mode: only the domains in `domain_allows` federate.
    pub allowlist_mode: bool,
    /// Who may read the public list of domain blocks: `all`, `users` or `disabled`.
    pub show_domain_blocks: String,
    /// The instance's rules, in order (`rules` in the configuration).
    pub rules: Vec<String>,
}

/// Kith's own version.
pub const KITH_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Mastodon API version Kith answers as. Clients gate features on this number.
pub const MASTODON_API_COMPAT: &str = "4.3.0";

/// The `version` string of `/api/v1/instance`, in the form Mastodon-compatible servers use.
pub fn compat_version() -> String {
    format!("{MASTODON_API_COMPAT} (compatible; Kith {KITH_VERSION})")
}
