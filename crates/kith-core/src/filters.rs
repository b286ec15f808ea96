//! Filters: the one place that decides whether a person's filters match a status, and in
//! which context. Mastodon's rules: a keyword matches case-insensitively anywhere in the
//! status's text (content, content warning, media descriptions, poll options); with
//! `whole_word` it must not continue a word on either side (Unicode word characters: a
//! keyword starting or ending with a non-word character has no boundary to respect on that
//! side). A status also matches a filter that names it (or, for a boost, the boosted post).
//! Expired filters match nothing.

use crate::CoreError;
use chrono::NaiveDateTime;
use kith_storage::filters::{self as rows, Filter};
use kith_storage::{DbConn, StorageError};
use regex::Regex;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// Where a filter applies, as Mastodon names the contexts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FilterContext {
    /// The home timeline and lists.
    Home,
    /// Notifications.
    Notifications,
    /// Public and hashtag timelines.
    Public,
    /// A status with its thread.
    Thread,
    /// An account's statuses.
    Account,
}

impl FilterContext {
    /// Every context, in Mastodon's order.
    pub const ALL: [FilterContext; 5] = [
        FilterContext::Home,
        FilterContext::Notifications,
        FilterContext::Public,
        FilterContext::Thread,
        FilterContext::Account,
    ];

    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterContext::Home => "home",
            FilterContext::Notifications => "notifications",
            FilterContext::Public => "public",
            FilterContext::Thread => "thread",
            FilterContext::Account => "account",
        }
    }
}

impl FromStr for FilterContext {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, CoreError> {
        FilterContext::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| CoreError::Invalid(format!("Context {s:?} is not a valid context")))
    }
}

/// What a matching filter does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterAction {
    /// Show the status behind a warning (the client reads `filtered`).
    Warn,
    /// Leave the status out.
    Hide,
    /// Show the status with its media blurred (Mastodon 4.4).
    Blur,
}

impl FilterAction {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            FilterAction::Warn => "warn",
            FilterAction::Hide => "hide",
            FilterAction::Blur => "blur",
        }
    }

    /// A stored word; an unknown one reads as `warn` (the mildest).
    pub fn of(word: &str) -> FilterAction {
        word.parse().unwrap_or(FilterAction::Warn)
    }
}

impl FromStr for FilterAction {
    type Err = CoreError;

    fn from_str(s: &str) -> Result<Self, CoreError> {
        match s {
            "warn" => Ok(FilterAction::Warn),
            "hide" => Ok(FilterAction::Hide),
            "blur" => Ok(FilterAction::Blur),
            other => Err(CoreError::Invalid(format!(
                "Filter action {other:?} is not one of warn, hide, blur"
            ))),
        }
    }
}

/// Reads the contexts a client sent: at least one, each a known word (repeats ignored).
pub fn parse_contexts(words: &[String]) -> Result<Vec<FilterContext>, CoreError> {
    let mut out = Vec::new();
    for w in words {
        let c: FilterContext = w.trim().parse()?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(CoreError::Invalid("Context can't be blank".into()));
    }
    Ok(out)
}

/// The stored form of a set of contexts.
pub fn encode_contexts(contexts: &[FilterContext]) -> String {
    contexts
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A stored set of contexts (unknown words skipped).
pub fn decode_contexts(stored: &str) -> Vec<FilterContext> {
    stored.split(',').filter_map(|w| w.parse().ok()).collect()
}

/// Checks a filter title: not blank, within `MAX_FILTER_TITLE_CHARS`.
pub fn validate_title(title: &str) -> Result<String, CoreError> {
    let title = title.trim();
    if title.is_empty() {
        return Err(CoreError::Invalid("Title can't be blank".into()));
    }
    if title.chars().count() > crate::limits::MAX_FILTER_TITLE_CHARS {
        return Err(CoreError::Invalid("Title is too long".into()));
    }
    Ok(title.to_owned())
}

/// Checks a keyword: not blank, within `MAX_FILTER_KEYWORD_CHARS`.
pub fn validate_keyword(keyword: &str) -> Result<String, CoreError> {
    let keyword = keyword.trim();
    if keyword.is_empty() {
        return Err(CoreError::Invalid("Keyword can't be blank".into()));
    }
    if keyword.chars().count() > crate::limits::MAX_FILTER_KEYWORD_CHARS {
        return Err(CoreError::Invalid("Keyword is too long".into()));
    }
    Ok(keyword.to_owned())
}

/// When a filter made now with `expires_in` seconds expires (`None`: never). Mastodon takes
/// any positive number of seconds; zero or less is refused.
pub fn expires_at(
    expires_in: Option<i64>,
    now: NaiveDateTime,
) -> Result<Option<NaiveDateTime>, CoreError> {
    match expires_in {
        None => Ok(None),
        Some(s) if s <= 0 => Err(CoreError::Invalid(
            "Expires in must be a positive number of seconds".into(),
        )),
        Some(s) => {
            // Capped at about a hundred years, which is never for any reader.
            let s = s.min(100 * 366 * 24 * 3600);
            Ok(Some(now + chrono::Duration::seconds(s)))
        }
    }
}

/// Whether `c` counts as a word character (Unicode letters, marks, digits, connectors), as
/// `regex`'s `\b` sees it.
fn is_word_char(c: char) -> bool {
    // `\w` in `regex` is Unicode-aware: letters, marks, decimal digits, connector
    // punctuation and join controls.
    static WORD: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    WORD.get_or_init(|| Regex::new(r"^\w$").ok())
        .as_ref()
        .is_some_and(|w| w.is_match(c.encode_utf8(&mut [0; 4])))
}

/// The pattern for a keyword: case-insensitive, and with `whole_word` bounded by `\b` on each
/// side that starts or ends with a word character.
pub fn keyword_regex(keyword: &str, whole_word: bool) -> Option<Regex> {
    let escaped = regex::escape(keyword);
    let pattern = if whole_word {
        let start = keyword.chars().next().is_some_and(is_word_char);
        let end = keyword.chars().last().is_some_and(is_word_char);
        format!(
            "(?i){}{escaped}{}",
            if start { r"\b" } else { "" },
            if end { r"\b" } else { "" }
        )
    } else {
        format!("(?i){escaped}")
    };
    regex::RegexBuilder::new(&pattern)
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// The text of a status that keywords are matched against: content (as text), content
/// warning, media descriptions and poll options, one block each.
pub fn searchable_text<'a>(
    content_html: &str,
    spoiler_text: &str,
    extra: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut parts = vec![
        spoiler_text.to_owned(),
        crate::html::html_to_text(content_html),
    ];
    parts.extend(extra.into_iter().map(str::to_owned));
    parts.join("\n\n")
}

/// A filter of one person's, ready to match.
#[derive(Debug)]
pub struct ActiveFilter {
    /// The stored filter.
    pub filter: Filter,
    /// Its keywords as stored.
    pub keywords: Vec<rows::Keyword>,
    /// The statuses it names, as (filter status id, status id).
    pub statuses: Vec<rows::FilterStatus>,
    contexts: Vec<FilterContext>,
    action: FilterAction,
    patterns: Vec<(String, Regex)>,
    status_ids: HashSet<i64>,
}

impl ActiveFilter {
    /// Compiles a stored filter with its keywords and statuses.
    pub fn new(
        filter: Filter,
        keywords: Vec<rows::Keyword>,
        statuses: Vec<rows::FilterStatus>,
    ) -> Self {
        let patterns = keywords
            .iter()
            .filter_map(|k| Some((k.keyword.clone(), keyword_regex(&k.keyword, k.whole_word)?)))
            .collect();
        ActiveFilter {
            contexts: decode_contexts(&filter.context),
            action: FilterAction::of(&filter.filter_action),
            status_ids: statuses.iter().map(|s| s.status_id).collect(),
            patterns,
            filter,
            keywords,
            statuses,
        }
    }

    /// What the filter does.
    pub fn action(&self) -> FilterAction {
        self.action
    }
}

/// One filter that matched a status.
#[derive(Debug, Clone)]
pub struct FilterMatch<'a> {
    /// The filter.
    pub filter: &'a ActiveFilter,
    /// Its keywords that matched, as written.
    pub keyword_matches: Vec<String>,
    /// The status ids it names that matched.
    pub status_matches: Vec<i64>,
}

/// One person's unexpired filters, loaded once for a set of statuses.
#[derive(Debug, Default)]
pub struct Filters {
    active: Vec<ActiveFilter>,
}

impl Filters {
    /// `owner`'s filters that have not expired at `now` (three queries).
    pub fn load(
        conn: &mut DbConn,
        owner: i64,
        now: NaiveDateTime,
    ) -> Result<Filters, StorageError> {
        let filters = rows::active_of(conn, owner, now)?;
        if filters.is_empty() {
            return Ok(Filters::default());
        }
        let ids: Vec<i64> = filters.iter().map(|f| f.id).collect();
        let mut keywords: HashMap<i64, Vec<rows::Keyword>> = HashMap::new();
        for k in rows::keywords_of(conn, &ids)? {
            keywords.entry(k.filter_id).or_default().push(k);
        }
        let mut statuses: HashMap<i64, Vec<rows::FilterStatus>> = HashMap::new();
        for s in rows::statuses_of(conn, &ids)? {
            statuses.entry(s.filter_id).or_default().push(s);
        }
        Ok(Filters::new(
            filters
                .into_iter()
                .map(|f| {
                    let k = keywords.remove(&f.id).unwrap_or_default();
                    let s = statuses.remove(&f.id).unwrap_or_default();
                    ActiveFilter::new(f, k, s)
                })
                .collect(),
        ))
    }

    /// Filters already compiled.
    pub fn new(active: Vec<ActiveFilter>) -> Filters {
        Filters { active }
    }

    /// Whether any filter applies in `context`.
    pub fn applies_in(&self, context: FilterContext) -> bool {
        self.active.iter().any(|f| f.contexts.contains(&context))
    }

    /// Whether any filter in `context` has keywords (so the status text is needed).
    pub fn needs_text(&self, context: FilterContext) -> bool {
        self.active
            .iter()
            .any(|f| f.contexts.contains(&context) && !f.patterns.is_empty())
    }

    /// The filters applying in `context` that match a status whose ids (its own, and for a
    /// boost the boosted post's) are `status_ids` and whose text is `text`.
    pub fn matches(
        &self,
        context: FilterContext,
        status_ids: &[i64],
        text: &str,
    ) -> Vec<FilterMatch<'_>> {
        self.active
            .iter()
            .filter(|f| f.contexts.contains(&context))
            .filter_map(|f| {
                let keyword_matches: Vec<String> = f
                    .patterns
                    .iter()
                    .filter(|(_, re)| re.is_match(text))
                    .map(|(k, _)| k.clone())
                    .collect();
                let status_matches: Vec<i64> = status_ids
                    .iter()
                    .copied()
                    .filter(|id| f.status_ids.contains(id))
                    .collect();
                (!keyword_matches.is_empty() || !status_matches.is_empty()).then_some(FilterMatch {
                    filter: f,
                    keyword_matches,
                    status_matches,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(keyword: &str, whole_word: bool, text: &str) -> bool {
        keyword_regex(keyword, whole_word).unwrap().is_match(text)
    }

    #[test]
    fn keywords_match_case_insensitively() {
        assert!(matches("Rust", false, "i like rUST a lot"));
        assert!(matches("straße", false, "STRASSE or Straße"));
        assert!(matches("ΣΟΦΙΑ", false, "σοφια"));
    }

    #[test]
    fn whole_words_honour_unicode_boundaries() {
        assert!(matches("cat", true, "a cat."));
        assert!(matches("cat", true, "cat"));
        assert!(!matches("cat", true, "concatenate"));
        assert!(!matches("cat", true, "cats"));
        assert!(matches("cat", false, "concatenate"));
        // Letters beyond ASCII are word characters: no boundary inside "catés" or "écat".
        assert!(!matches("cat", true, "catés"));
        assert!(!matches("cat", true, "écat"));
        assert!(matches("café", true, "un café!"));
        assert!(!matches("café", true, "cafés"));
        // Digits and underscores continue a word too.
        assert!(!matches("cat", true, "cat2"));
        assert!(!matches("cat", true, "_cat"));
        // A keyword starting or ending with a non-word character is bounded only where it
        // has word characters.
        assert!(matches("#rust", true, "love#rust"));
        assert!(!matches("#rust", true, "#rustacean"));
        assert!(matches("c++", true, "c++11"));
        // Regex syntax in a keyword is literal.
        assert!(!matches("a.c", false, "abc"));
        assert!(matches("a.c", false, "a.c"));
    }

    #[test]
    fn text_includes_warning_media_and_options() {
        let t = searchable_text(
            "<p>Hello <b>world</b></p>",
            "cw here",
            ["alt text", "option"],
        );
        assert!(t.contains("cw here") && t.contains("Hello world") && t.contains("alt text"));
        assert!(!t.contains("<b>"));
    }

    #[test]
    fn contexts_and_actions_parse_as_mastodon_names_them() {
        let words = vec!["home".to_owned(), "public".to_owned(), "home".to_owned()];
        let c = parse_contexts(&words).unwrap();
        assert_eq!(encode_contexts(&c), "home,public");
        assert_eq!(decode_contexts("home,public,bogus"), c);
        assert!(parse_contexts(&["nope".to_owned()]).is_err());
        assert!(parse_contexts(&[]).is_err());
        assert_eq!("blur".parse::<FilterAction>().unwrap(), FilterAction::Blur);
        assert!("drop".parse::<FilterAction>().is_err());
        assert!(expires_at(Some(0), kith_storage::now()).is_err());
    }

    #[test]
    fn a_filter_matches_in_its_contexts_only() {
        let now = kith_storage::now();
        let filter = Filter {
            id: 1,
            account_id: 1,
            title: "t".into(),
            context: "home".into(),
            filter_action: "hide".into(),
            expires_at: None,
            created_at: now,
        };
        let kw = rows::Keyword {
            id: 2,
            filter_id: 1,
            keyword: "spoiler".into(),
            whole_word: true,
        };
        let st = rows::FilterStatus {
            id: 3,
            filter_id: 1,
            status_id: 77,
        };
        let filters = Filters::new(vec![ActiveFilter::new(filter, vec![kw], vec![st])]);
        let m = filters.matches(FilterContext::Home, &[5], "a SPOILER!");
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].keyword_matches, vec!["spoiler"]);
        assert_eq!(m[0].filter.action(), FilterAction::Hide);
        assert!(filters
            .matches(FilterContext::Public, &[5], "a spoiler")
            .is_empty());
        let by_id = filters.matches(FilterContext::Home, &[9, 77], "nothing");
        assert_eq!(by_id[0].status_matches, vec![77]);
        assert!(filters
            .matches(FilterContext::Home, &[9], "spoilers")
            .is_empty());
    }
}
