//! Grouped notifications (Mastodon 4.3's `/api/v2/notifications`): which group a notification
//! belongs to. Favourites and boosts of one post, follows, and sign-ups within the same hour
//! (UTC) form one group; every other notification is a group of its own, `ungrouped-{id}`.
//! The key is computed from the stored notification, so it needs no column and reads the same
//! in every process; [`GroupKey::parse`] turns a key back into what selects its members.

use chrono::{DateTime, NaiveDateTime};

/// The kinds that are grouped unless a client asks for fewer (Mastodon's
/// `GROUPABLE_NOTIFICATION_TYPES`).
pub const GROUPED_KINDS: [&str; 4] = ["favourite", "reblog", "follow", "admin.sign_up"];

/// The span of one group.
const BUCKET_SECONDS: i64 = 3600;

/// The group key of notification `id` of `kind` (about `status`, made at `created_at`);
/// `grouped` restricts which kinds are grouped (`None`: all of [`GROUPED_KINDS`]).
pub fn group_key(
    id: i64,
    kind: &str,
    status: Option<i64>,
    created_at: NaiveDateTime,
    grouped: Option<&[String]>,
) -> String {
    let groups =
        GROUPED_KINDS.contains(&kind) && grouped.is_none_or(|g| g.iter().any(|k| k == kind));
    let bucket = created_at.and_utc().timestamp().div_euclid(BUCKET_SECONDS);
    match (groups, kind, status) {
        (true, "favourite" | "reblog", Some(s)) => format!("{kind}-{s}-{bucket}"),
        (true, "follow" | "admin.sign_up", _) => format!("{kind}-{bucket}"),
        _ => format!("ungrouped-{id}"),
    }
}

/// What a group key names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKey {
    /// One notification, by id.
    One(i64),
    /// The notifications of `kind` (about `status`) made in one hour.
    Group {
        kind: String,
        status: Option<i64>,
        bucket: i64,
    },
}

impl GroupKey {
    /// Reads a key made by [`group_key`]; `None` for anything else.
    pub fn parse(key: &str) -> Option<GroupKey> {
        if let Some(id) = key.strip_prefix("ungrouped-") {
            return id.parse().ok().map(GroupKey::One);
        }
        let (rest, bucket) = key.rsplit_once('-')?;
        let bucket: i64 = bucket.parse().ok()?;
        let (kind, status) = match rest.rsplit_once('-') {
            Some((kind, status)) => (kind, Some(status.parse::<i64>().ok()?)),
            None => (rest, None),
        };
        let fits = match kind {
            "favourite" | "reblog" => status.is_some(),
            "follow" | "admin.sign_up" => status.is_none(),
            _ => false,
        };
        fits.then(|| GroupKey::Group {
            kind: kind.to_owned(),
            status,
            bucket,
        })
    }

    /// The hour a group's notifications were made in, as `[from, to)`.
    pub fn window(bucket: i64) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let from = DateTime::from_timestamp(bucket.checked_mul(BUCKET_SECONDS)?, 0)?;
        let to = DateTime::from_timestamp(bucket.checked_add(1)?.checked_mul(BUCKET_SECONDS)?, 0)?;
        Some((from.naive_utc(), to.naive_utc()))
    }
}

#[cfg(test)]
mod tests {
    use super::{group_key, GroupKey};
    use chrono::DateTime;

    #[test]
    fn keys_group_by_kind_post_and_hour_and_read_back() {
        let at = DateTime::from_timestamp(7_200 + 59, 0).unwrap().naive_utc();
        assert_eq!(
            group_key(9, "favourite", Some(5), at, None),
            "favourite-5-2"
        );
        assert_eq!(group_key(9, "follow", None, at, None), "follow-2");
        assert_eq!(
            group_key(9, "admin.sign_up", None, at, None),
            "admin.sign_up-2"
        );
        assert_eq!(group_key(9, "mention", Some(5), at, None), "ungrouped-9");
        let only_follows = ["follow".to_owned()];
        assert_eq!(
            group_key(9, "favourite", Some(5), at, Some(&only_follows)),
            "ungrouped-9"
        );
        for key in [
            "favourite-5-2",
            "follow-2",
            "admin.sign_up-2",
            "ungrouped-9",
        ] {
            let parsed = GroupKey::parse(key).unwrap();
            let again = match &parsed {
                GroupKey::One(id) => format!("ungrouped-{id}"),
                GroupKey::Group {
                    kind,
                    status: Some(s),
                    bucket,
                } => format!("{kind}-{s}-{bucket}"),
                GroupKey::Group {
                    kind,
                    status: None,
                    bucket,
                } => format!("{kind}-{bucket}"),
            };
            assert_eq!(again, key);
        }
        for bad in [
            "",
            "follow",
            "mention-2",
            "favourite-2",
            "follow-1-2",
            "ungrouped-x",
            "x-y-z",
        ] {
            assert_eq!(GroupKey::parse(bad), None, "{bad}");
        }
        let (from, to) = GroupKey::window(2).unwrap();
        assert!(from <= at && at < to);
    }
}
