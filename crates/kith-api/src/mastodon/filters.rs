//! Filters: v2 (`/api/v2/filters`, their keywords and statuses) and v1 (`/api/v1/filters`),
//! which Mastodon serves on top of v2: a v1 filter is one keyword of a v2 filter, and
//! creating one makes a v2 filter titled with the phrase. Every change records
//! `filters_changed` for the owner's user stream in its own transaction. Matching is
//! `kith_core::filters`'; rendering applies it (`entities::status::apply_filters`).

use crate::auth::Auth;
use crate::body::{lenient_bool, string_or_number, Body};
use crate::entities::filter::{
    filter_to_api, keyword_to_api, status_to_api, v1_filter_to_api, Filter,
};
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_core::filters::{self as rules, FilterAction};
use kith_core::limits::{MAX_FILTERS, MAX_FILTER_KEYWORDS, MAX_FILTER_STATUSES};
use kith_core::CoreError;
use kith_federation::Data;
use kith_storage::filters::{self as rows, Filter as FilterRow, Keyword};
use kith_storage::stream_events::{self, Event};
use kith_storage::{statuses, DbConn, StorageError};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/filters", web::get().to(index))
        .route("/v2/filters", web::post().to(create))
        .route("/v2/filters/keywords/{id}", web::get().to(keyword_show))
        .route("/v2/filters/keywords/{id}", web::put().to(keyword_update))
        .route(
            "/v2/filters/keywords/{id}",
            web::delete().to(keyword_delete),
        )
        .route("/v2/filters/statuses/{id}", web::get().to(status_show))
        .route("/v2/filters/statuses/{id}", web::delete().to(status_delete))
        .route("/v2/filters/{id}", web::get().to(show))
        .route("/v2/filters/{id}", web::put().to(update))
        .route("/v2/filters/{id}", web::delete().to(destroy))
        .route("/v2/filters/{id}/keywords", web::get().to(keywords))
        .route("/v2/filters/{id}/keywords", web::post().to(keyword_create))
        .route("/v2/filters/{id}/statuses", web::get().to(filter_statuses))
        .route("/v2/filters/{id}/statuses", web::post().to(status_create))
        .route("/v1/filters", web::get().to(v1_index))
        .route("/v1/filters", web::post().to(v1_create))
        .route("/v1/filters/{id}", web::get().to(v1_show))
        .route("/v1/filters/{id}", web::put().to(v1_update))
        .route("/v1/filters/{id}", web::delete().to(v1_delete));
}

/// A field that may be sent empty to clear it: absent is `None`, present `Some` (an empty
/// string or `null` inside is `Some(None)`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    let v = string_or_number(d)?;
    Ok(Some(v.filter(|s| !s.trim().is_empty())))
}

/// A context list: an array, or one word (or several, space-separated).
fn contexts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    crate::body::string_or_list(d)
}

/// `keywords_attributes`: an array of objects, or an object of them keyed by index (Rails).
fn keyword_attributes<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<KeywordForm>>, D::Error> {
    let items = match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(Value::Object(map)) => map.into_iter().map(|(_, v)| v).collect(),
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "{other} is not a list of keywords"
            )))
        }
    };
    items
        .into_iter()
        .map(|v| serde_json::from_value(v).map_err(serde::de::Error::custom))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[derive(Debug, Default, Deserialize)]
struct KeywordForm {
    #[serde(default, deserialize_with = "string_or_number")]
    id: Option<String>,
    keyword: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    whole_word: Option<bool>,
    #[serde(default, rename = "_destroy", deserialize_with = "lenient_bool")]
    destroy: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct FilterForm {
    title: Option<String>,
    #[serde(default, deserialize_with = "contexts")]
    context: Option<Vec<String>>,
    filter_action: Option<String>,
    #[serde(default, deserialize_with = "present")]
    expires_in: Option<Option<String>>,
    #[serde(default, deserialize_with = "keyword_attributes")]
    keywords_attributes: Option<Vec<KeywordForm>>,
}

#[derive(Debug, Default, Deserialize)]
struct StatusForm {
    #[serde(default, deserialize_with = "string_or_number")]
    status_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct V1Form {
    phrase: Option<String>,
    #[serde(default, deserialize_with = "contexts")]
    context: Option<Vec<String>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    irreversible: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    whole_word: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    expires_in: Option<Option<String>>,
}

fn id_of(s: &str) -> ApiResult<i64> {
    s.parse().map_err(|_| ApiError::NotFound)
}

/// `expires_in` as an expiry: `None` for never.
fn expiry(expires_in: Option<&str>) -> Result<Option<chrono::NaiveDateTime>, CoreError> {
    let seconds = match expires_in {
        None => None,
        Some(s) => Some(
            s.trim()
                .parse::<f64>()
                .map_err(|_| CoreError::Invalid("Expires in must be a number of seconds".into()))?
                as i64,
        ),
    };
    rules::expires_at(seconds, kith_storage::now())
}

/// A filter with its keywords and statuses, as shown on its own.
fn full(c: &mut DbConn, row: &FilterRow) -> Result<Filter, StorageError> {
    let keywords = rows::keywords_of(c, &[row.id])?;
    let statuses = rows::statuses_of(c, &[row.id])?;
    Ok(filter_to_api(row, Some((&keywords, &statuses))))
}

fn owned(c: &mut DbConn, id: i64, me: i64) -> Result<FilterRow, CoreError> {
    rows::owned(c, id, me)?.ok_or(CoreError::NotFound)
}

/// Tells the owner's user streams that their filters changed (in the change's transaction).
fn changed(c: &mut DbConn, me: i64) -> Result<(), StorageError> {
    stream_events::record(c, Event::FiltersChanged { account: me })
}

/// Runs a filter change in one transaction: `f` checks everything before it writes, so a
/// refusal (`CoreError`) leaves nothing behind.
async fn change<T, F>(data: &Data, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, CoreError> + Send + 'static,
{
    let result = data
        .db
        .write(move |c| match f(c) {
            Ok(v) => Ok(Ok(v)),
            Err(CoreError::Storage(e)) => Err(e),
            Err(other) => Ok(Err(other)),
        })
        .await?;
    Ok(result?)
}

async fn index(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let body = data
        .db
        .read(move |c| {
            rows::of_owner(c, me)?
                .iter()
                .map(|f| full(c, f))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn show(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let body = of_own_filter(&data, me, id, full).await?;
    Ok(HttpResponse::Ok().json(body))
}

/// Reads `read` of `me`'s filter `id`; 404 if `me` has no such filter.
async fn of_own_filter<T, F>(data: &Data, me: i64, id: i64, read: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, &FilterRow) -> Result<T, StorageError> + Send + 'static,
{
    data.db
        .read(move |c| rows::owned(c, id, me)?.map(|f| read(c, &f)).transpose())
        .await?
        .ok_or(ApiError::NotFound)
}

/// The keyword changes a form asks for, checked: (updates and deletions of existing keywords
/// by id, new keywords).
struct KeywordChanges {
    update: Vec<(i64, Option<String>, Option<bool>)>,
    delete: Vec<i64>,
    add: Vec<(String, bool)>,
}

fn keyword_changes(forms: Vec<KeywordForm>) -> Result<KeywordChanges, CoreError> {
    let mut out = KeywordChanges {
        update: Vec::new(),
        delete: Vec::new(),
        add: Vec::new(),
    };
    for k in forms {
        match k.id.filter(|s| !s.trim().is_empty()) {
            Some(id) => {
                let id: i64 = id.trim().parse().map_err(|_| CoreError::NotFound)?;
                if k.destroy.unwrap_or(false) {
                    out.delete.push(id);
                } else {
                    let keyword = k
                        .keyword
                        .as_deref()
                        .map(rules::validate_keyword)
                        .transpose()?;
                    out.update.push((id, keyword, k.whole_word));
                }
            }
            // A new keyword marked for destruction is no keyword.
            None if k.destroy.unwrap_or(false) => {}
            None => out.add.push((
                rules::validate_keyword(k.keyword.as_deref().unwrap_or(""))?,
                k.whole_word.unwrap_or(false),
            )),
        }
    }
    Ok(out)
}

/// Applies checked keyword changes to filter `filter_id`: every id must be one of its
/// keywords, and the result within the cap; all is checked before anything is written.
fn apply_keywords(
    c: &mut DbConn,
    filter_id: i64,
    changes: KeywordChanges,
) -> Result<(), CoreError> {
    let existing = rows::keywords_of(c, &[filter_id])?;
    let mine = |id: &i64| existing.iter().any(|k| k.id == *id);
    if !changes.update.iter().all(|(id, _, _)| mine(id)) || !changes.delete.iter().all(mine) {
        return Err(CoreError::NotFound);
    }
    let mut deleted = changes.delete.clone();
    deleted.sort_unstable();
    deleted.dedup();
    let after = existing.len() as i64 - deleted.len() as i64 + changes.add.len() as i64;
    if after > MAX_FILTER_KEYWORDS {
        return Err(CoreError::Invalid(format!(
            "A filter cannot have more than {MAX_FILTER_KEYWORDS} keywords"
        )));
    }
    for (id, keyword, whole_word) in changes.update {
        if let Some(old) = existing.iter().find(|k| k.id == id) {
            rows::update_keyword(
                c,
                &Keyword {
                    id,
                    filter_id,
                    keyword: keyword.unwrap_or_else(|| old.keyword.clone()),
                    whole_word: whole_word.unwrap_or(old.whole_word),
                },
            )?;
        }
    }
    rows::delete_keywords(c, filter_id, &deleted)?;
    for (keyword, whole_word) in changes.add {
        rows::insert_keyword(
            c,
            &Keyword {
                id: kith_storage::id::new_id(),
                filter_id,
                keyword,
                whole_word,
            },
        )?;
    }
    Ok(())
}

async fn create(auth: Auth, body: Body<FilterForm>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let form = body.0;
    let title = rules::validate_title(form.title.as_deref().unwrap_or(""))?;
    let contexts = rules::parse_contexts(&form.context.unwrap_or_default())?;
    let action: FilterAction = form.filter_action.as_deref().unwrap_or("warn").parse()?;
    let expires_at = expiry(form.expires_in.flatten().as_deref())?;
    let changes = keyword_changes(form.keywords_attributes.unwrap_or_default())?;
    let body = change(&data, move |c| {
        if rows::count_of(c, me)? >= MAX_FILTERS {
            return Err(CoreError::Invalid(format!(
                "You cannot have more than {MAX_FILTERS} filters"
            )));
        }
        if changes.add.len() as i64 > MAX_FILTER_KEYWORDS {
            return Err(CoreError::Invalid(format!(
                "A filter cannot have more than {MAX_FILTER_KEYWORDS} keywords"
            )));
        }
        if !changes.update.is_empty() || !changes.delete.is_empty() {
            return Err(CoreError::NotFound);
        }
        let row = FilterRow {
            id: kith_storage::id::new_id(),
            account_id: me,
            title,
            context: rules::encode_contexts(&contexts),
            filter_action: action.as_str().to_owned(),
            expires_at,
            created_at: kith_storage::now(),
        };
        rows::insert(c, &row)?;
        apply_keywords(c, row.id, changes)?;
        changed(c, me)?;
        Ok(full(c, &row)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn update(
    auth: Auth,
    path: web::Path<String>,
    body: Body<FilterForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let form = body.0;
    let title = form
        .title
        .as_deref()
        .map(rules::validate_title)
        .transpose()?;
    let contexts = form
        .context
        .as_deref()
        .map(rules::parse_contexts)
        .transpose()?;
    let action = form
        .filter_action
        .as_deref()
        .map(str::parse::<FilterAction>)
        .transpose()?;
    let expires_at = form.expires_in.map(|e| expiry(e.as_deref())).transpose()?;
    let changes = keyword_changes(form.keywords_attributes.unwrap_or_default())?;
    let body = change(&data, move |c| {
        let mut row = owned(c, id, me)?;
        if let Some(t) = title {
            row.title = t;
        }
        if let Some(cs) = contexts {
            row.context = rules::encode_contexts(&cs);
        }
        if let Some(a) = action {
            row.filter_action = a.as_str().to_owned();
        }
        if let Some(e) = expires_at {
            row.expires_at = e;
        }
        apply_keywords(c, row.id, changes)?;
        rows::update(c, &row)?;
        changed(c, me)?;
        Ok(full(c, &row)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn destroy(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    change(&data, move |c| {
        let row = owned(c, id, me)?;
        rows::delete(c, row.id)?;
        changed(c, me)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn keywords(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let body = of_own_filter(&data, me, id, |c, f| rows::keywords_of(c, &[f.id])).await?;
    Ok(HttpResponse::Ok().json(body.iter().map(keyword_to_api).collect::<Vec<_>>()))
}

async fn keyword_create(
    auth: Auth,
    path: web::Path<String>,
    body: Body<KeywordForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let keyword = rules::validate_keyword(body.0.keyword.as_deref().unwrap_or(""))?;
    let whole_word = body.0.whole_word.unwrap_or(false);
    let row = change(&data, move |c| {
        let filter = owned(c, id, me)?;
        if rows::count_keywords(c, filter.id)? >= MAX_FILTER_KEYWORDS {
            return Err(CoreError::Invalid(format!(
                "A filter cannot have more than {MAX_FILTER_KEYWORDS} keywords"
            )));
        }
        let row = Keyword {
            id: kith_storage::id::new_id(),
            filter_id: filter.id,
            keyword,
            whole_word,
        };
        rows::insert_keyword(c, &row)?;
        changed(c, me)?;
        Ok(row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(keyword_to_api(&row)))
}

async fn keyword_show(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let (k, _) = data
        .db
        .read(move |c| rows::keyword_owned(c, id, me))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(keyword_to_api(&k)))
}

async fn keyword_update(
    auth: Auth,
    path: web::Path<String>,
    body: Body<KeywordForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let keyword = body
        .0
        .keyword
        .as_deref()
        .map(rules::validate_keyword)
        .transpose()?;
    let whole_word = body.0.whole_word;
    let row = change(&data, move |c| {
        let (mut k, _) = rows::keyword_owned(c, id, me)?.ok_or(CoreError::NotFound)?;
        if let Some(kw) = keyword {
            k.keyword = kw;
        }
        if let Some(w) = whole_word {
            k.whole_word = w;
        }
        rows::update_keyword(c, &k)?;
        changed(c, me)?;
        Ok(k)
    })
    .await?;
    Ok(HttpResponse::Ok().json(keyword_to_api(&row)))
}

async fn keyword_delete(
    auth: Auth,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    change(&data, move |c| {
        let (k, _) = rows::keyword_owned(c, id, me)?.ok_or(CoreError::NotFound)?;
        rows::delete_keywords(c, k.filter_id, &[k.id])?;
        changed(c, me)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn filter_statuses(
    auth: Auth,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let body = of_own_filter(&data, me, id, |c, f| rows::statuses_of(c, &[f.id])).await?;
    Ok(HttpResponse::Ok().json(body.iter().map(status_to_api).collect::<Vec<_>>()))
}

async fn status_create(
    auth: Auth,
    path: web::Path<String>,
    body: Body<StatusForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let status_id: i64 = body
        .0
        .status_id
        .as_deref()
        .ok_or_else(|| ApiError::Unprocessable("Validation failed: status_id is missing".into()))?
        .trim()
        .parse()
        .map_err(|_| ApiError::NotFound)?;
    let row = change(&data, move |c| {
        let filter = owned(c, id, me)?;
        // Only a status the owner may see can be named (else it is as good as none).
        if !statuses::is_visible(c, status_id, Some(me))? {
            return Err(CoreError::NotFound);
        }
        if rows::count_statuses(c, filter.id)? >= MAX_FILTER_STATUSES {
            return Err(CoreError::Invalid(format!(
                "A filter cannot name more than {MAX_FILTER_STATUSES} statuses"
            )));
        }
        let row = rows::insert_status(c, filter.id, status_id)?;
        changed(c, me)?;
        Ok(row)
    })
    .await?;
    Ok(HttpResponse::Ok().json(status_to_api(&row)))
}

async fn status_show(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let (s, _) = data
        .db
        .read(move |c| rows::status_owned(c, id, me))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(status_to_api(&s)))
}

async fn status_delete(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    change(&data, move |c| {
        let (s, _) = rows::status_owned(c, id, me)?.ok_or(CoreError::NotFound)?;
        rows::delete_status(c, s.id)?;
        changed(c, me)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

// v1: each keyword of a v2 filter is one v1 filter.

async fn v1_index(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let body = data
        .db
        .read(move |c| {
            let filters = rows::of_owner(c, me)?;
            let ids: Vec<i64> = filters.iter().map(|f| f.id).collect();
            let keywords = rows::keywords_of(c, &ids)?;
            Ok(keywords
                .iter()
                .filter_map(|k| {
                    let f = filters.iter().find(|f| f.id == k.filter_id)?;
                    Some(v1_filter_to_api(f, k))
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

async fn v1_show(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let (k, f) = data
        .db
        .read(move |c| rows::keyword_owned(c, id, me))
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(v1_filter_to_api(&f, &k)))
}

async fn v1_create(auth: Auth, body: Body<V1Form>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let form = body.0;
    let phrase = rules::validate_keyword(form.phrase.as_deref().unwrap_or(""))?;
    let title = rules::validate_title(&phrase)?;
    let contexts = rules::parse_contexts(&form.context.unwrap_or_default())?;
    let action = if form.irreversible.unwrap_or(false) {
        FilterAction::Hide
    } else {
        FilterAction::Warn
    };
    let expires_at = expiry(form.expires_in.flatten().as_deref())?;
    let whole_word = form.whole_word.unwrap_or(true);
    let (f, k) = change(&data, move |c| {
        if rows::count_of(c, me)? >= MAX_FILTERS {
            return Err(CoreError::Invalid(format!(
                "You cannot have more than {MAX_FILTERS} filters"
            )));
        }
        let f = FilterRow {
            id: kith_storage::id::new_id(),
            account_id: me,
            title,
            context: rules::encode_contexts(&contexts),
            filter_action: action.as_str().to_owned(),
            expires_at,
            created_at: kith_storage::now(),
        };
        rows::insert(c, &f)?;
        let k = Keyword {
            id: kith_storage::id::new_id(),
            filter_id: f.id,
            keyword: phrase,
            whole_word,
        };
        rows::insert_keyword(c, &k)?;
        changed(c, me)?;
        Ok((f, k))
    })
    .await?;
    Ok(HttpResponse::Ok().json(v1_filter_to_api(&f, &k)))
}

/// Updates a v1 filter: its keyword, and its v2 filter's contexts, action and expiry — which
/// Mastodon refuses (422) when that filter has other keywords too.
async fn v1_update(
    auth: Auth,
    path: web::Path<String>,
    body: Body<V1Form>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    let form = body.0;
    let phrase = form
        .phrase
        .as_deref()
        .map(rules::validate_keyword)
        .transpose()?;
    let contexts = form
        .context
        .as_deref()
        .map(rules::parse_contexts)
        .transpose()?;
    let action = form.irreversible.map(|i| {
        if i {
            FilterAction::Hide
        } else {
            FilterAction::Warn
        }
    });
    let expires_at = form.expires_in.map(|e| expiry(e.as_deref())).transpose()?;
    let whole_word = form.whole_word;
    let (f, k) = change(&data, move |c| {
        let (mut k, mut f) = rows::keyword_owned(c, id, me)?.ok_or(CoreError::NotFound)?;
        let before = (f.context.clone(), f.filter_action.clone(), f.expires_at);
        if let Some(cs) = contexts {
            f.context = rules::encode_contexts(&cs);
        }
        if let Some(a) = action {
            f.filter_action = a.as_str().to_owned();
        }
        if let Some(e) = expires_at {
            f.expires_at = e;
        }
        let filter_changed = before != (f.context.clone(), f.filter_action.clone(), f.expires_at);
        if filter_changed && rows::count_keywords(c, f.id)? > 1 {
            return Err(CoreError::Invalid(
                "This filter has several keywords; change it with the v2 filters API".into(),
            ));
        }
        if let Some(p) = phrase {
            k.keyword = p;
        }
        if let Some(w) = whole_word {
            k.whole_word = w;
        }
        rows::update_keyword(c, &k)?;
        rows::update(c, &f)?;
        changed(c, me)?;
        Ok((f, k))
    })
    .await?;
    Ok(HttpResponse::Ok().json(v1_filter_to_api(&f, &k)))
}

/// Deletes a v1 filter: its keyword, and its v2 filter if nothing else is left in it.
async fn v1_delete(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let id = id_of(&path)?;
    change(&data, move |c| {
        let (k, f) = rows::keyword_owned(c, id, me)?.ok_or(CoreError::NotFound)?;
        rows::delete_keywords(c, f.id, &[k.id])?;
        if rows::count_keywords(c, f.id)? == 0 && rows::count_statuses(c, f.id)? == 0 {
            rows::delete(c, f.id)?;
        }
        changed(c, me)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}
