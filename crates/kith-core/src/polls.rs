//! Poll rules, for local polls made through the client API and votes from anywhere: what a
//! new poll may be (Mastodon's limits: 2 to 4 options of at most 50 characters, open 5 minutes
//! to a month), and who may vote how (`check_vote`). Counting lives with the rows
//! (`kith_storage::polls`); federating lives in `kith-federation`.

use crate::CoreError;
use chrono::NaiveDateTime;
use kith_storage::polls::Poll;

/// Most options of a local poll (Mastodon's default).
pub const MAX_OPTIONS: usize = 4;
/// Fewest options of a poll.
pub const MIN_OPTIONS: usize = 2;
/// Longest option of a local poll, in characters (Mastodon's default).
pub const MAX_OPTION_CHARS: usize = 50;
/// Shortest time a local poll is open, in seconds (5 minutes).
pub const MIN_EXPIRATION: i64 = 300;
/// Longest time a local poll is open, in seconds (Mastodon's month: 2,629,746 s).
pub const MAX_EXPIRATION: i64 = 2_629_746;

/// A poll as the client API asks for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoll {
    /// The options' titles, in order.
    pub options: Vec<String>,
    /// Seconds until it ends.
    pub expires_in: i64,
    /// Whether a voter may choose several options.
    pub multiple: bool,
    /// Whether counts stay hidden until it ends.
    pub hide_totals: bool,
}

fn invalid(m: impl Into<String>) -> CoreError {
    CoreError::Invalid(format!("Validation failed: {}", m.into()))
}

impl NewPoll {
    /// Checks Mastodon's limits; the error names the broken one.
    pub fn validate(&self) -> Result<(), CoreError> {
        if self.options.len() < MIN_OPTIONS {
            return Err(invalid("Poll must have at least 2 options"));
        }
        if self.options.len() > MAX_OPTIONS {
            return Err(invalid(format!(
                "Poll can't contain more than {MAX_OPTIONS} items"
            )));
        }
        for o in &self.options {
            if o.trim().is_empty() {
                return Err(invalid("Poll contains an empty option"));
            }
            if o.chars().count() > MAX_OPTION_CHARS {
                return Err(invalid(format!(
                    "Poll contains an option longer than {MAX_OPTION_CHARS} characters"
                )));
            }
        }
        let mut seen: Vec<&str> = Vec::new();
        for o in &self.options {
            let t = o.trim();
            if seen.contains(&t) {
                return Err(invalid("Poll contains duplicate options"));
            }
            seen.push(t);
        }
        if self.expires_in < MIN_EXPIRATION {
            return Err(invalid("Poll expiration is too short (at least 5 minutes)"));
        }
        if self.expires_in > MAX_EXPIRATION {
            return Err(invalid("Poll expiration is too long (at most a month)"));
        }
        Ok(())
    }

    /// The row for this poll on `status_id`, starting at `now`.
    pub fn to_row(&self, id: i64, status_id: i64, now: NaiveDateTime) -> Poll {
        let titles: Vec<String> = self.options.iter().map(|o| o.trim().to_owned()).collect();
        Poll {
            id,
            status_id,
            counts: Poll::encode_counts(&vec![0; titles.len()]),
            options: Poll::encode_titles(&titles),
            voters_count: Some(0),
            multiple: self.multiple,
            hide_totals: self.hide_totals,
            expires_at: Some(now + chrono::Duration::seconds(self.expires_in)),
            closed: false,
            federate_at: None,
            updated_at: now,
        }
    }
}

/// Checks that `voter` may choose `choices` in `poll` (by `author`), having chosen `before`:
/// the poll is open, not the voter's own, the choices are options of it, one unless it is
/// multiple-choice, each once, and the voter has not voted yet.
pub fn check_vote(
    poll: &Poll,
    author: i64,
    voter: i64,
    choices: &[i64],
    before: &[i32],
    now: NaiveDateTime,
) -> Result<(), CoreError> {
    if poll.is_expired(now) {
        return Err(invalid("The poll has already ended"));
    }
    if author == voter {
        return Err(invalid("You cannot vote in your own poll"));
    }
    if !before.is_empty() {
        return Err(invalid("You have already voted on this poll"));
    }
    if choices.is_empty() {
        return Err(invalid("Choices can't be blank"));
    }
    if !poll.multiple && choices.len() > 1 {
        return Err(invalid("This poll allows one choice only"));
    }
    let options = poll.titles().len() as i64;
    let mut seen = Vec::new();
    for c in choices {
        if *c < 0 || *c >= options {
            return Err(invalid("Choice is not an option of this poll"));
        }
        if seen.contains(c) {
            return Err(invalid("A choice is given twice"));
        }
        seen.push(*c);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(options: &[&str], secs: i64) -> NewPoll {
        NewPoll {
            options: options.iter().map(|s| s.to_string()).collect(),
            expires_in: secs,
            multiple: false,
            hide_totals: false,
        }
    }

    #[test]
    fn new_polls_keep_mastodons_limits() {
        assert!(poll(&["a", "b"], 300).validate().is_ok());
        assert!(poll(&["a"], 300).validate().is_err());
        assert!(poll(&["a", "b", "c", "d", "e"], 300).validate().is_err());
        assert!(poll(&["a", &"x".repeat(51)], 300).validate().is_err());
        assert!(poll(&["a", &"é".repeat(50)], 300).validate().is_ok());
        assert!(poll(&["a", " "], 300).validate().is_err());
        assert!(poll(&["a", "a "], 300).validate().is_err());
        assert!(poll(&["a", "b"], 299).validate().is_err());
        assert!(poll(&["a", "b"], MAX_EXPIRATION + 1).validate().is_err());
    }

    #[test]
    fn votes_follow_the_rules() {
        let now = chrono::Utc::now().naive_utc();
        let mut row = poll(&["a", "b", "c"], 300).to_row(1, 2, now);
        assert!(check_vote(&row, 10, 11, &[0], &[], now).is_ok());
        assert!(check_vote(&row, 10, 10, &[0], &[], now).is_err());
        assert!(check_vote(&row, 10, 11, &[0, 1], &[], now).is_err());
        assert!(check_vote(&row, 10, 11, &[3], &[], now).is_err());
        assert!(check_vote(&row, 10, 11, &[-1], &[], now).is_err());
        assert!(check_vote(&row, 10, 11, &[], &[], now).is_err());
        assert!(check_vote(&row, 10, 11, &[1], &[0], now).is_err());
        row.multiple = true;
        assert!(check_vote(&row, 10, 11, &[0, 2], &[], now).is_ok());
        assert!(check_vote(&row, 10, 11, &[0, 0], &[], now).is_err());
        let later = now + chrono::Duration::seconds(301);
        assert!(check_vote(&row, 10, 11, &[0], &[], later).is_err());
    }
}
