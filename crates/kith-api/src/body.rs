//! Request bodies as Mastodon clients send them: JSON, `application/x-www-form-urlencoded`
//! (with `key[]=a&key[]=b` arrays and booleans as `0`/`1`/`true`/`false`), `multipart/form-data`
//! (masto sends profile edits so), or no body at all. Every form becomes a JSON value first, so
//! one set of `Deserialize` types serves all of them.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::future::Future;
use std::pin::Pin;

/// The largest API request body accepted (larger ones get 413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

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
    for (key, value) in pairs {
        let value = Value::String(value);
        if let Some(base) = key.strip_suffix("[]") {
            match map
                .entry(base.to_owned())
                .or_insert_with(|| Value::Array(vec![]))
            {
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

fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
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

/// Reads the text fields of a multipart body, within the same size limit as other bodies.
/// File parts are refused: Kith stores no uploaded media yet.
async fn multipart_pairs(
    req: &HttpRequest,
    payload: Payload,
) -> Result<Vec<(String, String)>, ApiError> {
    use futures::StreamExt;
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
                "Validation failed: file uploads ({name}) are not supported yet"
            )));
        }
        let text = String::from_utf8(value)
            .map_err(|_| ApiError::BadRequest(format!("Field {name:?} is not UTF-8 text")))?;
        pairs.push((name, text));
    }
    Ok(pairs)
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(is_multipart)
        {
            let req = req.clone();
            let payload = payload.take();
            return Box::pin(async move {
                let pairs = multipart_pairs(&req, payload).await?;
                from_json_value(Value::Object(pairs_to_json(pairs))).map(Body)
            });
        }
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                use actix_web::error::PayloadError;
                match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::PayloadTooLarge,
                    _ => ApiError::BadRequest(format!("Could not read body: {e}")),
                }
            })?;
            if bytes.len() > MAX_BODY_BYTES {
                return Err(ApiError::PayloadTooLarge);
            }
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
    }
}
