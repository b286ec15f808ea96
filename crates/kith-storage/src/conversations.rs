//! Direct-message conversations as each local participant sees them
//! (`account_conversations`), and muted conversations (`conversation_mutes`). A conversation
//! is named by its statuses' `conversation` (the thread's context), or, for a post without
//! one, by the post's own ActivityPub id ([`key_of`]).

use crate::pool::DbConn;
use crate::schema::{account_conversations, conversation_mutes};
use crate::statuses::{Page, Status};
use crate::StorageError;
use diesel::prelude::*;

/// The conversation a status belongs to.
pub fn key_of(status: &Status) -> String {
    status
        .conversation
        .clone()
        .unwrap_or_else(|| status.ap_id.clone())
}

/// One participant's view of a conversation.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_conversations)]
pub struct AccountConversation {
    pub id: i64,
    pub account_id: i64,
    pub conversation: String,
    /// The newest message (paging goes by it, newest first).
    pub last_status_id: i64,
    pub unread: bool,
}

/// Records a new message `status_id` in `conversation` for `account_id` (bringing back a
/// conversation it had removed): unread unless `account_id` wrote it; the conversation's last
/// message is the one with the highest id. Returns the row's id.
pub fn add_message(
    conn: &mut DbConn,
    account_id: i64,
    conversation: &str,
    status_id: i64,
    unread: bool,
) -> Result<i64, StorageError> {
    let insert = diesel::insert_into(account_conversations::table)
        .values((
            account_conversations::id.eq(crate::id::new_id()),
            account_conversations::account_id.eq(account_id),
            account_conversations::conversation.eq(conversation),
            account_conversations::last_status_id.eq(status_id),
            account_conversations::unread.eq(unread),
        ))
        .on_conflict((
            account_conversations::account_id,
            account_conversations::conversation,
        ))
        .do_nothing();
    let inserted = match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    let mine = account_conversations::table
        .filter(account_conversations::account_id.eq(account_id))
        .filter(account_conversations::conversation.eq(conversation));
    if inserted == 0 {
        // A new message sets `unread` whatever its id: a remote post's id comes from its
        // `published` time, often to the second only, so a reply can sort before its parent
        // (as in Mastodon, whose `AccountConversation` keeps the highest id as the last).
        diesel::update(mine)
            .set(account_conversations::unread.eq(unread))
            .execute(conn)?;
        diesel::update(mine.filter(account_conversations::last_status_id.lt(status_id)))
            .set(account_conversations::last_status_id.eq(status_id))
            .execute(conn)?;
    }
    Ok(mine.select(account_conversations::id).first(conn)?)
}

/// `account_id`'s conversations, newest message first, paged by that message's id (as
/// Mastodon pages them).
pub fn list(
    conn: &mut DbConn,
    account_id: i64,
    page: Page,
) -> Result<Vec<AccountConversation>, StorageError> {
    let mut q = account_conversations::table
        .filter(account_conversations::account_id.eq(account_id))
        .select(AccountConversation::as_select())
        .into_boxed();
    if let Some(max) = page.max_id {
        q = q.filter(account_conversations::last_status_id.lt(max));
    }
    if let Some(since) = page.since_id {
        q = q.filter(account_conversations::last_status_id.gt(since));
    }
    let limit = page.limit.clamp(1, 40);
    let mut rows: Vec<AccountConversation> = match page.min_id {
        Some(min) => q
            .filter(account_conversations::last_status_id.gt(min))
            .order(account_conversations::last_status_id.asc())
            .limit(limit)
            .load(conn)?,
        None => q
            .order(account_conversations::last_status_id.desc())
            .limit(limit)
            .load(conn)?,
    };
    if page.min_id.is_some() {
        rows.reverse();
    }
    Ok(rows)
}

/// One of `account_id`'s conversations.
pub fn by_id(
    conn: &mut DbConn,
    account_id: i64,
    id: i64,
) -> Result<AccountConversation, StorageError> {
    Ok(account_conversations::table
        .filter(account_conversations::account_id.eq(account_id))
        .filter(account_conversations::id.eq(id))
        .select(AccountConversation::as_select())
        .first(conn)?)
}

/// Marks one of `account_id`'s conversations read; false if it has none with this id.
pub fn mark_read(conn: &mut DbConn, account_id: i64, id: i64) -> Result<bool, StorageError> {
    let n = diesel::update(
        account_conversations::table
            .filter(account_conversations::account_id.eq(account_id))
            .filter(account_conversations::id.eq(id)),
    )
    .set(account_conversations::unread.eq(false))
    .execute(conn)?;
    Ok(n > 0)
}

/// Removes one of `account_id`'s conversations from its list (a new message brings it back);
/// false if it has none with this id.
pub fn remove(conn: &mut DbConn, account_id: i64, id: i64) -> Result<bool, StorageError> {
    let n = diesel::delete(
        account_conversations::table
            .filter(account_conversations::account_id.eq(account_id))
            .filter(account_conversations::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// Mutes a conversation for `account_id` (nothing if it is muted already).
pub fn mute(conn: &mut DbConn, account_id: i64, conversation: &str) -> Result<(), StorageError> {
    let insert = diesel::insert_into(conversation_mutes::table)
        .values((
            conversation_mutes::account_id.eq(account_id),
            conversation_mutes::conversation.eq(conversation),
        ))
        .on_conflict_do_nothing();
    match conn {
        DbConn::Postgresql(pg) => insert.execute(pg)?,
        DbConn::Sqlite(lite) => insert.execute(lite)?,
    };
    Ok(())
}

/// Unmutes a conversation for `account_id`.
pub fn unmute(conn: &mut DbConn, account_id: i64, conversation: &str) -> Result<(), StorageError> {
    diesel::delete(
        conversation_mutes::table
            .filter(conversation_mutes::account_id.eq(account_id))
            .filter(conversation_mutes::conversation.eq(conversation)),
    )
    .execute(conn)?;
    Ok(())
}

/// Which of `conversations` `account_id` muted.
pub fn muted_among(
    conn: &mut DbConn,
    account_id: i64,
    conversations: &[String],
) -> Result<Vec<String>, StorageError> {
    Ok(conversation_mutes::table
        .filter(conversation_mutes::account_id.eq(account_id))
        .filter(conversation_mutes::conversation.eq_any(conversations))
        .select(conversation_mutes::conversation)
        .load(conn)?)
}
