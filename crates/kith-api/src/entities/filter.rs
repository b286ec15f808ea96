//! Filters as Mastodon shows them: `Filter` (v2, with its `FilterKeyword`s and
//! `FilterStatus`es), `FilterResult` (on a matching `Status`), and the v1 `V1Filter` (one per
//! keyword of a v2 filter, as Mastodon serves v1 on top of v2).

use super::timestamp;
use kith_core::filters::{decode_contexts, FilterMatch};
use kith_storage::filters::{Filter as FilterRow, FilterStatus as FilterStatusRow, Keyword};
use serde::Serialize;

/// Mastodon's `Filter`.
#[derive(Debug, Clone, Serialize)]
pub struct Filter {
    pub id: String,
    pub title: String,
    pub context: Vec<&'static str>,
    pub expires_at: Option<String>,
    pub filter_action: String,
    /// Left out inside a `FilterResult`, as Mastodon does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<FilterKeyword>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<FilterStatus>>,
}

/// Mastodon's `FilterKeyword`.
#[derive(Debug, Clone, Serialize)]
pub struct FilterKeyword {
    pub id: String,
    pub keyword: String,
    pub whole_word: bool,
}

/// Mastodon's `FilterStatus`.
#[derive(Debug, Clone, Serialize)]
pub struct FilterStatus {
    pub id: String,
    pub status_id: String,
}

/// Mastodon's `FilterResult`.
#[derive(Debug, Clone, Serialize)]
pub struct FilterResult {
    pub filter: Filter,
    pub keyword_matches: Option<Vec<String>>,
    pub status_matches: Option<Vec<String>>,
}

/// Mastodon's v1 `Filter` (`V1Filter`).
#[derive(Debug, Clone, Serialize)]
pub struct V1Filter {
    pub id: String,
    pub phrase: String,
    pub context: Vec<&'static str>,
    pub whole_word: bool,
    pub expires_at: Option<String>,
    pub irreversible: bool,
}

fn contexts(row: &FilterRow) -> Vec<&'static str> {
    decode_contexts(&row.context)
        .into_iter()
        .map(|c| c.as_str())
        .collect()
}

/// A keyword as shown.
pub fn keyword_to_api(k: &Keyword) -> FilterKeyword {
    FilterKeyword {
        id: k.id.to_string(),
        keyword: k.keyword.clone(),
        whole_word: k.whole_word,
    }
}

/// A filter status as shown.
pub fn status_to_api(s: &FilterStatusRow) -> FilterStatus {
    FilterStatus {
        id: s.id.to_string(),
        status_id: s.status_id.to_string(),
    }
}

/// A filter as shown on its own (with its keywords and statuses) or inside a result
/// (without them: `rules` is `None`).
pub fn filter_to_api(row: &FilterRow, rules: Option<(&[Keyword], &[FilterStatusRow])>) -> Filter {
    Filter {
        id: row.id.to_string(),
        title: row.title.clone(),
        context: contexts(row),
        expires_at: row.expires_at.map(timestamp),
        filter_action: row.filter_action.clone(),
        keywords: rules.map(|(k, _)| k.iter().map(keyword_to_api).collect()),
        statuses: rules.map(|(_, s)| s.iter().map(status_to_api).collect()),
    }
}

/// A match as the `filtered` item of a `Status`.
pub fn result_to_api(m: &FilterMatch<'_>) -> FilterResult {
    FilterResult {
        filter: filter_to_api(&m.filter.filter, None),
        keyword_matches: Some(m.keyword_matches.clone()),
        status_matches: Some(m.status_matches.iter().map(i64::to_string).collect()),
    }
}

/// A v2 filter's keyword as a v1 filter (its id is the keyword's, as on Mastodon).
pub fn v1_filter_to_api(row: &FilterRow, keyword: &Keyword) -> V1Filter {
    V1Filter {
        id: keyword.id.to_string(),
        phrase: keyword.keyword.clone(),
        context: contexts(row),
        whole_word: keyword.whole_word,
        expires_at: row.expires_at.map(timestamp),
        irreversible: row.filter_action == "hide",
    }
}
