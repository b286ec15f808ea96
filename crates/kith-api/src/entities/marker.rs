//! Mastodon's `Marker`, as the markers endpoints answer: an object keyed by timeline.

use super::timestamp;
use kith_storage::markers::Marker as MarkerRow;
use serde::Serialize;
use std::collections::BTreeMap;

/// Mastodon's `Marker`.
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub last_read_id: String,
    pub version: i64,
    pub updated_at: String,
}

/// `{"home": Marker, "notifications": Marker}`, with the timelines that have one.
pub fn markers_to_api(rows: &[MarkerRow]) -> BTreeMap<String, Marker> {
    rows.iter()
        .map(|m| {
            (
                m.timeline.clone(),
                Marker {
                    last_read_id: m.last_read_id.to_string(),
                    version: m.version,
                    updated_at: timestamp(m.updated_at),
                },
            )
        })
        .collect()
}
