//! `Account` and `CredentialAccount`.

use super::timestamp;
use kith_core::preferences::Preferences;
use kith_core::types::ActorType;
use kith_core::InstanceUrls;
use kith_storage::accounts::Account as AccountRow;
use kith_storage::users::User;
use serde::Serialize;

/// Relationship counts shown on a profile.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Accounts following this one.
    pub followers: i64,
    /// Accounts this one follows.
    pub following: i64,
    /// Posts by this account.
    pub statuses: i64,
}

impl From<&kith_storage::accounts::Stats> for Counts {
    fn from(s: &kith_storage::accounts::Stats) -> Self {
        Counts {
            followers: s.followers_count,
            following: s.following_count,
            statuses: s.statuses_count,
        }
    }
}

/// A profile field: `value` is HTML on an `Account`, the text as typed in `source.fields`.
#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Label.
    pub name: String,
    /// Value (HTML).
    pub value: String,
    /// When the link in `value` was verified.
    pub verified_at: Option<String>,
}

/// Mastodon's `Account`.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub url: String,
    pub uri: String,
    pub display_name: String,
    pub note: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub locked: bool,
    pub bot: bool,
    pub group: bool,
    pub discoverable: Option<bool>,
    pub indexable: bool,
    pub hide_collections: Option<bool>,
    pub noindex: Option<bool>,
    pub created_at: String,
    pub last_status_at: Option<String>,
    pub statuses_count: i64,
    pub followers_count: i64,
    pub following_count: i64,
    pub fields: Vec<Field>,
    pub emojis: Vec<serde_json::Value>,
    pub roles: Vec<serde_json::Value>,
}

/// `source` of a `CredentialAccount`: the raw values the owner edits.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub note: String,
    pub fields: Vec<Field>,
    pub privacy: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub follow_requests_count: i64,
    pub hide_collections: bool,
    pub discoverable: bool,
    pub indexable: bool,
}

/// A `Role` as shown on one's own account.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub color: String,
    pub permissions: String,
    pub highlighted: bool,
}

/// Mastodon's `CredentialAccount`: one's own account, with `source` and `role`.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialAccount {
    #[serde(flatten)]
    pub account: Account,
    pub source: Source,
    pub role: Role,
}

/// The picture shown when an account has none.
pub fn default_avatar(urls: &InstanceUrls) -> String {
    format!("{}static/avatar.png", urls.base())
}

/// The banner shown when an account has none.
pub fn default_header(urls: &InstanceUrls) -> String {
    format!("{}static/header.png", urls.base())
}

/// A stored account as Mastodon's `Account`.
pub fn account_to_api(row: &AccountRow, counts: Counts, urls: &InstanceUrls) -> Account {
    let avatar = row
        .avatar_url
        .clone()
        .unwrap_or_else(|| default_avatar(urls));
    let header = row
        .header_url
        .clone()
        .unwrap_or_else(|| default_header(urls));
    // Mastodon shows the day an account was made, not the moment.
    let created_day = row
        .created_at
        .date()
        .and_hms_opt(0, 0, 0)
        .unwrap_or(row.created_at);
    Account {
        id: row.id.to_string(),
        username: row.username.clone(),
        acct: row.acct(),
        url: row.url.clone().unwrap_or_else(|| row.ap_id.clone()),
        uri: row.ap_id.clone(),
        display_name: row.display_name.clone(),
        note: row.note.clone(),
        avatar_static: avatar.clone(),
        avatar,
        header_static: header.clone(),
        header,
        locked: row.locked,
        bot: row.bot,
        group: ActorType::of(row) == ActorType::Group,
        discoverable: Some(ActorType::of(row) != ActorType::Application),
        indexable: false,
        hide_collections: Some(false),
        noindex: Some(true),
        created_at: timestamp(created_day),
        last_status_at: None,
        statuses_count: counts.statuses,
        followers_count: counts.followers,
        following_count: counts.following,
        fields: row
            .profile_fields()
            .into_iter()
            .map(|f| Field {
                name: f.name,
                value: f.value,
                verified_at: f.verified_at,
            })
            .collect(),
        emojis: Vec::new(),
        roles: Vec::new(),
    }
}

pub(crate) fn role_to_api(role: &str) -> Role {
    // Mastodon's permission bit sets: 1 = administrator; moderators get report/user handling.
    let (id, name, permissions, highlighted) = match role {
        "admin" => ("3", "Admin", "1", true),
        "moderator" => ("2", "Moderator", "1308", true),
        _ => ("-99", "", "65536", false),
    };
    Role {
        id: id.into(),
        name: name.into(),
        color: String::new(),
        permissions: permissions.into(),
        highlighted,
    }
}

/// One's own account, as `verify_credentials` and `update_credentials` answer.
pub fn credential_account_to_api(
    row: &AccountRow,
    user: &User,
    counts: Counts,
    follow_requests: i64,
    prefs: &Preferences,
    urls: &InstanceUrls,
) -> CredentialAccount {
    CredentialAccount {
        account: account_to_api(row, counts, urls),
        source: Source {
            note: kith_core::html::html_to_text(&row.note),
            fields: row
                .profile_fields()
                .into_iter()
                .map(|f| Field {
                    name: f.name,
                    value: f
                        .raw
                        .unwrap_or_else(|| kith_core::html::html_to_text(&f.value)),
                    verified_at: f.verified_at,
                })
                .collect(),
            privacy: prefs.visibility.as_str().into(),
            sensitive: prefs.sensitive,
            language: prefs.language.clone(),
            follow_requests_count: follow_requests,
            hide_collections: false,
            discoverable: true,
            indexable: false,
        },
        role: role_to_api(&user.role),
    }
}
