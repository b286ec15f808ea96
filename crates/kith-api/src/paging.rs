//! Pagination as Mastodon does it: `max_id`/`since_id`/`min_id`/`limit` in, a `Link` header
//! with `next` and `prev` out.

use actix_web::{HttpRequest, HttpResponse};
use kith_storage::statuses::Page;
use serde::Deserialize;

/// Query parameters of a paged list. Each is checked when the query is read: an id that is
/// not a number, or a `limit` that is not a whole number of zero or more, fails the
/// extraction, which the app answers 422 (see `QueryConfig` in `configure`). An empty value
/// counts as absent; a `limit` above a list's maximum is clamped to it, as Mastodon does.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// Items older than this id.
    #[serde(default, deserialize_with = "id_param")]
    pub max_id: Option<String>,
    /// Items newer than this id (the newest first).
    #[serde(default, deserialize_with = "id_param")]
    pub since_id: Option<String>,
    /// Items newer than this id (the oldest first: the page just after it).
    #[serde(default, deserialize_with = "id_param")]
    pub min_id: Option<String>,
    /// How many items, at most.
    #[serde(default, deserialize_with = "limit_param")]
    pub limit: Option<String>,
}

/// A parameter given as a string, or a number when the query came as JSON-like data.
#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Text(String),
    Number(i64),
}

fn raw_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Raw>::deserialize(d)? {
        None => None,
        Some(Raw::Number(n)) => Some(n.to_string()),
        Some(Raw::Text(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
    })
}

fn id_param<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = raw_param(d)?;
    match &v {
        Some(s) if s.parse::<i64>().map_or(true, |n| n < 0) => {
            Err(serde::de::Error::custom(format!("{s:?} is not an id")))
        }
        _ => Ok(v),
    }
}

/// `limit`: a whole number of zero or more (an empty value counts as absent), else the
/// extraction fails (422). Clamping to a list's maximum is the caller's.
pub(crate) fn limit_param<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    count_param(d, "limit")
}

/// `offset`: the same rule as `limit`.
pub(crate) fn offset_param<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    count_param(d, "offset")
}

fn count_param<'de, D: serde::Deserializer<'de>>(
    d: D,
    name: &str,
) -> Result<Option<String>, D::Error> {
    let v = raw_param(d)?;
    match &v {
        Some(s) if s.parse::<i64>().map_or(true, |n| n < 0) => Err(serde::de::Error::custom(
            format!("{name} must be a whole number of zero or more, not {s:?}"),
        )),
        _ => Ok(v),
    }
}

fn id(s: &Option<String>) -> Option<i64> {
    s.as_deref().and_then(|v| v.parse().ok())
}

impl PageQuery {
    /// The page asked for, with `limit` defaulting to `default` and capped at `max`.
    pub fn page(&self, default: i64, max: i64) -> Page {
        Page {
            max_id: id(&self.max_id),
            since_id: id(&self.since_id),
            min_id: id(&self.min_id),
            limit: self
                .limit
                .as_deref()
                .and_then(|l| l.parse().ok())
                .unwrap_or(default)
                .clamp(1, max),
        }
    }
}

/// A page of items (rendered as `body`) whose ids are `ids`, newest first, with its `Link`
/// header.
pub fn paged_json(
    req: &HttpRequest,
    base: &url::Url,
    ids: &[i64],
    body: impl serde::Serialize,
) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    if let Some(link) = link_header(req, base, ids) {
        res.insert_header(("Link", link));
    }
    res.json(body)
}

/// The `Link` header for a page whose items have these ids (newest first).
pub fn link_header(req: &HttpRequest, base: &url::Url, ids: &[i64]) -> Option<String> {
    let (first, last) = (ids.first()?, ids.last()?);
    let keep: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .filter(|(k, _)| !matches!(k.as_str(), "max_id" | "since_id" | "min_id"))
        .collect();
    let link = |key: &str, value: i64| {
        let mut url = base.clone();
        url.set_path(req.path());
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in &keep {
                q.append_pair(k, v);
            }
            q.append_pair(key, &value.to_string());
        }
        url.to_string()
    };
    Some(format!(
        "<{}>; rel=\"next\", <{}>; rel=\"prev\"",
        link("max_id", *last),
        link("min_id", *first)
    ))
}
