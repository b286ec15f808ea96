//! What local people do, with its federation: each function makes the change and records the
//! activity that tells other servers, in one transaction, then wakes the delivery worker.
//! Recipients on this instance get their side of the change directly.

use crate::objects::account::ApAccount;
use crate::objects::status::note_out;
use crate::outbound::{self, Audience};
use crate::protocol::note::Visibility;
use crate::{resolve, text, Data, FederationError};
use kith_core::notifications::{notify, NotificationKind};
use kith_core::statuses::distribute;
use kith_storage::accounts::{self, Account, ProfileChanges};
use kith_storage::follows::{self, Follow};
use kith_storage::statuses::{self, Status, StatusEdit};
use kith_storage::{activity as acts, DbConn, OptionalExt, StorageError};

fn wake(data: &Data) {
    data.delivery_wakeup.notify_one();
}

/// Runs a change in one transaction, then wakes the delivery worker for what it queued.
async fn record<T, F>(data: &Data, change: F) -> Result<T, FederationError>
where
    T: Send + 'static,
    F: FnOnce(&mut kith_storage::DbConn) -> Result<T, StorageError> + Send + 'static,
{
    let out = data.db.write(change).await?;
    wake(data);
    Ok(out)
}

/// Follows `target`. Local open accounts are followed at once; locked ones and remote ones
/// get a request (remote ones answer with `Accept`).
pub async fn follow(data: &Data, me: Account, target: Account) -> Result<Follow, FederationError> {
    if me.id == target.id {
        return Err(FederationError::Refused(
            "you cannot follow yourself".into(),
        ));
    }
    let urls = data.urls.clone();
    let follow = data
        .db
        .write(move |c| {
            if follows::blocks(c, target.id, me.id)? || follows::blocks(c, me.id, target.id)? {
                return Err(StorageError::Conflict("block".into()));
            }
            if let Some(existing) = follows::between(c, me.id, target.id)? {
                return Ok(existing);
            }
            let id = urls.activity("Follow").to_string();
            let row = Follow {
                id: kith_storage::id::new_id(),
                account_id: me.id,
                target_account_id: target.id,
                ap_id: id.clone(),
                accepted: target.is_local() && !target.locked,
                created_at: kith_storage::now(),
            };
            follows::insert(c, &row)?;
            if target.is_local() {
                let kind = if row.accepted {
                    NotificationKind::Follow
                } else {
                    NotificationKind::FollowRequest
                };
                notify(c, target.id, me.id, kind, None)?;
            } else {
                let activity = outbound::follow(&urls, &me, &target, &id);
                outbound::send(c, &urls, &me, activity, &Audience::to(target))?;
            }
            Ok(row)
        })
        .await
        .map_err(|e| match e {
            StorageError::Conflict(_) => {
                FederationError::Refused("a block stands between these accounts".into())
            }
            other => other.into(),
        })?;
    wake(data);
    Ok(follow)
}

/// Stops following (or withdraws a request).
pub async fn unfollow(data: &Data, me: Account, target: Account) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    record(data, move |c| {
        let Some(f) = follows::remove(c, me.id, target.id)? else {
            return Ok(());
        };
        statuses::remove_author_from_feed(c, me.id, target.id)?;
        if !target.is_local() {
            let inner = outbound::follow(&urls, &me, &target, &f.ap_id);
            let undo = outbound::undo(&urls, &me, inner);
            outbound::send(c, &urls, &me, undo, &Audience::to(target))?;
        }
        Ok(())
    })
    .await
}

/// Approves (`accept`) or rejects a request from `follower` to follow `me`.
pub async fn answer_request(
    data: &Data,
    me: Account,
    follower: Account,
    accept: bool,
) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    record(data, move |c| {
        let f = follows::between(c, follower.id, me.id)?
            .filter(|f| !f.accepted)
            .ok_or(StorageError::NotFound)?;
        acts::clear_follow_request(c, me.id, follower.id)?;
        if accept {
            follows::accept(c, f.id)?;
        } else {
            follows::remove(c, follower.id, me.id)?;
        }
        if !follower.is_local() {
            let kind = if accept { "Accept" } else { "Reject" };
            let answer = outbound::answer_follow(&urls, kind, &me, &f.ap_id, &follower);
            outbound::send(c, &urls, &me, answer, &Audience::to(follower))?;
        }
        Ok(())
    })
    .await
}

/// A new post as the client API describes it.
#[derive(Debug, Clone)]
pub struct NewPost {
    /// What the author typed.
    pub text: String,
    /// Who may see it.
    pub visibility: Visibility,
    /// The post it answers, already checked to be visible to the author.
    pub in_reply_to: Option<Status>,
    /// Content warning.
    pub spoiler_text: String,
    /// Marked sensitive.
    pub sensitive: bool,
    /// ISO 639 language.
    pub language: Option<String>,
    /// Uploads to attach, in order (the author's own, unattached; at most `MAX_MEDIA`).
    pub media_ids: Vec<i64>,
}

/// Most media on one post (Mastodon's).
pub const MAX_MEDIA: usize = 4;

/// Checks that `ids` are at most `MAX_MEDIA` distinct uploads of `owner`, each unattached or
/// already on `status_id` (`None`: a new post): a clear 422 before the write. The write
/// attaches them with the same condition (`media::attach`), so a race cannot steal one.
pub async fn check_media(
    data: &Data,
    owner: i64,
    status_id: Option<i64>,
    ids: &[i64],
) -> Result<(), FederationError> {
    let invalid = |m: &str| FederationError::Core(kith_core::CoreError::Invalid(m.to_owned()));
    if ids.len() > MAX_MEDIA {
        return Err(invalid("a post may have at most 4 media attachments"));
    }
    let mut unique = ids.to_vec();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != ids.len() {
        return Err(invalid("a media attachment is given twice"));
    }
    if ids.is_empty() {
        return Ok(());
    }
    let wanted = ids.to_vec();
    let found = data
        .db
        .read(move |c| kith_storage::media::by_ids(c, &wanted))
        .await?;
    let usable = found
        .iter()
        .filter(|m| m.account_id == owner && (m.status_id.is_none() || m.status_id == status_id));
    if usable.count() != ids.len() {
        return Err(invalid("media attachment not found or already used"));
    }
    let wanted = ids.to_vec();
    let processing = data
        .db
        .read(move |c| kith_storage::media::processing_among(c, &wanted))
        .await?;
    if !processing.is_empty() {
        return Err(invalid(
            "Cannot attach files that have not finished processing. Try again in a moment!",
        ));
    }
    Ok(())
}

/// Accounts mentioned in `text`, resolving unknown remote handles through WebFinger.
async fn mentioned_accounts(data: &Data, text_: &str) -> Vec<Account> {
    let mut out: Vec<Account> = Vec::new();
    for handle in text::mentions(text_).into_iter().take(20) {
        match resolve::account_by_handle(&handle, true, data).await {
            Ok(Some(a)) if !out.iter().any(|o| o.id == a.id) => out.push(a),
            Ok(_) => {}
            Err(e) => tracing::info!(%handle, error = %e, "mention did not resolve"),
        }
    }
    out
}

/// The audience of a status: followers (unless direct), mentioned accounts, and, for public
/// and unlisted posts only, `also` (the author of the post it answers, or of the boosted post).
/// A followers-only reply reaches the parent's author only as a follower or when mentioned,
/// as in Mastodon (`StatusReachFinder` adds replied-to accounts for distributable posts only).
pub(crate) fn audience_of(
    author: &Account,
    visibility: Visibility,
    mentioned: Vec<Account>,
    also: Option<Account>,
) -> Audience {
    let mut accounts = mentioned;
    if visibility.is_distributable() {
        accounts.extend(also);
    }
    Audience {
        followers_of: (visibility != Visibility::Direct).then_some(author.id),
        accounts,
    }
}

/// The author of the post `status` answers, when that is someone other than `me`: the `also` of
/// a reply's audience, the same for its `Create`, its `Update`s and its `Delete`.
pub(crate) fn parent_author(
    c: &mut DbConn,
    me: &Account,
    status: &Status,
) -> Result<Option<Account>, StorageError> {
    match status.in_reply_to_account_id {
        Some(pid) if pid != me.id => Ok(Some(accounts::by_id(c, pid)?)),
        _ => Ok(None),
    }
}

/// Posts a status.
pub async fn post(data: &Data, me: Account, new: NewPost) -> Result<Status, FederationError> {
    post_with_poll(data, me, new, None).await
}

/// Posts a status with a poll (already checked: `NewPoll::validate`), sent as a `Question`.
pub async fn post_with_poll(
    data: &Data,
    me: Account,
    new: NewPost,
    poll: Option<kith_core::polls::NewPoll>,
) -> Result<Status, FederationError> {
    if let Some(p) = &poll {
        p.validate()?;
        if !new.media_ids.is_empty() {
            return Err(FederationError::Core(kith_core::CoreError::Invalid(
                "Validation failed: a post cannot have both media and a poll".into(),
            )));
        }
    }
    let mentioned = mentioned_accounts(data, &new.text).await;
    // A moderator marked the author sensitive (`kith_core::moderation`): every post is.
    let author = me.id;
    let sensitized = data
        .db
        .read(move |c| kith_storage::moderation::state(c, author))
        .await?
        .sensitized_at
        .is_some();
    let urls = data.urls.clone();
    let id = kith_storage::id::new_id();
    let handles: Vec<(String, String)> = mentioned
        .iter()
        .map(|a| (a.acct(), a.url.clone().unwrap_or_else(|| a.ap_id.clone())))
        .collect();
    let domain = urls.domain().to_owned();
    let link_for = |h: &str| {
        handles
            .iter()
            .find(|(acct, _)| {
                acct.eq_ignore_ascii_case(h) || format!("{acct}@{domain}").eq_ignore_ascii_case(h)
            })
            .map(|(_, url)| url.clone())
    };
    let base = urls.base().clone();
    let html = text::to_html(&new.text, &link_for, &|t| format!("{base}tags/{t}"));
    let tags = text::hashtags(&new.text);
    let status = Status {
        id,
        ap_id: urls.status(&me.username, id).to_string(),
        url: Some(urls.status_page(&me.username, id).to_string()),
        account_id: me.id,
        local: true,
        visibility: new.visibility.as_str().to_owned(),
        in_reply_to_id: new.in_reply_to.as_ref().map(|p| p.id),
        in_reply_to_ap_id: new.in_reply_to.as_ref().map(|p| p.ap_id.clone()),
        in_reply_to_account_id: new.in_reply_to.as_ref().map(|p| p.account_id),
        reblog_of_id: None,
        content: html,
        source_text: Some(new.text.clone()),
        spoiler_text: new.spoiler_text.clone(),
        sensitive: new.sensitive || !new.spoiler_text.is_empty() || sensitized,
        language: new.language.clone(),
        conversation: new
            .in_reply_to
            .as_ref()
            .and_then(|p| p.conversation.clone())
            .or_else(|| Some(urls.activity("Context").to_string())),
        attachments: "[]".into(),
        created_at: kith_storage::id::timestamp_of(id),
        edited_at: None,
    };
    let row = status.clone();
    let media_ids = new.media_ids;
    check_media(data, me.id, None, &media_ids).await?;
    let stored = data
        .db
        .write(move |c| {
            let ids: Vec<i64> = mentioned.iter().map(|a| a.id).collect();
            statuses::insert(c, &row, &ids, &tags)?;
            kith_storage::media::attach(c, me.id, row.id, &media_ids)?;
            if let Some(p) = &poll {
                let now = kith_storage::now();
                kith_storage::polls::insert(c, &p.to_row(kith_storage::id::new_id(), row.id, now))?;
            }
            distribute(c, &row, &me, &mentioned)?;
            let parent_author = parent_author(c, &me, &row)?;
            let note = note_out(c, &row, &me)?;
            let create = outbound::note_activity(&urls, "Create", &me, &note);
            outbound::send(
                c,
                &urls,
                &me,
                create,
                &audience_of(&me, Visibility::of(&row), mentioned, parent_author),
            )?;
            Ok(row)
        })
        .await?;
    wake(data);
    Ok(stored)
}

/// What an edit of a local post sets.
#[derive(Debug, Clone)]
pub struct PostEdit {
    /// The new text.
    pub text: String,
    /// The new content warning.
    pub spoiler_text: String,
    /// Whether the media are marked sensitive.
    pub sensitive: bool,
    /// The new media, or `None` to keep them.
    pub media_ids: Option<Vec<i64>>,
    /// The poll after the edit (already checked: `NewPoll::validate`); `None` removes it, as
    /// Mastodon's edit does. The same options keep the votes; other options (or a change
    /// between single and multiple choice) void them.
    pub poll: Option<kith_core::polls::NewPoll>,
}

/// Replaces a local post's text and poll (an edit), and sends `Update` to its audience (a
/// `Question` when it has a poll, with the counts as they now are).
pub async fn edit(
    data: &Data,
    me: Account,
    status: Status,
    edit: PostEdit,
) -> Result<Status, FederationError> {
    let PostEdit {
        text: text_,
        spoiler_text,
        sensitive,
        media_ids,
        poll,
    } = edit;
    if let Some(ids) = &media_ids {
        check_media(data, me.id, Some(status.id), ids).await?;
    }
    if let Some(p) = &poll {
        p.validate()?;
    }
    let base = data.urls.base().clone();
    let mentioned_before = status.id;
    let urls = data.urls.clone();
    let html = text::to_html(&text_, &|_| None, &|t| format!("{base}tags/{t}"));
    let stored = data
        .db
        .write(move |c| {
            // Keep the mention links of the original where the handles are the same.
            let mentioned: Vec<Account> = statuses::mentions(c, mentioned_before)?
                .into_iter()
                .map(|id| accounts::by_id(c, id))
                .collect::<Result<_, _>>()?;
            let handles: Vec<(String, String)> = mentioned
                .iter()
                .map(|a| (a.acct(), a.url.clone().unwrap_or_else(|| a.ap_id.clone())))
                .collect();
            let link_for = |h: &str| {
                handles
                    .iter()
                    .find(|(acct, _)| acct.eq_ignore_ascii_case(h))
                    .map(|(_, u)| u.clone())
            };
            let content = if mentioned.is_empty() {
                html
            } else {
                text::to_html(&text_, &link_for, &|t| format!("{base}tags/{t}"))
            };
            let change = StatusEdit {
                content,
                source_text: Some(text_),
                sensitive: sensitive || !spoiler_text.is_empty(),
                spoiler_text,
                attachments: status.attachments.clone(),
                edited_at: Some(kith_storage::now()),
            };
            let before = kith_storage::polls::of_status(c, status.id)?;
            let now = kith_storage::now();
            let revision = poll.as_ref().map(|p| {
                let row = p.to_row(0, status.id, now);
                kith_storage::polls::Revision {
                    titles: row.titles(),
                    multiple: row.multiple,
                    hide_totals: row.hide_totals,
                    expires_at: row.expires_at,
                }
            });
            let poll_changed = match (&before, &revision) {
                (Some(b), Some(r)) => r.voids_votes_of(b),
                (None, None) => false,
                _ => true,
            };
            statuses::edit(c, status.id, &change, poll_changed)?;
            match (before, &poll) {
                (Some(b), Some(_)) => {
                    if let Some(r) = &revision {
                        kith_storage::polls::revise(c, &b, r)?;
                    }
                }
                (Some(b), None) => kith_storage::polls::remove(c, b.id)?,
                (None, Some(p)) => kith_storage::polls::insert(
                    c,
                    &p.to_row(kith_storage::id::new_id(), status.id, now),
                )?,
                (None, None) => {}
            }
            if let Some(ids) = &media_ids {
                kith_storage::media::attach(c, me.id, status.id, ids)?;
            }
            let row = statuses::by_id(c, status.id)?;
            for booster in statuses::local_reblogger_ids(c, row.id)? {
                notify(c, booster, me.id, NotificationKind::Update, Some(row.id))?;
            }
            let note = note_out(c, &row, &me)?;
            let update = outbound::note_activity(&urls, "Update", &me, &note);
            let parent_author = parent_author(c, &me, &row)?;
            outbound::send(
                c,
                &urls,
                &me,
                update,
                &audience_of(&me, Visibility::of(&row), mentioned, parent_author),
            )?;
            Ok(row)
        })
        .await?;
    wake(data);
    Ok(stored)
}

/// Deletes a local post (or boost) and sends `Delete` (or `Undo`) to its audience.
pub async fn delete(data: &Data, me: Account, status: Status) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    record(data, move |c| {
        let mentioned: Vec<Account> = statuses::mentions(c, status.id)?
            .into_iter()
            .map(|id| accounts::by_id(c, id))
            .collect::<Result<_, _>>()?;
        // A boost's Undo also goes to the boosted post's author, a reply's Delete to the
        // parent's author (for public and unlisted replies, as its Create did).
        let (activity, also) = match status.reblog_of_id {
            Some(target) => {
                let original = statuses::by_id(c, target)?;
                let author = accounts::by_id(c, original.account_id)?;
                let inner = outbound::announce(
                    &me,
                    &status.ap_id,
                    &original.ap_id,
                    &author.ap_id,
                    status.created_at,
                );
                (outbound::undo(&urls, &me, inner), Some(author))
            }
            None => {
                let note = note_out(c, &status, &me)?;
                (
                    outbound::delete_note(&urls, &me, &status.ap_id, note.to, note.cc),
                    parent_author(c, &me, &status)?,
                )
            }
        };
        statuses::delete(c, status.id)?;
        let audience = audience_of(&me, Visibility::of(&status), mentioned, also);
        outbound::send(c, &urls, &me, activity, &audience)
    })
    .await
}

/// Favourites a post `me` can see.
pub async fn favourite(data: &Data, me: Account, status: Status) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    record(data, move |c| {
        let id = urls.activity("Like").to_string();
        if !acts::favourite(c, kith_storage::id::new_id(), me.id, status.id, &id)? {
            return Ok(());
        }
        let author = accounts::by_id(c, status.account_id)?;
        if author.is_local() {
            notify(
                c,
                author.id,
                me.id,
                NotificationKind::Favourite,
                Some(status.id),
            )?;
            return Ok(());
        }
        let like = outbound::like(&me, &id, &status.ap_id, &author.ap_id);
        outbound::send(c, &urls, &me, like, &Audience::to(author))
    })
    .await
}

/// Takes a favourite back.
pub async fn unfavourite(data: &Data, me: Account, status: Status) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    record(data, move |c| {
        let Some(like_id) = acts::unfavourite(c, me.id, status.id)? else {
            return Ok(());
        };
        let author = accounts::by_id(c, status.account_id)?;
        if author.is_local() {
            return Ok(());
        }
        let undo = outbound::undo(
            &urls,
            &me,
            outbound::like(&me, &like_id, &status.ap_id, &author.ap_id),
        );
        outbound::send(c, &urls, &me, undo, &Audience::to(author))
    })
    .await
}

/// Boosts a public or unlisted post; returns the boost.
pub async fn reblog(data: &Data, me: Account, status: Status) -> Result<Status, FederationError> {
    if !Visibility::of(&status).is_distributable() {
        return Err(FederationError::Refused(
            "only public and unlisted posts can be boosted".into(),
        ));
    }
    let urls = data.urls.clone();
    let boost = data
        .db
        .write(move |c| {
            if let Some(existing) = statuses::reblog_by(c, me.id, status.id).optional()? {
                return Ok(existing);
            }
            let id = kith_storage::id::new_id();
            let boost = kith_core::statuses::boost(
                &status,
                &me,
                id,
                format!("{}/activity", urls.status(&me.username, id)),
                Visibility::Public,
                kith_storage::id::timestamp_of(id),
            );
            statuses::insert(c, &boost, &[], &[])?;
            distribute(c, &boost, &me, &[])?;
            let author = accounts::by_id(c, status.account_id)?;
            if author.is_local() {
                notify(
                    c,
                    author.id,
                    me.id,
                    NotificationKind::Reblog,
                    Some(status.id),
                )?;
            }
            let announce = outbound::announce(
                &me,
                &boost.ap_id,
                &status.ap_id,
                &author.ap_id,
                boost.created_at,
            );
            outbound::send(
                c,
                &urls,
                &me,
                announce,
                &Audience {
                    followers_of: Some(me.id),
                    accounts: vec![author],
                },
            )?;
            Ok(boost)
        })
        .await?;
    wake(data);
    Ok(boost)
}

/// Edits `me`'s profile and records the `Update(Person)` that tells its followers' servers, in
/// one transaction: the activity exists exactly when the edit does. Returns the edited row.
pub async fn update_profile(
    data: &Data,
    me: Account,
    changes: ProfileChanges,
) -> Result<Account, FederationError> {
    let actor = ApAccount::new(me.clone())?;
    let urls = data.urls.clone();
    record(data, move |c| {
        let edited = accounts::update_profile(c, me.id, &changes)?;
        // Serializing a plain struct cannot fail; if it ever did, the edit is rolled back.
        let person = serde_json::to_value(actor.edited(edited.clone()).to_actor_with_emojis(c)?)
            .map_err(|e| StorageError::Task(format!("cannot serialize the actor: {e}")))?;
        let update = outbound::update_person(&urls, &edited, person);
        outbound::send(
            c,
            &urls,
            &edited,
            update,
            &Audience {
                followers_of: Some(edited.id),
                ..Default::default()
            },
        )?;
        Ok(edited)
    })
    .await
}

/// Blocks `target`: follows both ways end, its posts leave `me`'s feed, and a remote target's
/// server is told with `Block` (so it stops delivering to `me`, as Mastodon does).
pub async fn block(data: &Data, me: Account, target: Account) -> Result<(), FederationError> {
    if me.id == target.id {
        return Err(FederationError::Refused("you cannot block yourself".into()));
    }
    let urls = data.urls.clone();
    record(data, move |c| {
        if follows::blocks(c, me.id, target.id)? {
            return Ok(());
        }
        let id = urls.activity("Block").to_string();
        follows::block(c, kith_storage::id::new_id(), me.id, target.id, &id)?;
        statuses::remove_author_from_feed(c, me.id, target.id)?;
        statuses::remove_author_from_feed(c, target.id, me.id)?;
        if !target.is_local() {
            let block = outbound::block(&me, &id, &target);
            outbound::send(c, &urls, &me, block, &Audience::to(target))?;
        }
        Ok(())
    })
    .await
}

/// Blocks a whole domain for `me` and, as Mastodon does, deletes `me`'s notifications from
/// that domain's accounts and ends every follow between `me` and them: `me`'s follows are undone (`Undo(Follow)`), followers and pending
/// requests from there are rejected (`Reject(Follow)`), so no post crosses either way.
pub async fn block_domain(data: &Data, me: Account, domain: String) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    record(data, move |c| {
        kith_storage::mutes::block_domain(c, me.id, &domain)?;
        acts::clear_notifications_from_domain(c, me.id, &domain)?;
        for (f, other) in follows::with_domain(c, me.id, &domain)? {
            if f.account_id == me.id {
                follows::remove(c, me.id, other.id)?;
                statuses::remove_author_from_feed(c, me.id, other.id)?;
                let undo =
                    outbound::undo(&urls, &me, outbound::follow(&urls, &me, &other, &f.ap_id));
                outbound::send(c, &urls, &me, undo, &Audience::to(other))?;
            } else {
                follows::remove(c, other.id, me.id)?;
                if !f.accepted {
                    acts::clear_follow_request(c, me.id, other.id)?;
                }
                let reject = outbound::answer_follow(&urls, "Reject", &me, &f.ap_id, &other);
                outbound::send(c, &urls, &me, reject, &Audience::to(other))?;
            }
        }
        Ok(())
    })
    .await
}

/// Lifts a block, telling a remote target's server with `Undo(Block)`.
pub async fn unblock(data: &Data, me: Account, target: Account) -> Result<(), FederationError> {
    let urls = data.urls.clone();
    record(data, move |c| {
        let Some(id) = follows::block_id(c, me.id, target.id)? else {
            return Ok(());
        };
        follows::unblock(c, me.id, target.id)?;
        if !target.is_local() {
            let undo = outbound::undo(&urls, &me, outbound::block(&me, &id, &target));
            outbound::send(c, &urls, &me, undo, &Audience::to(target))?;
        }
        Ok(())
    })
    .await
}
