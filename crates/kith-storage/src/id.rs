//! Time-ordered 64-bit ids ("snowflakes"), as Mastodon uses: the upper 47 bits below the sign
//! are milliseconds since the Unix epoch, the lower 16 bits a per-process sequence started at a
//! random point.
//! Sorting by id is sorting by creation time, which is what chronological timelines and
//! `max_id`/`since_id` pagination rely on. Remote posts are to get ids from their `published`
//! time ([`id_at`]), so that they sort where they belong.

use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

fn sequence() -> &'static AtomicU64 {
    static SEQ: OnceLock<AtomicU64> = OnceLock::new();
    SEQ.get_or_init(|| AtomicU64::new(rand::random::<u16>() as u64))
}

/// A new id for something created at `at`.
pub fn id_at(at: DateTime<Utc>) -> i64 {
    let millis = at.timestamp_millis().max(0) as u64 & ((1 << 47) - 1);
    let seq = sequence().fetch_add(1, Ordering::Relaxed) & 0xffff;
    ((millis << 16) | seq) as i64
}

/// A new id for something created now.
pub fn new_id() -> i64 {
    id_at(Utc::now())
}

/// The smallest id that can belong to something created at `at` (for time-bounded queries).
pub fn min_id_at(at: DateTime<Utc>) -> i64 {
    ((at.timestamp_millis().max(0) as u64) << 16) as i64
}

/// When something with this id was made (to the millisecond).
pub fn timestamp_of(id: i64) -> chrono::NaiveDateTime {
    let millis = (id as u64 >> 16) as i64;
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .naive_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_ordered_by_time() {
        let t0 = Utc::now();
        let a = id_at(t0);
        let b = id_at(t0);
        assert_ne!(a, b);
        let later = id_at(t0 + chrono::Duration::milliseconds(1));
        assert!(later > a.max(b));
        assert!(a >= min_id_at(t0) && a < min_id_at(t0 + chrono::Duration::milliseconds(1)));
    }
}
