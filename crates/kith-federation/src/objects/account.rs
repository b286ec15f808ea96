//! Accounts as ActivityPub actors: local rows become `Person`/`Application` documents; remote
//! documents are checked and upserted into rows.

use crate::convert;
use crate::protocol::actor::{attachment_of, property_values, Actor, Endpoints, Image, PublicKey};
use crate::protocol::emoji::{emojis_in, EmojiOut};
use crate::protocol::values::{first_string, first_url, single_line, truncate_chars};
use crate::{Data, FederationError, KithContext};
use activitypub_federation::traits::{Actor as ApActor, Object};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use kith_core::limits::{
    MAX_BIO_CHARS, MAX_DISPLAY_NAME_CHARS, MAX_REMOTE_PROFILE_FIELDS, MAX_URL_BYTES,
};
use kith_core::types::ActorType;
use kith_storage::accounts::{self, Account};
use kith_storage::OptionalExt;
use url::Url;

/// Limits on what a remote actor may make us store (with those in `kith_core::limits`).
const MAX_USERNAME_CHARS: usize = 200;
const MAX_PEM_BYTES: usize = 8_192;

/// Whether an optional URL is short enough to keep ([`MAX_URL_BYTES`]).
fn fits(url: &str) -> bool {
    url.len() <= MAX_URL_BYTES
}

/// An account row seen as an ActivityPub actor, with its id and inbox parsed.
#[derive(Debug, Clone)]
pub struct ApAccount {
    account: Account,
    id: Url,
    inbox: Url,
}

impl ApAccount {
    /// Wraps a row; fails only if the row holds a broken URL.
    pub fn new(account: Account) -> Result<ApAccount, FederationError> {
        Ok(ApAccount {
            id: Url::parse(&account.ap_id)?,
            inbox: Url::parse(&account.inbox_url)?,
            account,
        })
    }

    /// The row.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The row, owned.
    pub fn into_account(self) -> Account {
        self.account
    }

    /// The same actor after a profile edit: `account` is the edited row (its ids and inbox
    /// unchanged, as a profile edit leaves them).
    pub fn edited(self, account: Account) -> ApAccount {
        ApAccount { account, ..self }
    }

    /// The actor document for this account (no I/O: a pure conversion).
    pub fn to_actor(self) -> Actor {
        let ApAccount {
            account: a,
            id,
            inbox,
        } = self;
        Actor {
            kind: a.actor_type.clone(),
            preferred_username: a.username.clone(),
            name: serde_json::Value::String(a.display_name.clone()),
            summary: serde_json::Value::String(a.note.clone()),
            url: a
                .url
                .clone()
                .map(serde_json::Value::String)
                .unwrap_or_default(),
            inbox,
            outbox: parse_opt_url(&a.outbox_url),
            followers: parse_opt_url(&a.followers_url),
            following: parse_opt_url(&a.following_url),
            endpoints: Some(Endpoints {
                shared_inbox: parse_opt_url(&a.shared_inbox_url),
            }),
            public_key: PublicKey {
                id: a.public_key_id.clone(),
                owner: id.clone(),
                public_key_pem: a.public_key_pem.clone(),
            },
            icon: image(&a.avatar_url),
            image: image(&a.header_url),
            manually_approves_followers: Some(a.locked),
            discoverable: Some(ActorType::of(&a) != ActorType::Application),
            published: Some(as_utc(a.created_at)),
            tag: serde_json::Value::Null,
            // Local people's featured hashtags (`/users/NAME/collections/tags`).
            featured_tags: (a.is_local() && ActorType::of(&a) != ActorType::Application)
                .then(|| Url::parse(&format!("{}/collections/tags", a.ap_id)).ok())
                .flatten(),
            attachment: attachment_of(
                &a.profile_fields()
                    .into_iter()
                    .map(|f| (f.name, f.value))
                    .collect::<Vec<_>>(),
            ),
            id,
        }
    }

    /// The actor document with the `Emoji` tags of the local emoji its name and bio use.
    pub fn to_actor_with_emojis(
        self,
        c: &mut kith_storage::DbConn,
    ) -> Result<Actor, kith_storage::StorageError> {
        let base = format!("{}://{}/", self.id.scheme(), self.id.authority());
        let tags = crate::objects::emoji::local_emoji_tags(
            c,
            &[&self.account.display_name, &self.account.note],
            &base,
        )?;
        let mut actor = self.to_actor();
        actor.tag = serde_json::Value::Array(tags.iter().map(EmojiOut::to_json).collect());
        Ok(actor)
    }
}

fn as_utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// Refuses two URLs on different servers (host and port). The library's
/// `verify_domains_match` compares `Url::domain`, which ignores the port and is `None` for
/// every IP host, so it would let `127.0.0.1:1` speak for `10.0.0.1:2`.
pub fn same_authority(a: &Url, b: &Url) -> Result<(), FederationError> {
    match (authority(a), authority(b)) {
        (Some(x), Some(y)) if x == y => Ok(()),
        _ => Err(FederationError::Invalid(format!(
            "{a} and {b} are on different servers"
        ))),
    }
}

/// The `domain` column for an actor id: host, plus the port when it is not the default.
pub fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_lowercase();
    Some(match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host,
    })
}

fn image(url: &Option<String>) -> serde_json::Value {
    match url.as_deref().and_then(|u| Url::parse(u).ok()) {
        Some(url) => serde_json::to_value(Image {
            kind: "Image".into(),
            url,
            media_type: None,
        })
        .unwrap_or_default(),
        None => serde_json::Value::Null,
    }
}

fn parse_opt_url(s: &Option<String>) -> Option<Url> {
    s.as_deref().and_then(|u| Url::parse(u).ok())
}

#[async_trait]
impl Object for ApAccount {
    type DataType = KithContext;
    type Kind = Actor;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        if self.account.is_local() {
            return Some(Utc::now());
        }
        self.account.fetched_at.map(as_utc)
    }

    async fn read_from_id(id: Url, data: &Data) -> Result<Option<Self>, Self::Error> {
        let id = id.to_string();
        Ok(data
            .db
            .read(move |c| accounts::by_ap_id(c, &id).optional())
            .await?
            .map(ApAccount::new)
            .transpose()?)
    }

    async fn into_json(self, data: &Data) -> Result<Actor, Self::Error> {
        if !self.account.is_local() {
            return Ok(self.to_actor());
        }
        Ok(data.db.read(move |c| self.to_actor_with_emojis(c)).await?)
    }

    async fn verify(json: &Actor, expected_domain: &Url, _data: &Data) -> Result<(), Self::Error> {
        same_authority(&json.id, expected_domain)?;
        if json.kind.parse::<ActorType>().is_err() {
            return Err(FederationError::Invalid(format!(
                "unsupported actor type {:?}",
                json.kind
            )));
        }
        if json.public_key.owner != json.id {
            return Err(FederationError::Invalid(
                "publicKey.owner is not the actor".into(),
            ));
        }
        let key_id = Url::parse(&json.public_key.id)?;
        same_authority(&key_id, &json.id)?;
        if json.public_key.public_key_pem.len() > MAX_PEM_BYTES {
            return Err(FederationError::Invalid("public key too large".into()));
        }
        for url in [Some(&json.inbox), json.outbox.as_ref()]
            .into_iter()
            .flatten()
        {
            if !matches!(url.scheme(), "http" | "https") {
                return Err(FederationError::Invalid(format!("bad URL scheme in {url}")));
            }
        }
        // Ids and the inbox are kept whole and shown on every post: no real one is this long.
        if [&json.id, &json.inbox]
            .iter()
            .any(|u| u.as_str().len() > MAX_URL_BYTES)
        {
            return Err(FederationError::Invalid(
                "actor id or inbox too long".into(),
            ));
        }
        let u = &json.preferred_username;
        if u.is_empty()
            || u.chars().count() > MAX_USERNAME_CHARS
            || u.chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@')
        {
            return Err(FederationError::Invalid(format!(
                "bad preferredUsername {u:?}"
            )));
        }
        Ok(())
    }

    async fn from_json(json: Actor, data: &Data) -> Result<Self, Self::Error> {
        let domain = authority(&json.id)
            .ok_or_else(|| FederationError::Invalid("actor id has no host".into()))?;
        if data.urls.is_local(&json.id) {
            // Our own accounts are never overwritten by what someone else serves.
            return Err(FederationError::Invalid(
                "remote document claims a local id".into(),
            ));
        }
        let now = kith_storage::now();
        let name = first_string(&json.name).unwrap_or_default();
        let note = first_string(&json.summary).unwrap_or_default();
        let emoji_tags = emojis_in(Some(&json.tag));
        let incoming = Account {
            id: kith_storage::id::new_id(),
            username: json.preferred_username.clone(),
            domain: Some(domain),
            ap_id: json.id.to_string(),
            actor_type: json.kind.clone(),
            display_name: truncate_chars(&single_line(&name), MAX_DISPLAY_NAME_CHARS),
            note: kith_core::html::sanitize_remote(&truncate_chars(&note, MAX_BIO_CHARS)),
            avatar_url: first_url(&json.icon).map(String::from).filter(|u| fits(u)),
            header_url: first_url(&json.image).map(String::from).filter(|u| fits(u)),
            url: first_url(&json.url).map(String::from).filter(|u| fits(u)),
            locked: json.manually_approves_followers.unwrap_or(false),
            bot: json.kind.parse().is_ok_and(ActorType::is_bot),
            inbox_url: json.inbox.to_string(),
            shared_inbox_url: json
                .endpoints
                .and_then(|e| e.shared_inbox)
                .map(String::from)
                .filter(|u| fits(u)),
            outbox_url: json.outbox.map(String::from).filter(|u| fits(u)),
            followers_url: json.followers.map(String::from).filter(|u| fits(u)),
            following_url: json.following.map(String::from).filter(|u| fits(u)),
            // PostgreSQL cannot store NUL, and no valid key has one.
            public_key_id: json.public_key.id.replace('\0', ""),
            public_key_pem: json.public_key.public_key_pem.replace('\0', ""),
            private_key_pem: None,
            created_at: json
                .published
                .map(|p| p.naive_utc())
                .unwrap_or(now)
                .min(now),
            updated_at: now,
            fetched_at: Some(now),
            // Hostile servers send hundreds: only the first few are read, each capped.
            fields: accounts::encode_fields(&kith_core::profile::remote_fields(property_values(
                &json.attachment,
                4 * MAX_REMOTE_PROFILE_FIELDS,
            ))),
        };
        let emojis = convert::emojis(
            &emoji_tags,
            &[&incoming.display_name, &incoming.note],
            data.instance.dev_mode,
            Utc::now(),
        );
        // Two tasks can meet the same new actor at once (a fetch and a delivery): the one that
        // loses the insert tries again, and then finds the row to update.
        let upsert =
            move |c: &mut kith_storage::DbConn| -> Result<Account, kith_storage::StorageError> {
                let mut row = incoming.clone();
                let mut emojis = emojis.as_slice();
                // A server whose media is rejected: no avatar, header or custom emoji is kept.
                if kith_core::domain_policy::rejects_media(c, row.domain.as_deref().unwrap_or(""))?
                {
                    row.avatar_url = None;
                    row.header_url = None;
                    emojis = &[];
                }
                match accounts::by_ap_id(c, &row.ap_id).optional()? {
                    Some(existing) => {
                        // Keep our id and first-seen time.
                        row.id = existing.id;
                        row.created_at = existing.created_at;
                        accounts::update(c, &row)?;
                    }
                    None => {
                        // A new actor with the handle of an old one (account re-created on
                        // its server): the old row gives up the handle.
                        let domain = row.domain.clone().unwrap_or_default();
                        // A server's first account seen here dates the server (a shields signal).
                        kith_storage::shields::note_domain(c, &domain)?;
                        if let Some(old) =
                            accounts::remote_by_username(c, &row.username, &domain).optional()?
                        {
                            let mut renamed = old.clone();
                            renamed.username = format!("{}~{}", old.username, old.id);
                            accounts::update(c, &renamed)?;
                        }
                        accounts::insert(c, &row)?;
                    }
                }
                let domain = row.domain.clone().unwrap_or_default();
                let ids = kith_storage::remote_emojis::upsert(c, &domain, emojis)?;
                kith_storage::remote_emojis::set_for_account(c, row.id, &ids)?;
                Ok(row)
            };
        let again = upsert.clone();
        let account = match data.db.write(upsert).await {
            Err(kith_storage::StorageError::Conflict(_)) => data.db.write(again).await?,
            other => other?,
        };
        ApAccount::new(account)
    }
}

impl ApActor for ApAccount {
    fn public_key_pem(&self) -> &str {
        &self.account.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        self.account.private_key_pem.clone()
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        parse_opt_url(&self.account.shared_inbox_url)
    }
}

#[cfg(test)]
mod tests {
    use super::same_authority;
    use url::Url;

    #[test]
    fn servers_are_told_apart_by_host_and_port_ip_hosts_too() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert!(same_authority(
            &u("http://127.0.0.1:8081/users/a"),
            &u("http://127.0.0.1:8081/x")
        )
        .is_ok());
        assert!(same_authority(
            &u("https://Social.example/a"),
            &u("https://social.example/b")
        )
        .is_ok());
        for (a, b) in [
            ("http://127.0.0.1:8081/a", "http://10.0.0.1:8081/a"),
            ("http://127.0.0.1:8081/a", "http://127.0.0.1:8082/a"),
            ("http://[::1]:1/a", "http://127.0.0.1:1/a"),
            ("http://localhost:1/a", "http://localhost:2/a"),
        ] {
            assert!(same_authority(&u(a), &u(b)).is_err(), "{a} {b}");
        }
    }
}
