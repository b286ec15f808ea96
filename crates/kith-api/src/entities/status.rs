//! `Status`, `Relationship`, `Notification`, `Context` and `Tag`, and the view functions that
//! assemble them for a viewer in one blocking database task. A status shows at most the caps
//! of `kith_core::limits` of mentions, tags and attachments, however many rows it has.

use super::account::{account_to_api, Account, Counts};
use super::filter::result_to_api;
use super::timestamp;
use kith_core::filters::{searchable_text, FilterAction, FilterContext, Filters};
use kith_core::limits::{MAX_ATTACHMENTS, MAX_HASHTAGS, MAX_MENTIONS};
use kith_core::InstanceUrls;
use kith_storage::accounts::{self, Account as AccountRow, Stats as AccountStats};
use kith_storage::activity::{self as acts, Notification as NotificationRow};
use kith_storage::statuses::{self, Status as StatusRow};
use kith_storage::{conversations, follows, marks, DbConn, StorageError};
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Mastodon's `Status`.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub id: String,
    pub uri: String,
    pub url: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub account: Account,
    pub content: String,
    pub visibility: String,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub media_attachments: Vec<serde_json::Value>,
    pub application: Option<serde_json::Value>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<Tag>,
    pub emojis: Vec<serde_json::Value>,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub replies_count: i64,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub reblog: Option<Box<Status>>,
    pub poll: Option<serde_json::Value>,
    pub card: Option<serde_json::Value>,
    pub language: Option<String>,
    pub text: Option<String>,
    pub favourited: Option<bool>,
    pub reblogged: Option<bool>,
    pub muted: Option<bool>,
    pub bookmarked: Option<bool>,
    pub pinned: Option<bool>,
    pub filtered: Vec<serde_json::Value>,
}

/// A mention inside a `Status`.
#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

/// A hashtag inside a `Status`.
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub name: String,
    pub url: String,
}

/// Mastodon's `Relationship`.
#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub muting_expires_at: Option<String>,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

/// Mastodon's `Notification`.
#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: String,
    pub group_key: String,
    pub account: Account,
    pub status: Option<Status>,
    /// The report, on an `admin.report`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<super::admin::Report>,
    /// The warning, on a `moderation_warning`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moderation_warning: Option<super::admin::AccountWarningEntity>,
}

/// An account with its counts and custom emoji.
pub fn account_view(
    c: &mut DbConn,
    row: &AccountRow,
    urls: &InstanceUrls,
) -> Result<Account, StorageError> {
    let stats = accounts::stats(c, row.id)?;
    let emojis = account_emojis(c, &[row], urls)?;
    Ok(with_stats(row, &stats, &emojis, urls))
}

/// The custom emoji of these accounts' names and bios, by account, in at most three queries:
/// a local account's are this instance's emoji its text names, a remote account's those its
/// actor's `Emoji` tags gave (`kith_storage::remote_emojis`).
pub fn account_emojis(
    c: &mut DbConn,
    rows: &[&AccountRow],
    urls: &InstanceUrls,
) -> Result<HashMap<i64, Vec<Value>>, StorageError> {
    let mut out: HashMap<i64, Vec<Value>> = HashMap::new();
    let remote: Vec<i64> = rows
        .iter()
        .filter(|a| !a.is_local())
        .map(|a| a.id)
        .collect();
    for (id, list) in kith_storage::remote_emojis::of_accounts(c, &remote)? {
        out.insert(id, list.iter().map(remote_emoji).collect());
    }
    let local_codes: Vec<(i64, Vec<String>)> = rows
        .iter()
        .filter(|a| a.is_local())
        .map(|a| (a.id, texts_codes(&[&a.display_name, &a.note])))
        .filter(|(_, codes)| !codes.is_empty())
        .collect();
    let mut all: Vec<String> = local_codes.iter().flat_map(|(_, c)| c.clone()).collect();
    all.sort_unstable();
    all.dedup();
    let found: HashMap<String, kith_storage::custom_emojis::CustomEmoji> =
        kith_storage::custom_emojis::by_shortcodes(c, &all)?
            .into_iter()
            .map(|e| (e.shortcode.clone(), e))
            .collect();
    for (id, codes) in local_codes {
        let list: Vec<Value> = codes
            .iter()
            .filter_map(|code| found.get(code))
            .map(|e| custom_emoji(e, urls))
            .collect();
        if !list.is_empty() {
            out.insert(id, list);
        }
    }
    Ok(out)
}

/// The `:shortcode:`s of several texts, each once, in order.
fn texts_codes(texts: &[&str]) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for code in texts
        .iter()
        .flat_map(|t| kith_storage::custom_emojis::shortcodes_in(t))
    {
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

/// Several accounts with their counts, in the order given (one query for all the counts).
pub fn accounts_view(
    c: &mut DbConn,
    rows: &[AccountRow],
    urls: &InstanceUrls,
) -> Result<Vec<Account>, StorageError> {
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let stats = by_account(accounts::stats_of(c, &ids)?);
    let emojis = account_emojis(c, &rows.iter().collect::<Vec<_>>(), urls)?;
    Ok(rows
        .iter()
        .map(|row| {
            let counts = stats.get(&row.id).copied().unwrap_or_default();
            with_stats(row, &counts, &emojis, urls)
        })
        .collect())
}

/// The accounts with these ids (those that exist) with their counts, in the order given, in
/// one query.
pub fn accounts_by_ids_view(
    c: &mut DbConn,
    ids: &[i64],
    urls: &InstanceUrls,
) -> Result<Vec<Account>, StorageError> {
    let mut found: HashMap<i64, Account> = {
        let rows = accounts::with_stats_by_ids(c, ids)?;
        let emojis = account_emojis(c, &rows.iter().map(|(a, _)| a).collect::<Vec<_>>(), urls)?;
        rows.into_iter()
            .map(|(a, stats)| {
                let account = with_stats(&a, &stats.unwrap_or_default(), &emojis, urls);
                (a.id, account)
            })
            .collect()
    };
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

fn by_account(stats: Vec<AccountStats>) -> HashMap<i64, AccountStats> {
    stats.into_iter().map(|s| (s.account_id, s)).collect()
}

fn with_stats(
    row: &AccountRow,
    stats: &AccountStats,
    emojis: &HashMap<i64, Vec<Value>>,
    urls: &InstanceUrls,
) -> Account {
    let mut account = account_to_api(row, Counts::from(stats), urls);
    account.emojis = emojis.get(&row.id).cloned().unwrap_or_default();
    account.last_status_at = stats
        .last_status_at
        .map(|t| t.format("%Y-%m-%d").to_string());
    account
}

/// Mastodon's `CustomEmoji` for another server's emoji, shown by its image URL (Kith keeps
/// no copy), never in the picker.
pub fn remote_emoji(e: &kith_storage::remote_emojis::RemoteEmoji) -> Value {
    serde_json::json!({
        "shortcode": e.shortcode,
        "url": e.image_url,
        "static_url": e.image_url,
        "visible_in_picker": false,
    })
}

/// Mastodon's `CustomEmoji` for one of this instance's emoji (its image served at `/media/…`).
pub fn custom_emoji(e: &kith_storage::custom_emojis::CustomEmoji, urls: &InstanceUrls) -> Value {
    let url = super::media::file_url(urls, &e.storage_key);
    serde_json::json!({
        "shortcode": e.shortcode,
        "url": url,
        "static_url": url,
        "visible_in_picker": e.visible_in_picker,
        "category": e.category,
    })
}

/// A status's media: its local uploads if it has any, else the remote attachments kept by URL.
fn attachments(
    row: &StatusRow,
    local: Option<&Vec<kith_storage::media::Media>>,
    urls: &InstanceUrls,
) -> Vec<serde_json::Value> {
    if let Some(local) = local.filter(|l| !l.is_empty()) {
        return local
            .iter()
            .map(|m| super::media::media_attachment(m, urls))
            .collect();
    }
    attachments_of(row.id, &row.attachments)
}

/// Attachments kept by URL (a remote status's, or a version of an edited one), as
/// MediaAttachments, within the cap.
fn attachments_of(status_id: i64, stored: &str) -> Vec<serde_json::Value> {
    let list: Vec<kith_federation::protocol::note::Attachment> =
        serde_json::from_str(stored).unwrap_or_default();
    list.iter()
        .take(MAX_ATTACHMENTS)
        .enumerate()
        .map(|(n, a)| super::media::remote_attachment(status_id, n, a))
        .collect()
}

/// Mastodon's `StatusEdit`: one version of a status.
#[derive(Debug, Clone, Serialize)]
pub struct StatusEdit {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: Account,
    pub media_attachments: Vec<serde_json::Value>,
    pub emojis: Vec<serde_json::Value>,
    /// The poll's options in this version (`{"options": [{"title": …}]}`), absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub poll: Option<serde_json::Value>,
}

/// A version's poll as Mastodon's `StatusEdit` shows it, from encoded titles.
fn edit_poll(titles: Option<&str>) -> Option<serde_json::Value> {
    let titles: Vec<String> = serde_json::from_str(titles?).unwrap_or_default();
    let options: Vec<_> = titles
        .into_iter()
        .map(|t| serde_json::json!({ "title": t }))
        .collect();
    Some(serde_json::json!({ "options": options }))
}

/// Mastodon's `StatusSource`: what the author wrote, for editing.
#[derive(Debug, Clone, Serialize)]
pub struct StatusSource {
    pub id: String,
    pub text: String,
    pub spoiler_text: String,
}

/// Every version of a status, oldest first, the current one last (a status never edited has
/// one).
pub fn history_view(
    c: &mut DbConn,
    row: &StatusRow,
    urls: &InstanceUrls,
) -> Result<Vec<StatusEdit>, StorageError> {
    let author_row = accounts::by_id(c, row.account_id)?;
    let author = account_view(c, &author_row, urls)?;
    let version =
        |content: &str, spoiler: &str, sensitive, at, stored: &str, poll: Option<&str>| {
            StatusEdit {
                content: content.to_owned(),
                spoiler_text: spoiler.to_owned(),
                sensitive,
                created_at: timestamp(at),
                account: author.clone(),
                media_attachments: attachments_of(row.id, stored),
                emojis: Vec::new(),
                poll: edit_poll(poll),
            }
        };
    let mut out: Vec<StatusEdit> = statuses::past_versions(c, row.id)?
        .iter()
        .map(|v| {
            version(
                &v.content,
                &v.spoiler_text,
                v.sensitive,
                v.created_at,
                &v.attachments,
                v.poll_options.as_deref(),
            )
        })
        .collect();
    let current = kith_storage::polls::of_status(c, row.id)?;
    out.push(version(
        &row.content,
        &row.spoiler_text,
        row.sensitive,
        row.edited_at.unwrap_or(row.created_at),
        &row.attachments,
        current.as_ref().map(|p| p.options.as_str()),
    ));
    // Each version's emoji: those its own text and poll options name, of this instance's
    // (a local post) or of the post's `Emoji` tags (a remote one), looked up once for all.
    let codes: Vec<Vec<String>> = out
        .iter()
        .map(|v| {
            let titles: Vec<String> = v
                .poll
                .as_ref()
                .and_then(|p| p["options"].as_array())
                .into_iter()
                .flatten()
                .filter_map(|o| o["title"].as_str().map(str::to_owned))
                .collect();
            let mut texts: Vec<&str> = vec![&v.spoiler_text, &v.content];
            texts.extend(titles.iter().map(String::as_str));
            texts_codes(&texts)
        })
        .collect();
    let known: Vec<Value> = if row.local {
        let mut all: Vec<String> = codes.iter().flatten().cloned().collect();
        all.sort_unstable();
        all.dedup();
        kith_storage::custom_emojis::by_shortcodes(c, &all)?
            .iter()
            .map(|e| custom_emoji(e, urls))
            .collect()
    } else {
        kith_storage::remote_emojis::of_statuses(c, &[row.id])?
            .remove(&row.id)
            .unwrap_or_default()
            .iter()
            .map(remote_emoji)
            .collect()
    };
    for (v, codes) in out.iter_mut().zip(codes) {
        v.emojis = named_emojis(&known, &codes);
    }
    Ok(out)
}

/// Of `emojis`, those whose shortcode is among `codes`, in the order of `codes`.
fn named_emojis(emojis: &[Value], codes: &[String]) -> Vec<Value> {
    codes
        .iter()
        .filter_map(|code| {
            emojis
                .iter()
                .find(|e| e["shortcode"].as_str() == Some(code.as_str()))
        })
        .cloned()
        .collect()
}

/// The custom emoji a poll's options name, as its `Poll.emojis` (as in a `Status`): of this
/// instance's for a local post, of the post's `Emoji` tags for a remote one.
pub fn poll_emojis_of(
    c: &mut DbConn,
    status: &StatusRow,
    poll: &kith_storage::polls::Poll,
    urls: &InstanceUrls,
) -> Result<Vec<Value>, StorageError> {
    let titles = poll.titles();
    let codes = texts_codes(&titles.iter().map(String::as_str).collect::<Vec<_>>());
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let known: Vec<Value> = if status.local {
        kith_storage::custom_emojis::by_shortcodes(c, &codes)?
            .iter()
            .map(|e| custom_emoji(e, urls))
            .collect()
    } else {
        kith_storage::remote_emojis::of_statuses(c, &[status.id])?
            .remove(&status.id)
            .unwrap_or_default()
            .iter()
            .map(remote_emoji)
            .collect()
    };
    Ok(named_emojis(&known, &codes))
}

/// One status as `viewer` sees it (the caller has checked that it may).
pub fn status_view(
    c: &mut DbConn,
    row: &StatusRow,
    viewer: Option<i64>,
    urls: &InstanceUrls,
) -> Result<Status, StorageError> {
    render(c, std::slice::from_ref(row), viewer, urls, false)?
        .pop()
        .ok_or(StorageError::NotFound)
}

/// Several statuses as `viewer` sees them, dropping any it may not see (belt and braces: the
/// list queries filter already) and boosts of posts it may not see.
pub fn statuses_view(
    c: &mut DbConn,
    rows: &[StatusRow],
    viewer: Option<i64>,
    urls: &InstanceUrls,
) -> Result<Vec<Status>, StorageError> {
    render(c, rows, viewer, urls, true)
}

/// Several statuses as `viewer` sees them in a filter `context` (Mastodon's home, public,
/// thread, account, notifications): like [`statuses_view`], then the viewer's filters for
/// that context applied ([`apply_filters`]).
pub fn statuses_view_in(
    c: &mut DbConn,
    rows: &[StatusRow],
    viewer: Option<i64>,
    urls: &InstanceUrls,
    context: FilterContext,
) -> Result<Vec<Status>, StorageError> {
    let mut out = render(c, rows, viewer, urls, true)?;
    if let Some(v) = viewer {
        apply_filters(c, v, context, &mut out, true)?;
    }
    Ok(out)
}

/// Applies `viewer`'s unexpired filters for `context` to rendered statuses: with
/// `drop_hidden`, one matching a `hide` filter is left out; those kept that match carry a
/// `FilterResult` per filter in `filtered` (a boost's results are also on the boosted post).
/// The matching itself is `kith_core::filters`'.
pub fn apply_filters(
    c: &mut DbConn,
    viewer: i64,
    context: FilterContext,
    statuses: &mut Vec<Status>,
    drop_hidden: bool,
) -> Result<(), StorageError> {
    if statuses.is_empty() {
        return Ok(());
    }
    let filters = Filters::load(c, viewer, kith_storage::now())?;
    if !filters.applies_in(context) {
        return Ok(());
    }
    let needs_text = filters.needs_text(context);
    statuses.retain_mut(|s| {
        let subject = s.reblog.as_deref().unwrap_or(s);
        let mut ids: Vec<i64> = [&s.id, &subject.id]
            .into_iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        ids.dedup();
        let text = if needs_text {
            filterable_text(subject)
        } else {
            String::new()
        };
        let matches = filters.matches(context, &ids, &text);
        if drop_hidden
            && matches
                .iter()
                .any(|m| m.filter.action() == FilterAction::Hide)
        {
            return false;
        }
        let results: Vec<serde_json::Value> = matches
            .iter()
            .filter_map(|m| serde_json::to_value(result_to_api(m)).ok())
            .collect();
        if let Some(reblog) = s.reblog.as_mut() {
            reblog.filtered = results.clone();
        }
        s.filtered = results;
        true
    });
    Ok(())
}

/// What keywords are matched against: content, content warning, media descriptions and poll
/// options, as rendered (so within the caps).
fn filterable_text(s: &Status) -> String {
    let descriptions = s
        .media_attachments
        .iter()
        .filter_map(|m| m.get("description").and_then(|d| d.as_str()));
    let options = s
        .poll
        .as_ref()
        .and_then(|p| p.get("options"))
        .and_then(|o| o.as_array())
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("title").and_then(|t| t.as_str()));
    searchable_text(&s.content, &s.spoiler_text, descriptions.chain(options))
}

/// Everything a set of statuses needs from the database besides their rows, loaded with one
/// query per kind for the whole set: a page costs about ten queries, whatever its length.
struct Related {
    originals: HashMap<i64, StatusRow>,
    accounts: HashMap<i64, AccountRow>,
    stats: HashMap<i64, AccountStats>,
    mentions: HashMap<i64, Vec<i64>>,
    tags: HashMap<i64, Vec<String>>,
    reblogs: HashMap<i64, i64>,
    favourites: HashMap<i64, i64>,
    replies: HashMap<i64, i64>,
    /// Local uploads, in each post's order.
    media: HashMap<i64, Vec<kith_storage::media::Media>>,
    /// This instance's custom emoji named in the local statuses, by shortcode.
    emojis: HashMap<String, kith_storage::custom_emojis::CustomEmoji>,
    /// The remote statuses' custom emoji (their `Emoji` tags), by status.
    remote_emojis: HashMap<i64, Vec<kith_storage::remote_emojis::RemoteEmoji>>,
    /// The authors' and mentioned accounts' custom emoji, by account.
    account_emojis: HashMap<i64, Vec<Value>>,
    /// The viewer's favourites and boosts among these statuses.
    favourited: HashSet<i64>,
    reblogged: HashSet<i64>,
    /// The viewer's bookmarks among these statuses, and which of them are pinned.
    bookmarked: HashSet<i64>,
    pinned: HashSet<i64>,
    /// Polls by status, and the viewer's choices by poll.
    polls: HashMap<i64, kith_storage::polls::Poll>,
    own_votes: HashMap<i64, Vec<i32>>,
    /// The conversations among these statuses' that the viewer muted.
    muted: HashSet<String>,
}

/// The `:shortcode:`s in a status's content warning, text and poll options.
fn emoji_codes(row: &StatusRow, poll: Option<&kith_storage::polls::Poll>) -> Vec<String> {
    let titles = poll
        .map(kith_storage::polls::Poll::titles)
        .unwrap_or_default();
    let mut texts: Vec<&str> = vec![&row.spoiler_text, &row.content];
    texts.extend(titles.iter().map(String::as_str));
    texts_codes(&texts)
}

/// Of a status's emoji, those its poll's options name (Mastodon's `Poll.emojis`).
fn poll_emojis(poll: &kith_storage::polls::Poll, emojis: &[Value]) -> Vec<Value> {
    let titles = poll.titles();
    let codes = texts_codes(&titles.iter().map(String::as_str).collect::<Vec<_>>());
    emojis
        .iter()
        .filter(|e| {
            e["shortcode"]
                .as_str()
                .is_some_and(|c| codes.iter().any(|k| k == c))
        })
        .cloned()
        .collect()
}

fn group<V>(pairs: impl IntoIterator<Item = (i64, V)>) -> HashMap<i64, Vec<V>> {
    let mut map: HashMap<i64, Vec<V>> = HashMap::new();
    for (k, v) in pairs {
        map.entry(k).or_default().push(v);
    }
    map
}

impl Related {
    fn load(
        c: &mut DbConn,
        rows: &[StatusRow],
        viewer: Option<i64>,
        urls: &InstanceUrls,
    ) -> Result<Self, StorageError> {
        let original_ids: Vec<i64> = rows.iter().filter_map(|r| r.reblog_of_id).collect();
        let originals: HashMap<i64, StatusRow> = if original_ids.is_empty() {
            HashMap::new()
        } else {
            statuses::by_ids(c, &original_ids)?
                .into_iter()
                .map(|s| (s.id, s))
                .collect()
        };
        let all: Vec<&StatusRow> = rows.iter().chain(originals.values()).collect();
        let ids: Vec<i64> = all.iter().map(|s| s.id).collect();
        // Each status's first mentions and tags only, even for rows stored before the caps.
        let mut mentions = group(statuses::mentions_of(c, &ids)?);
        let mut tags = group(statuses::tags_of(c, &ids)?);
        mentions.values_mut().for_each(|m| m.truncate(MAX_MENTIONS));
        tags.values_mut().for_each(|t| t.truncate(MAX_HASHTAGS));
        // Authors and mentioned accounts, with the counters (needed for authors only) joined.
        let mut account_ids: Vec<i64> = all.iter().map(|s| s.account_id).collect();
        account_ids.extend(mentions.values().flatten());
        account_ids.sort_unstable();
        account_ids.dedup();
        let (mut accounts, mut stats) = (HashMap::new(), HashMap::new());
        for (account, counters) in accounts::with_stats_by_ids(c, &account_ids)? {
            if let Some(counters) = counters {
                stats.insert(account.id, counters);
            }
            accounts.insert(account.id, account);
        }
        let (mut reblogs, mut reblogged) = (HashMap::new(), HashSet::new());
        for (id, n, mine) in statuses::count_reblogs_of(c, &ids, viewer)? {
            reblogs.insert(id, n);
            if mine {
                reblogged.insert(id);
            }
        }
        let (mut favourites, mut favourited) = (HashMap::new(), HashSet::new());
        for (id, n, mine) in acts::count_favourites_of(c, &ids, viewer)? {
            favourites.insert(id, n);
            if mine {
                favourited.insert(id);
            }
        }
        let (bookmarked, pinned) = match viewer {
            Some(v) => (
                marks::bookmarked_among(c, v, &ids)?.into_iter().collect(),
                marks::pinned_among(c, &ids)?.into_iter().collect(),
            ),
            None => (HashSet::new(), HashSet::new()),
        };
        let polls: HashMap<i64, kith_storage::polls::Poll> =
            kith_storage::polls::of_statuses(c, &ids)?
                .into_iter()
                .map(|p| (p.status_id, p))
                .collect();
        let own_votes = match viewer {
            Some(v) => {
                let poll_ids: Vec<i64> = polls.values().map(|p| p.id).collect();
                group(kith_storage::polls::choices_among(c, &poll_ids, v)?)
            }
            None => HashMap::new(),
        };
        // Local posts' `:shortcode:`s, all looked up at once.
        let mut codes: Vec<String> = Vec::new();
        for s in all.iter().filter(|s| s.local) {
            codes.extend(emoji_codes(s, polls.get(&s.id)));
        }
        codes.sort_unstable();
        codes.dedup();
        let emojis = kith_storage::custom_emojis::by_shortcodes(c, &codes)?
            .into_iter()
            .map(|e| (e.shortcode.clone(), e))
            .collect();
        let remote_ids: Vec<i64> = all.iter().filter(|s| !s.local).map(|s| s.id).collect();
        let remote_emojis = kith_storage::remote_emojis::of_statuses(c, &remote_ids)?;
        let authors: Vec<&AccountRow> = all
            .iter()
            .filter_map(|s| accounts.get(&s.account_id))
            .collect();
        let account_emojis = account_emojis(c, &authors, urls)?;
        let muted = match viewer {
            Some(v) => {
                let mut keys: Vec<String> = all.iter().map(|s| conversations::key_of(s)).collect();
                keys.sort_unstable();
                keys.dedup();
                conversations::muted_among(c, v, &keys)?
                    .into_iter()
                    .collect()
            }
            None => HashSet::new(),
        };
        Ok(Related {
            polls,
            own_votes,
            emojis,
            remote_emojis,
            account_emojis,
            muted,
            bookmarked,
            pinned,
            tags,
            reblogs,
            favourites,
            replies: statuses::count_replies_of(c, &ids)?.into_iter().collect(),
            media: group(kith_storage::media::of_statuses(c, &ids)?),
            originals,
            accounts,
            stats,
            mentions,
            favourited,
            reblogged,
        })
    }

    /// `row` as a `Status`; `None` if what it needs vanished meanwhile (a deleted author or
    /// boosted post).
    fn status(&self, row: &StatusRow, viewer: Option<i64>, urls: &InstanceUrls) -> Option<Status> {
        let author = self.accounts.get(&row.account_id)?;
        let stats = self.stats.get(&row.account_id).copied().unwrap_or_default();
        let reblog = match row.reblog_of_id {
            Some(id) => Some(Box::new(self.status(
                self.originals.get(&id)?,
                viewer,
                urls,
            )?)),
            None => None,
        };
        let mentions = self
            .mentions
            .get(&row.id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.accounts.get(id))
            .map(|a| Mention {
                id: a.id.to_string(),
                username: a.username.clone(),
                url: a.url.clone().unwrap_or_else(|| a.ap_id.clone()),
                acct: a.acct(),
            })
            .collect();
        let tags = self
            .tags
            .get(&row.id)
            .into_iter()
            .flatten()
            .map(|name| Tag {
                url: format!("{}tags/{name}", urls.base()),
                name: name.clone(),
            })
            .collect();
        let emojis: Vec<Value> = if row.local {
            emoji_codes(row, self.polls.get(&row.id))
                .iter()
                .filter_map(|code| self.emojis.get(code))
                .map(|e| custom_emoji(e, urls))
                .collect()
        } else {
            self.remote_emojis
                .get(&row.id)
                .into_iter()
                .flatten()
                .map(remote_emoji)
                .collect()
        };
        // A boost shows the viewer's relation to the boosted post, as Mastodon does.
        let subject = row.reblog_of_id.unwrap_or(row.id);
        let count = |map: &HashMap<i64, i64>| map.get(&row.id).copied().unwrap_or(0);
        Some(Status {
            id: row.id.to_string(),
            uri: row.ap_id.clone(),
            url: row.url.clone().or_else(|| Some(row.ap_id.clone())),
            created_at: timestamp(row.created_at),
            edited_at: row.edited_at.map(timestamp),
            account: with_stats(author, &stats, &self.account_emojis, urls),
            content: row.content.clone(),
            visibility: row.visibility.clone(),
            sensitive: row.sensitive,
            spoiler_text: row.spoiler_text.clone(),
            media_attachments: attachments(row, self.media.get(&row.id), urls),
            application: None,
            mentions,
            tags,
            poll: self.polls.get(&row.id).map(|p| {
                let own = viewer.map(|_| self.own_votes.get(&p.id).map_or(&[][..], Vec::as_slice));
                let mut poll = super::poll::poll_to_api(p, own, viewer == Some(row.account_id));
                poll.emojis = poll_emojis(p, &emojis);
                serde_json::to_value(poll).unwrap_or_default()
            }),
            emojis,
            reblogs_count: count(&self.reblogs),
            favourites_count: count(&self.favourites),
            replies_count: count(&self.replies),
            in_reply_to_id: row.in_reply_to_id.map(|i| i.to_string()),
            in_reply_to_account_id: row.in_reply_to_account_id.map(|i| i.to_string()),
            reblog,
            card: None,
            language: row.language.clone(),
            text: None,
            favourited: viewer.map(|_| self.favourited.contains(&subject)),
            reblogged: viewer.map(|_| self.reblogged.contains(&subject)),
            muted: viewer.map(|_| self.muted.contains(&conversations::key_of(row))),
            bookmarked: viewer.map(|_| self.bookmarked.contains(&subject)),
            // Only on the viewer's own pinnable posts, as Mastodon shows it.
            pinned: (viewer == Some(row.account_id)
                && row.reblog_of_id.is_none()
                && matches!(row.visibility.as_str(), "public" | "unlisted"))
            .then(|| self.pinned.contains(&row.id)),
            filtered: Vec::new(),
        })
    }
}

fn render(
    c: &mut DbConn,
    rows: &[StatusRow],
    viewer: Option<i64>,
    urls: &InstanceUrls,
    check_visibility: bool,
) -> Result<Vec<Status>, StorageError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let kept: Vec<StatusRow> = if check_visibility {
        let mut ids: Vec<i64> = rows
            .iter()
            .flat_map(|r| std::iter::once(r.id).chain(r.reblog_of_id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let visible: HashSet<i64> = statuses::visible_among(c, &ids, viewer)?
            .into_iter()
            .collect();
        rows.iter()
            .filter(|r| {
                visible.contains(&r.id) && r.reblog_of_id.is_none_or(|o| visible.contains(&o))
            })
            .cloned()
            .collect()
    } else {
        rows.to_vec()
    };
    let related = Related::load(c, &kept, viewer, urls)?;
    Ok(kept
        .iter()
        .filter_map(|row| related.status(row, viewer, urls))
        .collect())
}

/// How `me` and `other` relate.
pub fn relationship(c: &mut DbConn, me: i64, other: i64) -> Result<Relationship, StorageError> {
    let out = follows::between(c, me, other)?;
    let inc = follows::between(c, other, me)?;
    let mute = kith_storage::mutes::mute_of(c, me, other)?;
    let other_row = accounts::by_id(c, other)?;
    Ok(Relationship {
        id: other.to_string(),
        following: out.as_ref().is_some_and(|f| f.accepted),
        showing_reblogs: out.is_some(),
        notifying: false,
        languages: None,
        followed_by: inc.as_ref().is_some_and(|f| f.accepted),
        blocking: follows::blocks(c, me, other)?,
        blocked_by: follows::blocks(c, other, me)?,
        muting: mute.is_some(),
        muting_notifications: mute.as_ref().is_some_and(|m| m.hide_notifications),
        muting_expires_at: mute.and_then(|m| m.expires_at).map(timestamp),
        requested: out.as_ref().is_some_and(|f| !f.accepted),
        requested_by: inc.as_ref().is_some_and(|f| !f.accepted),
        domain_blocking: match other_row.domain.as_deref() {
            Some(d) => kith_storage::mutes::blocks_domain(c, me, d)?,
            None => false,
        },
        endorsed: kith_storage::profiles::endorses(c, me, other)?,
        note: kith_storage::profiles::note_of(c, me, other)?.unwrap_or_default(),
    })
}

/// The group a notification belongs to (Mastodon's `group_key`); `grouped` names the kinds
/// grouped (`None`: Mastodon's default, `GROUPED_KINDS`).
pub fn group_key(n: &NotificationRow, grouped: Option<&[String]>) -> String {
    kith_core::notification_groups::group_key(n.id, &n.kind, n.status_id, n.created_at, grouped)
}

/// Notifications as their owner sees them, dropping those whose status it may no longer see.
pub fn notifications_view(
    c: &mut DbConn,
    rows: &[NotificationRow],
    owner: i64,
    urls: &InstanceUrls,
) -> Result<Vec<Notification>, StorageError> {
    let status_ids: Vec<i64> = rows.iter().filter_map(|n| n.status_id).collect();
    let status_rows = statuses::by_ids(c, &status_ids)?;
    // A status a `hide` filter for notifications leaves out takes its notification with it.
    let statuses: HashMap<String, Status> = statuses_view_in(
        c,
        &status_rows,
        Some(owner),
        urls,
        FilterContext::Notifications,
    )?
    .into_iter()
    .map(|s| (s.id.clone(), s))
    .collect();
    let mut from_ids: Vec<i64> = rows.iter().map(|n| n.from_account_id).collect();
    from_ids.sort_unstable();
    from_ids.dedup();
    let from: HashMap<i64, Account> = {
        let rows = accounts::with_stats_by_ids(c, &from_ids)?;
        let emojis = account_emojis(c, &rows.iter().map(|(a, _)| a).collect::<Vec<_>>(), urls)?;
        rows.into_iter()
            .map(|(a, stats)| {
                let account = with_stats(&a, &stats.unwrap_or_default(), &emojis, urls);
                (a.id, account)
            })
            .collect()
    };
    // Reports and warnings: staff and warned accounts only, a few per page.
    let mut subjects = super::admin::Subjects::default();
    for n in rows {
        subjects.load(c, &n.kind, n.subject_id, urls)?;
    }
    Ok(rows
        .iter()
        .filter_map(|n| {
            let status = match n.status_id {
                Some(id) => Some(statuses.get(&id.to_string())?.clone()),
                None => None,
            };
            let (report, moderation_warning) = subjects.of(&n.kind, n.subject_id);
            Some(Notification {
                id: n.id.to_string(),
                kind: n.kind.clone(),
                created_at: timestamp(n.created_at),
                group_key: group_key(n, None),
                account: from.get(&n.from_account_id)?.clone(),
                status,
                report,
                moderation_warning,
            })
        })
        .collect())
}
