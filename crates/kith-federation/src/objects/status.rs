//! Statuses as ActivityPub `Note`s: local rows become Notes; remote Notes are checked,
//! converted (`convert`: sanitized and capped, no database) and stored with their fan-in
//! (feeds, mention notifications) in one transaction.

use crate::convert::{self, NewRemoteStatus};
use crate::objects::account::{authority, ApAccount};
use crate::protocol::note::{addressing, parse_note, NoteIn, NoteOut, Visibility};
use crate::protocol::question::QuestionOut;
use crate::{Data, FederationError, KithContext};
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Object;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kith_storage::accounts::{self, Account};
use kith_storage::polls::{self, Poll};
use kith_storage::remote_emojis::{self, RemoteEmoji};
use kith_storage::statuses::{self, Status};
use kith_storage::{DbConn, OptionalExt, StorageError};
use serde_json::Value;
use url::Url;

/// A status row seen as an ActivityPub object.
#[derive(Debug, Clone)]
pub struct ApStatus {
    status: Status,
    id: Url,
}

impl ApStatus {
    /// Wraps a row.
    pub fn new(status: Status) -> Result<ApStatus, FederationError> {
        Ok(ApStatus {
            id: Url::parse(&status.ap_id)?,
            status,
        })
    }

    /// The row.
    pub fn into_status(self) -> Status {
        self.status
    }
}

/// The Note Kith serves and sends for one of its statuses.
pub fn note_out(
    conn: &mut DbConn,
    status: &Status,
    author: &Account,
) -> Result<NoteOut, StorageError> {
    let mentioned = statuses::mentions(conn, status.id)?;
    let mut tags = Vec::new();
    let mut mentioned_ids = Vec::new();
    for id in mentioned {
        let a = accounts::by_id(conn, id)?;
        tags.push((
            "Mention".to_owned(),
            a.ap_id.clone(),
            format!("@{}", a.acct()),
        ));
        mentioned_ids.push(a.ap_id);
    }
    for name in statuses::tags(conn, status.id)? {
        tags.push((
            "Hashtag".to_owned(),
            format!("{}tags/{name}", author_base(author)),
            format!("#{name}"),
        ));
    }
    let poll = polls::of_status(conn, status.id)?;
    let titles = poll.as_ref().map(Poll::titles).unwrap_or_default();
    let visibility = Visibility::of(status);
    let followers = author.followers_url.clone().unwrap_or_default();
    let (to, cc) = addressing(visibility, &followers, &mentioned_ids);
    Ok(NoteOut {
        id: status.ap_id.clone(),
        url: status.url.clone().unwrap_or_else(|| status.ap_id.clone()),
        attributed_to: author.ap_id.clone(),
        content: status.content.clone(),
        summary: Some(status.spoiler_text.clone()).filter(|s| !s.is_empty()),
        sensitive: status.sensitive,
        in_reply_to: status.in_reply_to_ap_id.clone(),
        published: DateTime::from_naive_utc_and_offset(status.created_at, Utc),
        updated: status
            .edited_at
            .map(|e| DateTime::from_naive_utc_and_offset(e, Utc)),
        to,
        cc,
        tags,
        emojis: if status.local {
            let mut texts = vec![status.content.as_str(), status.spoiler_text.as_str()];
            texts.extend(titles.iter().map(String::as_str));
            crate::objects::emoji::local_emoji_tags(conn, &texts, &author_base(author))?
        } else {
            Vec::new()
        },
        conversation: status.conversation.clone(),
        attachments: kith_storage::media::of_statuses(conn, &[status.id])?
            .iter()
            .map(|(_, m)| document(m, &author_base(author)))
            .collect(),
        question: poll.as_ref().map(question_out),
    })
}

/// The `attachment` Document a Note carries for a local upload (`base`: this instance's base
/// URL, where `/media/…` is served).
pub fn document(m: &kith_storage::media::Media, base: &str) -> Value {
    let mut d = serde_json::json!({
        "type": "Document",
        "mediaType": m.content_type,
        "url": format!("{base}{}", m.file_key),
        "name": m.description,
    });
    if let Some(b) = &m.blurhash {
        d["blurhash"] = serde_json::json!(b);
    }
    if let (Some(w), Some(h)) = (m.width, m.height) {
        d["width"] = serde_json::json!(w);
        d["height"] = serde_json::json!(h);
    }
    if let (Some(x), Some(y)) = (m.focus_x, m.focus_y) {
        d["focalPoint"] = serde_json::json!([x, y]);
    }
    d
}

fn author_base(author: &Account) -> String {
    Url::parse(&author.ap_id)
        .map(|u| format!("{}://{}/", u.scheme(), u.authority()))
        .unwrap_or_default()
}

/// Checks a remote Note against the actor that sent it.
pub fn check_authorship(note: &NoteIn, author: &Account) -> Result<(), FederationError> {
    if note.attributed_to.as_str() != author.ap_id {
        return Err(FederationError::Invalid(
            "attributedTo is not the sending actor".into(),
        ));
    }
    let author_url = Url::parse(&author.ap_id)?;
    if authority(&note.id) != authority(&author_url) {
        return Err(FederationError::Invalid(
            "note id is on another host than its author".into(),
        ));
    }
    Ok(())
}

/// What [`store_remote_note`] did.
#[derive(Debug)]
pub struct StoredNote {
    /// The row (the one stored before, if the Note was known).
    pub status: Status,
    /// Whether it replies to a post not stored here.
    pub parent_missing: bool,
    /// Whether the receipt asked for was recorded in the same transaction.
    pub receipt_recorded: bool,
}

/// Stores a remote Note by `author` (checked here), with mentions, tags, feeds and
/// notifications, unless it is stored already; records `receipt` (the id of the activity that
/// carried it) in the same transaction. The Note is converted first, without the database
/// (`convert::note_to_status`); then the row is stored and fanned in.
pub async fn store_remote_note(
    note: NoteIn,
    author: Account,
    data: &KithContext,
    receipt: Option<String>,
) -> Result<StoredNote, FederationError> {
    check_authorship(&note, &author)?;
    let allow_http = data.instance.dev_mode;
    let (new, emojis) = {
        let author = author.clone();
        convert::off_thread(move || {
            let now = Utc::now();
            let new = convert::note_to_status(&note, &author, now)?;
            // A poll's options may name emoji too.
            let mut texts = vec![
                new.status.content.as_str(),
                new.status.spoiler_text.as_str(),
            ];
            texts.extend(
                new.poll
                    .iter()
                    .flat_map(|p| p.titles.iter().map(String::as_str)),
            );
            let emojis = convert::emojis(&note.emojis, &texts, allow_http, now);
            Ok((new, emojis))
        })
        .await?
    };
    let ap_id = new.status.ap_id.clone();
    let stored = data
        .db
        .write(move |c| store(c, new, &emojis, &author, receipt.as_deref()))
        .await;
    match stored {
        // The same post arrived twice at once (a delivery and a fetch): the other copy won.
        Err(StorageError::Conflict(_)) => Ok(StoredNote {
            status: data.db.read(move |c| statuses::by_ap_id(c, &ap_id)).await?,
            parent_missing: false,
            receipt_recorded: false,
        }),
        other => Ok(other?),
    }
}

/// Stores a converted remote post and fans it in, inside the caller's transaction.
fn store(
    c: &mut DbConn,
    new: NewRemoteStatus,
    emojis: &[RemoteEmoji],
    author: &Account,
    receipt: Option<&str>,
) -> Result<StoredNote, StorageError> {
    if let Some(receipt) = receipt {
        kith_storage::activity::first_receipt(c, receipt)?;
    }
    let receipt_recorded = receipt.is_some();
    let NewRemoteStatus {
        mut status,
        mentions,
        hashtags,
        poll,
    } = new;
    // A server whose media is rejected: its posts keep their text, not their attachments nor
    // custom emoji.
    let mut emojis = emojis;
    if let Some(domain) = &author.domain {
        if kith_core::domain_policy::rejects_media(c, domain)? {
            status.attachments = "[]".into();
            emojis = &[];
        }
    }
    let mut parent_missing = false;
    if let Some(parent_ap) = &status.in_reply_to_ap_id {
        match statuses::by_ap_id(c, parent_ap).optional()? {
            Some(p) => {
                status.in_reply_to_id = Some(p.id);
                status.in_reply_to_account_id = Some(p.account_id);
                // A reply naming no conversation (GoToSocial sends none) joins its parent's,
                // so a direct-message thread stays one conversation.
                if status.conversation.is_none() {
                    status.conversation = Some(kith_storage::conversations::key_of(&p))
                        .filter(|k| k.len() <= kith_core::limits::MAX_URL_BYTES);
                }
            }
            None => parent_missing = true,
        }
    }
    // One query for every addressee that may be an account, in the order named.
    let found = accounts::by_ap_ids(c, &mentions)?;
    let mut mentioned: Vec<Account> = Vec::new();
    for ap in &mentions {
        if let Some(a) = found.iter().find(|a| &a.ap_id == ap) {
            if !mentioned.iter().any(|m| m.id == a.id) {
                mentioned.push(a.clone());
            }
        }
    }
    let ids: Vec<i64> = mentioned.iter().map(|a| a.id).collect();
    if !statuses::insert_if_new(c, &status, &ids, &hashtags)? {
        // Stored before (a redelivery under another activity id, or a fetch).
        return Ok(StoredNote {
            status: statuses::by_ap_id(c, &status.ap_id)?,
            parent_missing: false,
            receipt_recorded,
        });
    }
    if let Some(poll) = poll {
        store_remote_poll(c, status.id, &poll)?;
    }
    link_emojis(c, status.id, author, emojis)?;
    statuses::adopt_orphans(c, &status)?;
    kith_core::statuses::distribute(c, &status, author, &mentioned)?;
    Ok(StoredNote {
        status,
        parent_missing,
        receipt_recorded,
    })
}

/// Stores the remote custom emoji a remote status uses, under its author's domain, and makes
/// them the status's (replacing those it had: an edit may drop some).
pub(crate) fn link_emojis(
    c: &mut DbConn,
    status_id: i64,
    author: &Account,
    emojis: &[RemoteEmoji],
) -> Result<(), StorageError> {
    let Some(domain) = &author.domain else {
        return Ok(());
    };
    let ids = remote_emojis::upsert(c, domain, emojis)?;
    remote_emojis::set_for_status(c, status_id, &ids)
}

/// Stores the poll of a remote status.
pub(crate) fn store_remote_poll(
    c: &mut DbConn,
    status_id: i64,
    poll: &convert::RemotePoll,
) -> Result<(), StorageError> {
    polls::insert(
        c,
        &Poll {
            id: kith_storage::id::new_id(),
            status_id,
            options: Poll::encode_titles(&poll.titles),
            counts: Poll::encode_counts(&poll.state.counts),
            voters_count: poll.state.voters_count,
            multiple: poll.multiple,
            hide_totals: false,
            expires_at: poll.state.expires_at,
            closed: false,
            federate_at: None,
            updated_at: kith_storage::now(),
        },
    )
}

/// The `Question` fields of a poll (Kith's own: every poll it sends is its author's).
pub fn question_out(poll: &Poll) -> QuestionOut {
    let at = |t: chrono::NaiveDateTime| DateTime::from_naive_utc_and_offset(t, Utc);
    QuestionOut {
        multiple: poll.multiple,
        options: poll.titles().into_iter().zip(poll.counts()).collect(),
        end_time: poll.expires_at.map(at),
        closed: if poll.closed {
            poll.expires_at.map(at)
        } else {
            None
        },
        voters_count: poll.voters_count,
    }
}

/// Fetches the parents of a reply that arrived without them, up to `depth` levels.
pub async fn fetch_parents(mut parent: Option<String>, data: &Data, depth: usize) {
    for _ in 0..depth {
        let Some(ap) = parent.take() else { return };
        let Ok(url) = Url::parse(&ap) else { return };
        match crate::fetch::dereference(&ObjectId::<ApStatus>::from(url), data).await {
            Ok(s) => {
                parent = s
                    .status
                    .in_reply_to_ap_id
                    .clone()
                    .filter(|_| s.status.in_reply_to_id.is_none())
            }
            Err(e) => {
                tracing::debug!(error = %e, parent = %ap, "could not fetch a reply's parent");
                return;
            }
        }
    }
}

#[async_trait]
impl Object for ApStatus {
    type DataType = KithContext;
    type Kind = Value;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        // Statuses change through Update activities, not refetches.
        Some(Utc::now())
    }

    async fn read_from_id(id: Url, data: &Data) -> Result<Option<Self>, Self::Error> {
        let id = id.to_string();
        data.db
            .read(move |c| statuses::by_ap_id(c, &id).optional())
            .await?
            .map(ApStatus::new)
            .transpose()
    }

    async fn into_json(self, data: &Data) -> Result<Value, Self::Error> {
        let status = self.status;
        let note = data
            .db
            .read(move |c| {
                let author = accounts::by_id(c, status.account_id)?;
                note_out(c, &status, &author)
            })
            .await?;
        Ok(note.to_json())
    }

    async fn verify(json: &Value, expected_domain: &Url, _data: &Data) -> Result<(), Self::Error> {
        let note = parse_note(json).map_err(FederationError::Invalid)?;
        if authority(&note.id) != authority(expected_domain) {
            return Err(FederationError::Invalid(
                "fetched note is on another host".into(),
            ));
        }
        Ok(())
    }

    async fn from_json(mut json: Value, data: &Data) -> Result<Self, Self::Error> {
        crate::protocol::values::strip_nul(&mut json);
        let note = parse_note(&json).map_err(FederationError::Invalid)?;
        let author = crate::fetch::dereference(
            &ObjectId::<ApAccount>::from(note.attributed_to.clone()),
            data,
        )
        .await?
        .into_account();
        let stored = store_remote_note(note, author, data, None).await?;
        ApStatus::new(stored.status)
    }
}
