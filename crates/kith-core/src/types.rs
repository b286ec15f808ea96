//! Domain types for the words Kith passes around (Lemmy's `newtypes.rs`): a post's
//! `Visibility` and an account's `ActorType`. Storage rows keep them as their strings (storage
//! sits below this crate); code converts at that edge with `FromStr` / `as_str`, and reads a
//! stored row with `of` (an unknown string reads as the most private or plainest kind).
//! `NotificationKind` lives with its gate in `notifications`.

use kith_storage::accounts::Account;
use kith_storage::statuses::Status;
use std::fmt;
use std::str::FromStr;

/// A word that is not one of a domain type's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord(pub String);

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value {:?}", self.0)
    }
}

impl std::error::Error for UnknownWord {}

/// Mastodon's four visibilities, stored and shown as their API names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// To the public collection.
    Public,
    /// Public in `cc` only: not on public timelines.
    Unlisted,
    /// To the author's followers.
    Private,
    /// To the mentioned accounts only.
    Direct,
}

impl Visibility {
    /// The Mastodon API name (also the stored string).
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }

    /// Public or unlisted: may be boosted, and a reply reaches the parent's author
    /// (Mastodon's `distributable?`).
    pub fn is_distributable(self) -> bool {
        matches!(self, Visibility::Public | Visibility::Unlisted)
    }

    /// A stored status's visibility; a string that is none of the four reads as `Direct`.
    pub fn of(status: &Status) -> Visibility {
        status.visibility.parse().unwrap_or(Visibility::Direct)
    }
}

impl FromStr for Visibility {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "private" => Visibility::Private,
            "direct" => Visibility::Direct,
            _ => return Err(UnknownWord(s.to_owned())),
        })
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The ActivityStreams actor types Kith accepts (Mastodon's list), stored as their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorType {
    /// A person: every local user.
    Person,
    /// An automated account.
    Service,
    /// An application: the local instance actor.
    Application,
    /// A group.
    Group,
    /// An organization.
    Organization,
}

impl ActorType {
    /// The ActivityStreams name (also the stored string).
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Person => "Person",
            ActorType::Service => "Service",
            ActorType::Application => "Application",
            ActorType::Group => "Group",
            ActorType::Organization => "Organization",
        }
    }

    /// Automated: Mastodon's `bot` flag.
    pub fn is_bot(self) -> bool {
        matches!(self, ActorType::Service | ActorType::Application)
    }

    /// A stored account's type; a string that is none of the five reads as `Person`.
    pub fn of(account: &Account) -> ActorType {
        account.actor_type.parse().unwrap_or(ActorType::Person)
    }
}

impl FromStr for ActorType {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "Person" => ActorType::Person,
            "Service" => ActorType::Service,
            "Application" => ActorType::Application,
            "Group" => ActorType::Group,
            "Organization" => ActorType::Organization,
            _ => return Err(UnknownWord(s.to_owned())),
        })
    }
}

impl fmt::Display for ActorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for v in [
            Visibility::Public,
            Visibility::Unlisted,
            Visibility::Private,
            Visibility::Direct,
        ] {
            assert_eq!(v.as_str().parse::<Visibility>(), Ok(v));
        }
        for t in [
            ActorType::Person,
            ActorType::Service,
            ActorType::Application,
            ActorType::Group,
            ActorType::Organization,
        ] {
            assert_eq!(t.as_str().parse::<ActorType>(), Ok(t));
        }
        assert!("Public".parse::<Visibility>().is_err());
        assert!("person".parse::<ActorType>().is_err());
    }
}
