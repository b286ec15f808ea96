//! Mastodon's `Tag` (as `tags/:name` and `followed_tags` answer it).

use chrono::{NaiveDate, NaiveDateTime};
use kith_core::InstanceUrls;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Days of history a tag shows (Mastodon's week).
pub const HISTORY_DAYS: i64 = 7;

/// A hashtag, with whether the viewer follows and features it, and its use on each of the last
/// seven days. The id is the normalized name (tags have no row of their own).
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub id: String,
    pub name: String,
    pub url: String,
    pub history: Vec<TagDay>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub following: Option<bool>,
    /// Whether the viewer features it on their profile (signed-in viewers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featuring: Option<bool>,
}

/// One day of a tag's use, as Mastodon renders it: numbers as strings, `day` the UTC midnight
/// that starts it in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TagDay {
    pub day: String,
    pub uses: String,
    pub accounts: String,
}

/// The first moment of the history window ending `today`: its oldest day's midnight.
pub fn history_since(today: NaiveDate) -> NaiveDateTime {
    (today - chrono::Duration::days(HISTORY_DAYS - 1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
}

/// A tag's last seven days, today first, from its uses (time, author) in the window: how many
/// public posts carried it each day and how many people wrote them.
pub fn tag_history(today: NaiveDate, uses: &[(NaiveDateTime, i64)]) -> Vec<TagDay> {
    let mut per_day: HashMap<NaiveDate, (usize, HashSet<i64>)> = HashMap::new();
    for (at, author) in uses {
        let day = per_day.entry(at.date()).or_default();
        day.0 += 1;
        day.1.insert(*author);
    }
    (0..HISTORY_DAYS)
        .map(|back| {
            let date = today - chrono::Duration::days(back);
            let (uses, accounts) = per_day
                .get(&date)
                .map(|(n, who)| (*n, who.len()))
                .unwrap_or((0, 0));
            TagDay {
                day: date
                    .and_hms_opt(0, 0, 0)
                    .unwrap_or_default()
                    .and_utc()
                    .timestamp()
                    .to_string(),
                uses: uses.to_string(),
                accounts: accounts.to_string(),
            }
        })
        .collect()
}

/// Tag `name` (normalized) as `viewer` sees it: `following` only for a signed-in viewer.
pub fn tag_to_api(
    name: &str,
    following: Option<bool>,
    history: Vec<TagDay>,
    urls: &InstanceUrls,
) -> Tag {
    Tag {
        id: name.to_owned(),
        name: name.to_owned(),
        url: format!("{}tags/{name}", urls.base()),
        history,
        following,
        featuring: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_counts_posts_and_people_per_day_today_first() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let at = |m: u32, d: u32, h: u32| {
            NaiveDate::from_ymd_opt(2026, m, d)
                .unwrap()
                .and_hms_opt(h, 0, 0)
                .unwrap()
        };
        let uses = [
            (at(12, 1, 9), 1),
            (at(12, 1, 23), 1),
            (at(12, 1, 10), 2),
            (at(11, 29, 0), 3),
            (at(11, 25, 12), 4), // the oldest day of the week
        ];
        let h = tag_history(today, &uses);
        assert_eq!(h.len(), 7);
        assert_eq!(h[0].day, "1796083200"); // 2026-12-01T00:00:00Z
        assert_eq!((h[0].uses.as_str(), h[0].accounts.as_str()), ("3", "2"));
        assert_eq!((h[1].uses.as_str(), h[1].accounts.as_str()), ("0", "0"));
        assert_eq!((h[2].uses.as_str(), h[2].accounts.as_str()), ("1", "1"));
        assert_eq!((h[6].uses.as_str(), h[6].accounts.as_str()), ("1", "1"));
        assert_eq!(h[6].day, "1795564800"); // 2026-11-25
        assert_eq!(history_since(today), at(11, 25, 0));
    }
}
