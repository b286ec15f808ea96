//! A person's posting and reading preferences (Mastodon's `posting:default:*` and
//! `reading:expand:*`): what a post gets when its author leaves visibility, sensitivity or
//! language out, and how apps should show media and content warnings. No stored row means the
//! defaults (public, not sensitive, no language, media per their flag, warnings closed).

use crate::types::{UnknownWord, Visibility};
use crate::CoreError;
use kith_storage::profiles::{self, PreferencesRow};
use kith_storage::{DbConn, StorageError};
use std::str::FromStr;

/// How apps should show media (`reading:expand:media`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpandMedia {
    /// Hide media marked sensitive.
    #[default]
    Default,
    /// Show all media.
    ShowAll,
    /// Hide all media.
    HideAll,
}

impl ExpandMedia {
    /// Mastodon's word (also the stored one).
    pub fn as_str(self) -> &'static str {
        match self {
            ExpandMedia::Default => "default",
            ExpandMedia::ShowAll => "show_all",
            ExpandMedia::HideAll => "hide_all",
        }
    }
}

impl FromStr for ExpandMedia {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "default" => ExpandMedia::Default,
            "show_all" => ExpandMedia::ShowAll,
            "hide_all" => ExpandMedia::HideAll,
            _ => return Err(UnknownWord(s.to_owned())),
        })
    }
}

/// A person's preferences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    /// Visibility of a post that names none (public, unlisted or private).
    pub visibility: Visibility,
    /// Whether a post that does not say is sensitive.
    pub sensitive: bool,
    /// Language of a post that names none (an ISO 639 code), or none.
    pub language: Option<String>,
    /// How to show media.
    pub expand_media: ExpandMedia,
    /// Whether content warnings start open.
    pub expand_spoilers: bool,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences {
            visibility: Visibility::Public,
            sensitive: false,
            language: None,
            expand_media: ExpandMedia::Default,
            expand_spoilers: false,
        }
    }
}

/// What a profile edit may change of the preferences (`source[privacy]`, `source[sensitive]`,
/// `source[language]`); `None` leaves a value as it is, `language: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct PreferenceChanges {
    /// The default visibility's word.
    pub visibility: Option<String>,
    /// The default sensitivity.
    pub sensitive: Option<bool>,
    /// The default language, already checked to be a language code.
    pub language: Option<Option<String>>,
}

/// The default visibility a person may choose: public, unlisted or private (as Mastodon's
/// settings offer); else `Invalid`.
pub fn default_visibility(word: &str) -> Result<Visibility, CoreError> {
    match word.parse::<Visibility>() {
        Ok(v) if v != Visibility::Direct => Ok(v),
        _ => Err(CoreError::Invalid(format!(
            "Default privacy {word:?} is not one of public, unlisted, private"
        ))),
    }
}

/// The account's preferences (the defaults where it set none).
pub fn of(conn: &mut DbConn, account_id: i64) -> Result<Preferences, StorageError> {
    Ok(match profiles::preferences(conn, account_id)? {
        None => Preferences::default(),
        Some(row) => Preferences {
            visibility: row.posting_visibility.parse().unwrap_or(Visibility::Public),
            sensitive: row.posting_sensitive,
            language: row.posting_language,
            expand_media: row.expand_media.parse().unwrap_or_default(),
            expand_spoilers: row.expand_spoilers,
        },
    })
}

/// Applies `changes` to the account's preferences; an invalid visibility is `Invalid` (422)
/// and changes nothing.
pub fn update(
    conn: &mut DbConn,
    account_id: i64,
    changes: &PreferenceChanges,
) -> Result<Preferences, CoreError> {
    let mut prefs = of(conn, account_id)?;
    if let Some(word) = &changes.visibility {
        prefs.visibility = default_visibility(word)?;
    }
    if let Some(sensitive) = changes.sensitive {
        prefs.sensitive = sensitive;
    }
    if let Some(language) = &changes.language {
        prefs.language = language.clone();
    }
    profiles::save_preferences(
        conn,
        &PreferencesRow {
            account_id,
            posting_visibility: prefs.visibility.as_str().to_owned(),
            posting_sensitive: prefs.sensitive,
            posting_language: prefs.language.clone(),
            expand_media: prefs.expand_media.as_str().to_owned(),
            expand_spoilers: prefs.expand_spoilers,
        },
    )?;
    Ok(prefs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_visibility_is_one_of_three() {
        assert_eq!(
            default_visibility("unlisted").ok(),
            Some(Visibility::Unlisted)
        );
        assert!(default_visibility("direct").is_err());
        assert!(default_visibility("everyone").is_err());
        assert_eq!("hide_all".parse(), Ok(ExpandMedia::HideAll));
        assert!("all".parse::<ExpandMedia>().is_err());
    }
}
