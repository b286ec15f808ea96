//! Pagination as Mastodon does it: `max_id`/`since_id`/`min_id`/`limit` in, a `Link` header
//! with `next` and `prev` out.

use actix_web::{HttpRequest, HttpResponse};
use kith_storage::statuses::Page;
use serde::Deserialize;

/// Query parameters of a paged list.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub max_id: Option<String>,
    pub since_id: Option<String>,
    pub min_id: Option<String>,
    pub limit: Option<String>,
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
