//! Polls across servers. Local people vote through [`vote`]: on a local poll the vote is
//! counted at once, on a remote one it is counted here and sent to the poll's author as a
//! `Create(Note)` naming the option, in reply to the `Question` (Mastodon's shape). Such Notes
//! arriving here are votes, never replies ([`receive_vote`]). The poll job ([`run`]) sends a
//! local poll's new counts as one `Update(Question)` per tick however many votes came, and
//! closes polls at their end: it sends the final counts and notifies the local voters and the
//! author (`poll`, through the notification gate). Each of its steps is claimed with one
//! conditional `UPDATE` (`kith_storage::polls`), so several processes sharing the database do
//! each once.

use crate::objects::status::{check_authorship, note_out};
use crate::outbound::{self, Audience};
use crate::protocol::note::{NoteIn, Visibility};
use crate::publish::{audience_of, parent_author};
use crate::{Data, FederationError, KithContext};
use chrono::NaiveDateTime;
use kith_core::notifications::{notify, NotificationKind};
use kith_core::InstanceUrls;
use kith_storage::accounts::{self, Account};
use kith_storage::polls::{self, Poll, Vote};
use kith_storage::statuses::{self, Status};
use kith_storage::{DbConn, OptionalExt, StorageError};
use std::time::Duration;

/// How often the poll job looks for polls to close and counts to send.
pub const POLL_JOB_EVERY: Duration = Duration::from_secs(2);

/// Polls one step of the job handles at most.
const BATCH: i64 = 100;

/// `me` votes `choices` (option indexes) in the poll of `status` (visible to `me`, checked by
/// the caller). Returns the poll as it is after the vote.
pub async fn vote(
    data: &Data,
    me: Account,
    status: Status,
    choices: Vec<i64>,
) -> Result<Poll, FederationError> {
    let status_id = status.id;
    let (poll, before) = data
        .db
        .read(move |c| {
            let poll = polls::of_status(c, status_id)?.ok_or(StorageError::NotFound)?;
            let before = polls::choices_among(c, &[poll.id], me.id)?;
            Ok((poll, before))
        })
        .await?;
    let before: Vec<i32> = before.into_iter().map(|(_, c)| c).collect();
    kith_core::polls::check_vote(
        &poll,
        status.account_id,
        me.id,
        &choices,
        &before,
        kith_storage::now(),
    )?;
    let urls = data.urls.clone();
    let poll_id = poll.id;
    let voted = data
        .db
        .write(move |c| {
            polls::lock(c, poll_id)?;
            if !polls::choices_among(c, &[poll_id], me.id)?.is_empty() {
                // A concurrent request voted first.
                return Err(StorageError::Conflict("already voted".into()));
            }
            let poll = polls::by_id(c, poll_id)?;
            let author = accounts::by_id(c, status.account_id)?;
            let now = kith_storage::now();
            let titles = poll.titles();
            let mut counts = poll.counts();
            for &choice in &choices {
                let id = kith_storage::id::new_id();
                let ap_id = format!("{}#votes/{id}", me.ap_id);
                let index = usize::try_from(choice).unwrap_or(usize::MAX);
                polls::insert_vote(
                    c,
                    &Vote {
                        id,
                        poll_id,
                        account_id: me.id,
                        choice: i32::try_from(choice).unwrap_or(i32::MAX),
                        ap_id: (!author.is_local()).then(|| ap_id.clone()),
                        created_at: now,
                    },
                )?;
                if let Some(n) = counts.get_mut(index) {
                    *n += 1;
                }
                if !author.is_local() {
                    let name = titles.get(index).cloned().unwrap_or_default();
                    let activity = outbound::vote(&me, &ap_id, &status.ap_id, &author.ap_id, &name);
                    outbound::send(c, &urls, &me, activity, &Audience::to(author.clone()))?;
                }
            }
            if author.is_local() {
                recount(c, &poll, now)?;
            } else {
                // Counted here until its server's next `Update` says otherwise.
                let voters = poll.voters_count.map(|v| v + 1);
                polls::set_counts(c, poll_id, &counts, voters, None)?;
            }
            polls::by_id(c, poll_id)
        })
        .await
        .map_err(|e| match e {
            StorageError::Conflict(_) => FederationError::Core(kith_core::CoreError::Invalid(
                "Validation failed: You have already voted on this poll".into(),
            )),
            other => other.into(),
        })?;
    data.delivery_wakeup.notify_one();
    Ok(voted)
}

/// Counts a local poll's votes again and marks its counts to be sent.
fn recount(c: &mut DbConn, poll: &Poll, now: NaiveDateTime) -> Result<(), StorageError> {
    let (counts, voters) = polls::tally(c, poll.id, poll.titles().len())?;
    polls::set_counts(c, poll.id, &counts, Some(voters), Some(now))
}

/// If `note` is a vote in a local poll (it names one of the options of a local poll it
/// answers, as Mastodon decides), counts it — when the poll is open, the voter may see it and
/// has not voted so (one vote per voter unless multiple choice, each option once) — and
/// returns `Some(receipt recorded)`; `None` for any other Note.
pub(crate) async fn receive_vote(
    note: &NoteIn,
    actor: &Account,
    data: &Data,
    receipt: &str,
) -> Result<Option<bool>, FederationError> {
    let (Some(name), Some(parent)) = (note.name.clone(), note.in_reply_to.clone()) else {
        return Ok(None);
    };
    check_authorship(note, actor)?;
    let (voter, receipt, vote_ap_id) = (actor.clone(), receipt.to_owned(), note.id.to_string());
    Ok(data
        .db
        .write(move |c| {
            let Some(status) = statuses::by_ap_id(c, &parent).optional()? else {
                return Ok(None);
            };
            if !status.local {
                return Ok(None);
            }
            let Some(poll) = polls::of_status(c, status.id)? else {
                return Ok(None);
            };
            let Some(choice) = poll.titles().iter().position(|t| *t == name) else {
                return Ok(None);
            };
            kith_storage::activity::first_receipt(c, &receipt)?;
            polls::lock(c, poll.id)?;
            let poll = polls::by_id(c, poll.id)?;
            let now = kith_storage::now();
            let before = polls::choices_among(c, &[poll.id], voter.id)?;
            let refused = poll.is_expired(now)
                || (!poll.multiple && !before.is_empty())
                || !statuses::is_visible(c, status.id, Some(voter.id))?;
            if refused {
                tracing::debug!(voter = %voter.ap_id, poll = poll.id, "vote not counted");
                return Ok(Some(true));
            }
            let stored = polls::insert_vote(
                c,
                &Vote {
                    id: kith_storage::id::new_id(),
                    poll_id: poll.id,
                    account_id: voter.id,
                    choice: i32::try_from(choice).unwrap_or(i32::MAX),
                    ap_id: Some(vote_ap_id),
                    created_at: now,
                },
            )?;
            if stored {
                recount(c, &poll, now)?;
            }
            Ok(Some(true))
        })
        .await?)
}

/// The poll job: every `every`, closes the polls whose end has passed and sends the counts of
/// local polls that changed. Runs until aborted.
pub async fn run(data: KithContext, every: Duration) {
    loop {
        if let Err(e) = step(&data).await {
            tracing::warn!(error = %e, "poll job failed");
        }
        tokio::time::sleep(every).await;
    }
}

/// One round of the job.
pub async fn step(data: &KithContext) -> Result<(), FederationError> {
    let now = kith_storage::now();
    let closing = data
        .db
        .read(move |c| polls::due_to_close(c, now, BATCH))
        .await?;
    for id in closing {
        let urls = data.urls.clone();
        data.db.write(move |c| close(c, &urls, id)).await?;
    }
    let changed = data
        .db
        .read(move |c| polls::due_to_federate(c, now, BATCH))
        .await?;
    for id in changed {
        let urls = data.urls.clone();
        data.db
            .write(move |c| {
                if polls::claim_federate(c, id, now)? {
                    send_counts(c, &urls, id)?;
                }
                Ok(())
            })
            .await?;
    }
    data.delivery_wakeup.notify_one();
    Ok(())
}

/// Closes a poll (if no other process did): notifies the local voters and a local author, and
/// sends a local poll's final counts.
fn close(c: &mut DbConn, urls: &InstanceUrls, id: i64) -> Result<(), StorageError> {
    if !polls::claim_close(c, id)? {
        return Ok(());
    }
    let poll = polls::by_id(c, id)?;
    let status = statuses::by_id(c, poll.status_id)?;
    let author = accounts::by_id(c, status.account_id)?;
    // The gate leaves out remote voters and those who block or mute the author.
    for voter in polls::voter_ids(c, id)? {
        notify(c, voter, author.id, NotificationKind::Poll, Some(status.id))?;
    }
    if author.is_local() {
        notify(
            c,
            author.id,
            author.id,
            NotificationKind::Poll,
            Some(status.id),
        )?;
        send_counts(c, urls, id)?;
    }
    Ok(())
}

/// Sends a local poll's status as `Update(Question)` to the post's audience and to the servers
/// of its remote voters.
fn send_counts(c: &mut DbConn, urls: &InstanceUrls, id: i64) -> Result<(), StorageError> {
    let poll = polls::by_id(c, id)?;
    let status = statuses::by_id(c, poll.status_id)?;
    let author = accounts::by_id(c, status.account_id)?;
    if !author.is_local() {
        return Ok(());
    }
    let mut mentioned: Vec<Account> = statuses::mentions(c, status.id)?
        .into_iter()
        .map(|id| accounts::by_id(c, id))
        .collect::<Result<_, _>>()?;
    for voter in polls::voter_ids(c, id)? {
        if !mentioned.iter().any(|a| a.id == voter) {
            mentioned.push(accounts::by_id(c, voter)?);
        }
    }
    let parent = parent_author(c, &author, &status)?;
    let note = note_out(c, &status, &author)?;
    let update = outbound::note_activity(urls, "Update", &author, &note);
    let audience = audience_of(&author, Visibility::of(&status), mentioned, parent);
    outbound::send(c, urls, &author, update, &audience)
}
