//! Request bodies as Mastodon clients send them: JSON, `application/x-www-form-urlencoded`
//! (with `key[]=a&key[]=b` arrays and booleans as `0`/`1`/`true`/`false`), `multipart/form-data`
//! (masto sends profile edits so), or no body at all. Every form becomes a JSON value first, so
//! one set of `Deserialize` types serves all of them.
//!
//! Every body, here and at the inbox, is read through `read_body`: bounded in size and in time
//! (`BodyDeadline`), so a client that sends slowly gets 408 instead of holding the request open.

use crate::error::ApiError;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// The largest API request body accepted (larger ones get 413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a client may take to send a whole request body, from the moment its handler starts
/// reading it. Set it with `App::app_data`; without it, `BodyDeadline::DEFAULT` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyDeadline(pub Duration);

impl BodyDeadline {
    /// 15 seconds: a 1 MiB activity at 70 KB/s, far more than any real sender needs.
    pub const DEFAULT: BodyDeadline = BodyDeadline(Duration::from_secs(15));

    /// The deadline configured for this request's app.
    pub fn of(req: &HttpRequest) -> Duration {
        req.app_data::<BodyDeadline>()
            .copied()
            .unwrap_or(BodyDeadline::DEFAULT)
            .0
    }
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// More than the limit was announced or sent.
    #[error("body too large")]
    TooLarge,
    /// The body did not arrive before the deadline.
    #[error("body not received in time")]
    TimedOut,
    /// The connection broke or the body was malformed (chunked encoding).
    #[error("could not read body: {0}")]
    Broken(String),
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::TooLarge => ApiError::PayloadTooLarge,
            ReadError::TimedOut => ApiError::RequestTimeout,
            ReadError::Broken(detail) => {
                ApiError::BadRequest(format!("Could not read body: {detail}"))
            }
        }
    }
}

/// Reads a whole body of at most `limit` bytes within `deadline`. A `Content-Length` over the
/// limit is refused before anything is read. When the deadline passes, the unread rest is
/// kept for the answer (`UnreadBody`).
pub async fn read_body(
    req: &HttpRequest,
    payload: Payload,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, ReadError> {
    let announced = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(ReadError::TooLarge);
    }
    let payload = SharedPayload::new(payload);
    let mut reading = payload.clone();
    let read = async move {
        let mut body = BytesMut::new();
        while let Some(chunk) = reading.next().await {
            let chunk = chunk.map_err(|e| ReadError::Broken(e.to_string()))?;
            if body.len() + chunk.len() > limit {
                return Err(ReadError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body.freeze())
    };
    match actix_web::rt::time::timeout(deadline, read).await {
        Ok(read) => read,
        Err(_) => {
            UnreadBody::keep(req, payload);
            Err(ReadError::TimedOut)
        }
    }
}

/// A request body that several readers can hold: the one reading it, and the answer that
/// keeps it open after a timeout.
#[derive(Clone)]
struct SharedPayload(Rc<RefCell<Payload>>);

impl SharedPayload {
    fn new(payload: Payload) -> SharedPayload {
        SharedPayload(Rc::new(RefCell::new(payload)))
    }
}

impl Stream for SharedPayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut *self.0.borrow_mut()).poll_next(cx)
    }
}

/// The unread rest of a body that did not arrive in time. It waits in the request's extensions
/// and `error_pages` moves it into the answer (`UnreadBody::hold`): while it is open when the
/// answer is written, actix closes the connection after answering. Dropped earlier, actix
/// would read and discard a chunked body for as long as the client kept sending it.
pub(crate) struct UnreadBody {
    _open: SharedPayload,
}

impl UnreadBody {
    fn keep(req: &HttpRequest, payload: SharedPayload) {
        req.extensions_mut().insert(UnreadBody { _open: payload });
    }

    /// Takes the unread body a request left, if any.
    pub(crate) fn take(req: &HttpRequest) -> Option<UnreadBody> {
        req.extensions_mut().remove::<UnreadBody>()
    }

    /// An answer's body that keeps this unread body open until it has been written.
    pub(crate) fn hold(self, body: BoxBody) -> BoxBody {
        BoxBody::new(Holding {
            body,
            _unread: self,
        })
    }
}

struct Holding {
    body: BoxBody,
    _unread: UnreadBody,
}

impl MessageBody for Holding {
    type Error = <BoxBody as MessageBody>::Error;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}

/// A request body parsed from JSON or a form into `T`.
#[derive(Debug)]
pub struct Body<T>(pub T);

/// Parses a urlencoded form into a JSON object; `a[]` keys and repeated keys become arrays,
/// `a[b]` keys become nested objects (`source[privacy]`).
pub fn form_to_json(bytes: &[u8]) -> Map<String, Value> {
    pairs_to_json(form_urlencoded_pairs(bytes))
}

/// Builds the JSON object for form fields (urlencoded or multipart).
fn pairs_to_json(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut map = Map::new();
    // Where each `a[N]` item went in `a`'s array.
    let mut indexed: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for (key, value) in pairs {
        let value = Value::String(value);
        if let Some((outer, index, inner)) = nested_item(&key) {
            // `a[][b]` or `a[N][b]`: fields of the items of an array of objects (Rails'
            // nested attributes, `keywords_attributes[][keyword]`).
            let entry = map
                .entry(outer.to_owned())
                .or_insert_with(|| Value::Array(vec![]));
            let Value::Array(items) = entry else { continue };
            let slot = match index {
                // A new item starts when the last one has this field already.
                "" => match items.last() {
                    Some(Value::Object(last)) if !last.contains_key(inner) => items.len() - 1,
                    _ => {
                        items.push(Value::Object(Map::new()));
                        items.len() - 1
                    }
                },
                n => *indexed
                    .entry((outer.to_owned(), n.to_owned()))
                    .or_insert_with(|| {
                        items.push(Value::Object(Map::new()));
                        items.len() - 1
                    }),
            };
            if let Some(Value::Object(item)) = items.get_mut(slot) {
                item.insert(inner.to_owned(), value);
            }
        } else if let Some(base) = key.strip_suffix("[]") {
            // `outer[inner][]` (`poll[options][]`): an array inside an object.
            let (target, base) = match split_nested(base) {
                Some((outer, inner)) => {
                    let entry = map
                        .entry(outer)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !entry.is_object() {
                        *entry = Value::Object(Map::new());
                    }
                    match entry {
                        Value::Object(obj) => (obj, inner),
                        _ => continue,
                    }
                }
                None => (&mut map, base.to_owned()),
            };
            match target.entry(base).or_insert_with(|| Value::Array(vec![])) {
                Value::Array(items) => items.push(value),
                other => *other = Value::Array(vec![other.take(), value]),
            }
        } else if let Some((outer, inner)) = key
            .split_once('[')
            .and_then(|(o, rest)| rest.strip_suffix(']').map(|i| (o.to_owned(), i.to_owned())))
        {
            let entry = map
                .entry(outer)
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(obj) = entry {
                obj.insert(inner, value);
            }
        } else {
            match map.get_mut(&key) {
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => *existing = Value::Array(vec![existing.take(), value]),
                None => {
                    map.insert(key, value);
                }
            }
        }
    }
    map
}

/// `a[N][b]` or `a[][b]` as (`a`, `N` or empty, `b`).
fn nested_item(key: &str) -> Option<(&str, &str, &str)> {
    let (outer, rest) = key.split_once('[')?;
    let (index, rest) = rest.split_once("][")?;
    let inner = rest.strip_suffix(']')?;
    let plain = |s: &str| !s.contains(['[', ']']);
    (plain(outer) && plain(index) && plain(inner) && !inner.is_empty())
        .then_some((outer, index, inner))
}

fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

/// `outer[inner]` as (outer, inner), for an `inner` without brackets.
fn split_nested(key: &str) -> Option<(String, String)> {
    let (outer, rest) = key.split_once('[')?;
    let inner = rest.strip_suffix(']')?;
    (!outer.is_empty() && !inner.is_empty() && !inner.contains(['[', ']']))
        .then(|| (outer.to_owned(), inner.to_owned()))
}

/// Parses a body according to its content type.
pub fn parse_body<T: DeserializeOwned>(content_type: &str, bytes: &[u8]) -> Result<T, ApiError> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let value = if bytes.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else if mime == "application/json" || mime.ends_with("+json") {
        serde_json::from_slice(bytes)
            .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {e}")))?
    } else if mime == "application/x-www-form-urlencoded" || mime.is_empty() {
        Value::Object(form_to_json(bytes))
    } else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "Unsupported content type {mime:?}; send JSON or a form"
        )));
    };
    from_json_value(value)
}

fn from_json_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    if has_nul(&value) {
        // PostgreSQL cannot store it (SQLite can): refused alike on both.
        return Err(ApiError::Unprocessable(
            "Validation failed: text may not contain NUL characters".into(),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::Unprocessable(format!("Validation failed: {e}")))
}

/// Whether any string or key in a body holds a NUL character.
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
}

/// Reads the text fields of a multipart body, within the same size limit as other bodies
/// (the caller puts the deadline on it). File parts are refused here: uploads go to the media
/// endpoints, which read them with `read_upload`.
async fn multipart_pairs(
    req: &HttpRequest,
    payload: SharedPayload,
) -> Result<Vec<(String, String)>, ApiError> {
    let malformed =
        |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("Malformed multipart body: {e}"));
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut pairs = Vec::new();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| malformed(&e))?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .is_some();
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| malformed(&e))?;
            total += chunk.len();
            if total > MAX_BODY_BYTES {
                return Err(ApiError::PayloadTooLarge);
            }
            value.extend_from_slice(&chunk);
        }
        if is_file {
            return Err(ApiError::Unprocessable(format!(
                "Validation failed: a file ({name}) is not expected here; upload media to /api/v2/media"
            )));
        }
        let text = String::from_utf8(value)
            .map_err(|_| ApiError::BadRequest(format!("Field {name:?} is not UTF-8 text")))?;
        pairs.push((name, text));
    }
    Ok(pairs)
}

/// A multipart upload: its one file part (`file`) and its text fields.
#[derive(Debug, Default)]
pub struct Upload {
    /// The bytes of the part named `file`, if one was sent.
    pub file: Option<Bytes>,
    /// The text fields, as a JSON object (see `pairs_to_json`).
    pub fields: Map<String, Value>,
}

/// Reads a multipart upload (media): the part named `file` may hold up to `max_file` bytes,
/// the text fields together `MAX_BODY_BYTES`; other file parts (a custom `thumbnail`) are
/// read and dropped within the same overall cap. A `Content-Length` over the cap is refused
/// before reading. The whole body must arrive within `deadline`, else 408 as for other bodies.
pub async fn read_upload(
    req: &HttpRequest,
    payload: Payload,
    max_file: usize,
    deadline: Duration,
) -> Result<Upload, ApiError> {
    let cap = max_file + MAX_BODY_BYTES;
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_multipart(content_type) {
        return Err(ApiError::Unprocessable(
            "Validation failed: send the file as multipart/form-data".into(),
        ));
    }
    let announced = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > cap as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    let payload = SharedPayload::new(payload);
    let reading = read_upload_parts(req, payload.clone(), max_file, cap);
    match actix_web::rt::time::timeout(deadline, reading).await {
        Ok(upload) => upload,
        Err(_) => {
            UnreadBody::keep(req, payload);
            Err(ApiError::RequestTimeout)
        }
    }
}

async fn read_upload_parts(
    req: &HttpRequest,
    payload: SharedPayload,
    max_file: usize,
    cap: usize,
) -> Result<Upload, ApiError> {
    let malformed =
        |e: &dyn std::fmt::Display| ApiError::BadRequest(format!("Malformed multipart body: {e}"));
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut upload = Upload::default();
    let mut pairs = Vec::new();
    let (mut total, mut text) = (0usize, 0usize);
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| malformed(&e))?;
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .is_some();
        let keep_file = is_file && name == "file" && upload.file.is_none();
        let mut value = BytesMut::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| malformed(&e))?;
            total += chunk.len();
            if total > cap {
                return Err(ApiError::PayloadTooLarge);
            }
            if keep_file {
                if value.len() + chunk.len() > max_file {
                    return Err(ApiError::PayloadTooLarge);
                }
                value.extend_from_slice(&chunk);
            } else if !is_file {
                text += chunk.len();
                if text > MAX_BODY_BYTES {
                    return Err(ApiError::PayloadTooLarge);
                }
                value.extend_from_slice(&chunk);
            }
        }
        if keep_file {
            upload.file = Some(value.freeze());
        } else if !is_file {
            let value = String::from_utf8(value.to_vec())
                .map_err(|_| ApiError::BadRequest(format!("Field {name:?} is not UTF-8 text")))?;
            pairs.push((name, value));
        }
    }
    upload.fields = pairs_to_json(pairs);
    Ok(upload)
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let deadline = BodyDeadline::of(req);
        if req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_multipart)
        {
            let req = req.clone();
            let payload = SharedPayload::new(payload.take());
            return Box::pin(async move {
                let reading = multipart_pairs(&req, payload.clone());
                let Ok(pairs) = actix_web::rt::time::timeout(deadline, reading).await else {
                    UnreadBody::keep(&req, payload);
                    return Err(ApiError::RequestTimeout);
                };
                let pairs = pairs?;
                from_json_value(Value::Object(pairs_to_json(pairs))).map(Body)
            });
        }
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bytes = read_body(&req, payload, MAX_BODY_BYTES, deadline).await?;
            parse_body(&content_type, &bytes).map(Body)
        })
    }
}

/// Reads a boolean the way Rails does: `true`/`false`, `1`/`0`, `on`/`off`, `yes`/`no`.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(b),
        Some(Value::Number(n)) => Some(n.as_i64() != Some(0)),
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" | "t" => Some(true),
            "0" | "false" | "off" | "no" | "f" | "" => Some(false),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "{other:?} is not a boolean"
                )))
            }
        },
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "{other} is not a boolean"
            )))
        }
    })
}

/// Reads a list given as an array, or as one string split on whitespace/newlines.
pub fn string_or_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.split_whitespace().map(str::to_owned).collect()),
        Some(Value::Array(items)) => Some(
            items
                .into_iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s),
                    other => Err(serde::de::Error::custom(format!("{other} is not a string"))),
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(other) => return Err(serde::de::Error::custom(format!("{other} is not a list"))),
    })
}

/// Reads a string that a client may send as a number (`"limit": 20`).
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => return Err(serde::de::Error::custom(format!("{other} is not a string"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    struct Sample {
        name: String,
        #[serde(default, deserialize_with = "lenient_bool")]
        locked: Option<bool>,
        #[serde(default, deserialize_with = "string_or_list")]
        uris: Option<Vec<String>>,
    }

    #[test]
    fn nested_attributes_become_arrays_of_objects() {
        let map = form_to_json(
            b"k[][keyword]=a&k[][whole_word]=1&k[][keyword]=b&j[0][id]=1&j[1][id]=2&j[0][x]=y",
        );
        assert_eq!(
            Value::Object(map),
            serde_json::json!({
                "k": [{"keyword": "a", "whole_word": "1"}, {"keyword": "b"}],
                "j": [{"id": "1", "x": "y"}, {"id": "2"}],
            })
        );
    }

    #[test]
    fn forms_and_json_parse_alike() {
        let form: Sample = parse_body(
            "application/x-www-form-urlencoded",
            b"name=a%20b&locked=1&uris[]=x&uris[]=y",
        )
        .unwrap();
        assert_eq!(form.name, "a b");
        assert_eq!(form.locked, Some(true));
        assert_eq!(form.uris.unwrap(), ["x", "y"]);
        let json: Sample = parse_body(
            "application/json; charset=utf-8",
            br#"{"name":"c","locked":false,"uris":"x\ny"}"#,
        )
        .unwrap();
        assert_eq!(json.locked, Some(false));
        assert_eq!(json.uris.unwrap(), ["x", "y"]);
        assert!(parse_body::<Sample>("application/json", b"{bad").is_err());
        assert!(matches!(
            parse_body::<Sample>("text/plain", b"name=x"),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        for (mime, body) in [
            ("application/json", &br#"{"name":"a\u0000"}"#[..]),
            ("application/x-www-form-urlencoded", b"name=a&uris[]=%00"),
        ] {
            assert!(matches!(
                parse_body::<Sample>(mime, body),
                Err(ApiError::Unprocessable(_))
            ));
        }
        let nested = form_to_json(b"source[privacy]=public&source[sensitive]=0");
        assert_eq!(nested["source"]["privacy"], "public");
        let poll =
            form_to_json(b"poll[options][]=a&poll[options][]=b&poll[expires_in]=300&media_ids[]=1");
        assert_eq!(poll["poll"]["options"], serde_json::json!(["a", "b"]));
        assert_eq!(poll["poll"]["expires_in"], "300");
        assert_eq!(poll["media_ids"], serde_json::json!(["1"]));
    }
}
