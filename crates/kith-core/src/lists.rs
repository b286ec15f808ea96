//! Lists: the rules for making and filling them. Only accounts the owner follows (or has asked
//! to follow) can be members, as on Mastodon; the caps are `limits::MAX_LISTS` and
//! `limits::MAX_LIST_MEMBERS`. Which posts a list shows is `statuses::list_timeline`'s query.

use crate::limits::{MAX_LISTS, MAX_LIST_MEMBERS, MAX_LIST_TITLE_CHARS};
use crate::CoreError;
use kith_storage::lists::{self, List};
use kith_storage::{accounts, follows, DbConn, OptionalExt};

/// Which replies a list shows, as Mastodon names the policies.
pub const REPLIES_POLICIES: [&str; 3] = ["followed", "list", "none"];

/// Checks a replies policy word.
pub fn validate_replies_policy(policy: &str) -> Result<String, CoreError> {
    REPLIES_POLICIES
        .iter()
        .find(|p| **p == policy)
        .map(|p| (*p).to_owned())
        .ok_or_else(|| {
            CoreError::Invalid(format!(
                "Replies policy {policy:?} is not one of followed, list, none"
            ))
        })
}

/// Checks a list title: not blank, within `MAX_LIST_TITLE_CHARS`.
pub fn validate_title(title: &str) -> Result<String, CoreError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(CoreError::Invalid("Title can't be blank".into()));
    }
    if title.chars().count() > MAX_LIST_TITLE_CHARS {
        return Err(CoreError::Invalid("Title is too long".into()));
    }
    Ok(title.to_owned())
}

/// Makes a list for `owner`, within the cap.
pub fn create(
    conn: &mut DbConn,
    owner: i64,
    title: &str,
    replies_policy: &str,
    exclusive: bool,
) -> Result<List, CoreError> {
    let list = List {
        id: kith_storage::id::new_id(),
        account_id: owner,
        title: validate_title(title)?,
        replies_policy: validate_replies_policy(replies_policy)?,
        exclusive,
        created_at: kith_storage::now(),
    };
    if lists::count_of(conn, owner)? >= MAX_LISTS {
        return Err(CoreError::Invalid(format!(
            "You cannot have more than {MAX_LISTS} lists"
        )));
    }
    lists::insert(conn, &list)?;
    Ok(list)
}

/// Adds accounts to a list: each must exist (else `NotFound`) and be followed (or asked to
/// be followed) by the list's owner (else `Invalid`, 422), and the list must stay within its
/// cap. Everything is checked before anything is written, so a refusal adds none.
pub fn add_accounts(conn: &mut DbConn, list: &List, account_ids: &[i64]) -> Result<(), CoreError> {
    let mut adding = Vec::new();
    for &id in account_ids {
        accounts::by_id(conn, id)
            .optional()?
            .ok_or(CoreError::NotFound)?;
        let follow = follows::between(conn, list.account_id, id)?.ok_or_else(|| {
            CoreError::Invalid("You must follow an account to add it to a list".into())
        })?;
        if !adding.iter().any(|(a, _)| *a == id) {
            adding.push((id, follow.id));
        }
    }
    let new: Vec<i64> = adding.iter().map(|(a, _)| *a).collect();
    let present = lists::members_among(conn, list.id, &new)?.len() as i64;
    let after = lists::count_members(conn, list.id)? + new.len() as i64 - present;
    if after > MAX_LIST_MEMBERS {
        return Err(CoreError::Invalid(format!(
            "A list cannot have more than {MAX_LIST_MEMBERS} accounts"
        )));
    }
    for (id, follow) in adding {
        lists::add_member(conn, list.id, id, follow)?;
    }
    Ok(())
}
