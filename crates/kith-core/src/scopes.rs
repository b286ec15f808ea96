//! OAuth scopes as Mastodon defines them: top-level `read`, `write`, `follow`, `push`,
//! `profile`, granular `read:statuses` and the like, and `admin:read[:…]` / `admin:write[:…]`.

use crate::CoreError;
use std::collections::BTreeSet;
use std::fmt;

const TOP_LEVEL: &[&str] = &[
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "admin:read",
    "admin:write",
];
const READ_WRITE_GRANULAR: &[&str] = &[
    "accounts",
    "blocks",
    "bookmarks",
    "conversations",
    "favourites",
    "filters",
    "follows",
    "lists",
    "media",
    "mutes",
    "notifications",
    "reports",
    "search",
    "statuses",
];
/// What the deprecated `follow` scope stands for.
const FOLLOW_COVERS: &[&str] = &[
    "read:follows",
    "write:follows",
    "read:blocks",
    "write:blocks",
    "read:mutes",
    "write:mutes",
];

/// A validated set of scopes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scopes(BTreeSet<String>);

impl Scopes {
    /// Parses a space- (or `+`-) separated scope string. Empty means `read`, as in Mastodon.
    pub fn parse(s: &str) -> Result<Scopes, CoreError> {
        let mut set = BTreeSet::new();
        for scope in s.split([' ', '+']).filter(|x| !x.is_empty()) {
            if !is_known(scope) {
                return Err(CoreError::Invalid(format!("unknown scope {scope:?}")));
            }
            set.insert(scope.to_owned());
        }
        if set.is_empty() {
            set.insert("read".to_owned());
        }
        Ok(Scopes(set))
    }

    /// Whether every scope in `self` is also allowed by `granted` (a request may not ask for
    /// more than its application registered).
    pub fn is_subset_of(&self, granted: &Scopes) -> bool {
        self.0.iter().all(|s| granted.allows(s))
    }

    /// Whether this set allows an action that needs `required` (e.g. `read:accounts`).
    pub fn allows(&self, required: &str) -> bool {
        if self.0.contains(required) {
            return true;
        }
        // `read` covers `read:*`, `admin:read` covers `admin:read:*`.
        if let Some((parent, _)) = required.rsplit_once(':') {
            if self.0.contains(parent) {
                return true;
            }
        }
        if self.0.contains("follow") && FOLLOW_COVERS.contains(&required) {
            return true;
        }
        // `profile` is a narrower `read:accounts` that only reads one's own account.
        required == "profile" && self.allows("read:accounts")
    }
}

fn is_known(scope: &str) -> bool {
    if TOP_LEVEL.contains(&scope) {
        return true;
    }
    let granular = |rest: &str| READ_WRITE_GRANULAR.contains(&rest);
    if let Some(rest) = scope
        .strip_prefix("read:")
        .or_else(|| scope.strip_prefix("write:"))
    {
        return granular(rest);
    }
    if let Some(rest) = scope
        .strip_prefix("admin:read:")
        .or_else(|| scope.strip_prefix("admin:write:"))
    {
        return !rest.is_empty() && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    }
    false
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let joined: Vec<&str> = self.0.iter().map(String::as_str).collect();
        f.write_str(&joined.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks_scopes() {
        let s = Scopes::parse("read write:statuses follow").unwrap();
        assert!(s.allows("read:accounts"));
        assert!(s.allows("write:statuses"));
        assert!(!s.allows("write:media"));
        assert!(s.allows("write:follows"));
        assert!(s.allows("profile"));
        assert_eq!(Scopes::parse("").unwrap().to_string(), "read");
        assert_eq!(
            Scopes::parse("read+write").unwrap().to_string(),
            "read write"
        );
        assert!(Scopes::parse("read sudo").is_err());
        assert!(Scopes::parse("read:everything").is_err());
        let asked = Scopes::parse("read:accounts").unwrap();
        assert!(asked.is_subset_of(&Scopes::parse("read").unwrap()));
        assert!(!Scopes::parse("write")
            .unwrap()
            .is_subset_of(&Scopes::parse("read").unwrap()));
    }
}
