//! Polls as ActivityStreams `Question`s, as Mastodon sends and reads them: the options in
//! `oneOf` (single choice) or `anyOf` (multiple choice), each a `Note` with a `name` and its
//! votes as `replies.totalItems`; `endTime`, `closed` (when it ended) and `votersCount`.
//! A vote is a `Note` with the option as `name`, answering the Question (`inReplyTo`).

use super::values::first_string;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

/// A received poll, read leniently and whole; `convert` cuts it to Kith's limits.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionIn {
    /// Whether the options came as `anyOf`.
    pub multiple: bool,
    /// (name, votes) per option, in order.
    pub options: Vec<(String, i64)>,
    /// When it ends.
    pub end_time: Option<DateTime<Utc>>,
    /// When it ended, if its server says it has (`closed: true` without a date reads as
    /// `endTime`, or as "now" to the caller when that is missing too).
    pub closed: Option<Option<DateTime<Utc>>>,
    /// Distinct voters, if sent.
    pub voters_count: Option<i64>,
}

fn date(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// A non-negative count, clamped to a billion (a count past that is a lie or an attack).
fn count(v: Option<&Value>) -> Option<i64> {
    let n = v?;
    let n = n
        .as_i64()
        .or_else(|| n.as_u64().map(|_| i64::MAX))
        .or_else(|| n.as_f64().map(|f| f as i64))?;
    Some(n.clamp(0, 1_000_000_000))
}

/// The poll of a `Question` object, if it has options (`oneOf` wins over `anyOf`, as in
/// Mastodon). Options without a name are skipped.
pub fn parse_question(o: &Map<String, Value>) -> Option<QuestionIn> {
    let (list, multiple) = match (o.get("oneOf"), o.get("anyOf")) {
        (Some(v), _) if !v.is_null() => (v, false),
        (_, Some(v)) if !v.is_null() => (v, true),
        _ => return None,
    };
    let items = match list {
        Value::Array(a) => a.iter().collect::<Vec<_>>(),
        other => vec![other],
    };
    let options: Vec<(String, i64)> = items
        .iter()
        .filter_map(|item| {
            let name = item.get("name").and_then(first_string).or_else(|| {
                item.get("nameMap")
                    .and_then(Value::as_object)
                    .and_then(|m| m.values().find_map(first_string))
            })?;
            let votes = item
                .get("replies")
                .and_then(|r| count(r.get("totalItems")))
                .unwrap_or(0);
            Some((name, votes))
        })
        .collect();
    if options.is_empty() {
        return None;
    }
    let closed = match o.get("closed") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => None,
        Some(Value::Bool(true)) => Some(None),
        Some(v) => date(Some(v)).map(Some),
    };
    Some(QuestionIn {
        multiple,
        options,
        end_time: date(o.get("endTime")),
        closed,
        voters_count: count(o.get("votersCount")),
    })
}

/// What Kith sends of one of its polls.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionOut {
    /// Multiple choice (`anyOf`) or not (`oneOf`).
    pub multiple: bool,
    /// (title, votes) per option.
    pub options: Vec<(String, i64)>,
    /// When it ends.
    pub end_time: Option<DateTime<Utc>>,
    /// When it ended, once it has.
    pub closed: Option<DateTime<Utc>>,
    /// Distinct voters.
    pub voters_count: Option<i64>,
}

impl QuestionOut {
    /// Turns a Note's JSON into the Question carrying this poll.
    pub fn apply(&self, note: &mut Map<String, Value>) {
        let stamp = |d: DateTime<Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        note.insert("type".into(), json!("Question"));
        let options: Vec<Value> = self
            .options
            .iter()
            .map(|(name, votes)| {
                json!({
                    "type": "Note", "name": name,
                    "replies": {"type": "Collection", "totalItems": votes},
                })
            })
            .collect();
        let key = if self.multiple { "anyOf" } else { "oneOf" };
        note.insert(key.into(), Value::Array(options));
        if let Some(end) = self.end_time {
            note.insert("endTime".into(), json!(stamp(end)));
        }
        if let Some(closed) = self.closed {
            note.insert("closed".into(), json!(stamp(closed)));
        }
        if let Some(n) = self.voters_count {
            note.insert("votersCount".into(), json!(n));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_round_trip_and_read_leniently() {
        let out = QuestionOut {
            multiple: true,
            options: vec![("tea".into(), 3), ("coffee".into(), 1)],
            end_time: Some(Utc::now()),
            closed: None,
            voters_count: Some(3),
        };
        let mut m = Map::new();
        out.apply(&mut m);
        let q = parse_question(&m).unwrap();
        assert!(q.multiple);
        assert_eq!(q.options, out.options);
        assert_eq!(q.voters_count, Some(3));
        assert_eq!(q.closed, None);
        // One option as an object, a huge count, a name in a map, `closed: true`.
        let v = json!({"oneOf": {"type": "Note", "nameMap": {"en": "yes"},
            "replies": {"totalItems": 1e300}}, "closed": true, "votersCount": -5});
        let q = parse_question(v.as_object().unwrap()).unwrap();
        assert_eq!(q.options, vec![("yes".to_owned(), 1_000_000_000)]);
        assert_eq!(q.closed, Some(None));
        assert_eq!(q.voters_count, Some(0));
        assert!(parse_question(json!({"oneOf": []}).as_object().unwrap()).is_none());
        assert!(parse_question(json!({}).as_object().unwrap()).is_none());
    }
}
