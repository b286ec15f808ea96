//! Lists: `/api/v1/lists` (CRUD), their members (`/lists/{id}/accounts`), the lists holding an
//! account (`/accounts/{id}/lists`) and a list's timeline (`/timelines/list/{id}`). Someone
//! else's list answers 404, as one that does not exist. The rules (who may be added, caps)
//! are `kith_core::lists`'; the timeline query is `statuses::list_timeline`.

use super::follows::{account_by_id, account_list};
use crate::auth::Auth;
use crate::body::{form_to_json, lenient_bool, Body};
use crate::entities::list::list_to_api;
use crate::entities::status::statuses_view_in;
use crate::error::{ApiError, ApiResult};
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::filters::FilterContext;
use kith_core::limits::MAX_IDS_PER_REQUEST;
use kith_federation::Data;
use kith_storage::lists::{self, List};
use kith_storage::statuses;
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/lists", web::get().to(index))
        .route("/v1/lists", web::post().to(create))
        .route("/v1/lists/{id}", web::get().to(show))
        .route("/v1/lists/{id}", web::put().to(update))
        .route("/v1/lists/{id}", web::delete().to(destroy))
        .route("/v1/lists/{id}/accounts", web::get().to(members))
        .route("/v1/lists/{id}/accounts", web::post().to(add_members))
        .route("/v1/lists/{id}/accounts", web::delete().to(remove_members))
        .route("/v1/accounts/{id}/lists", web::get().to(lists_of_account))
        .route("/v1/timelines/list/{id}", web::get().to(timeline));
}

#[derive(Debug, Default, Deserialize)]
struct ListForm {
    title: Option<String>,
    replies_policy: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    exclusive: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
struct MembersForm {
    #[serde(default, deserialize_with = "ids")]
    account_ids: Option<Vec<i64>>,
}

/// Reads `account_ids`: an array (or one value) of ids as strings or numbers; an id that is
/// no number names no account (`-1`, which is none).
fn ids<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<i64>>, D::Error> {
    let one = |v: &Value| match v {
        Value::String(s) => s.trim().parse().unwrap_or(-1),
        Value::Number(n) => n.as_i64().unwrap_or(-1),
        _ => -1,
    };
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items.iter().map(one).collect()),
        Some(v) => Some(vec![one(&v)]),
    })
}

/// The caller's list with this id (another's, or none, is 404).
async fn my_list(data: &Data, me: i64, id: &str) -> ApiResult<List> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    data.db
        .read(move |c| lists::owned(c, id, me))
        .await?
        .ok_or(ApiError::NotFound)
}

async fn index(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let rows = data.db.read(move |c| lists::of_owner(c, me)).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(list_to_api).collect::<Vec<_>>()))
}

async fn show(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let list = my_list(&data, auth.account()?.id, &path).await?;
    Ok(HttpResponse::Ok().json(list_to_api(&list)))
}

async fn create(auth: Auth, body: Body<ListForm>, data: Data) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let form = body.0;
    let title = form.title.unwrap_or_default();
    let policy = form.replies_policy.unwrap_or_else(|| "list".to_owned());
    let exclusive = form.exclusive.unwrap_or(false);
    let list = data
        .db
        .write(move |c| Ok(kith_core::lists::create(c, me, &title, &policy, exclusive)))
        .await??;
    Ok(HttpResponse::Ok().json(list_to_api(&list)))
}

async fn update(
    auth: Auth,
    path: web::Path<String>,
    body: Body<ListForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let mut list = my_list(&data, auth.account()?.id, &path).await?;
    let form = body.0;
    if let Some(title) = form.title {
        list.title = kith_core::lists::validate_title(&title)?;
    }
    if let Some(policy) = form.replies_policy {
        list.replies_policy = kith_core::lists::validate_replies_policy(&policy)?;
    }
    if let Some(exclusive) = form.exclusive {
        list.exclusive = exclusive;
    }
    let row = list.clone();
    data.db.write(move |c| lists::update(c, &row)).await?;
    Ok(HttpResponse::Ok().json(list_to_api(&list)))
}

async fn destroy(auth: Auth, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let list = my_list(&data, auth.account()?.id, &path).await?;
    data.db.write(move |c| lists::delete(c, list.id)).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn members(
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let list = my_list(&data, auth.account()?.id, &path).await?;
    // `limit=0` asks for every member, as on Mastodon.
    let all = query.limit.as_deref().map(str::trim) == Some("0");
    let mut page = query.page(40, 80);
    if all {
        page.limit = 0;
    }
    let rows = data
        .db
        .read(move |c| lists::members(c, list.id, page))
        .await?;
    account_list(&req, &data, rows).await
}

/// The `account_ids` of a members request, from the body or (for a DELETE sent without one)
/// the query string; at least one, at most `MAX_IDS_PER_REQUEST`.
fn account_ids(req: &HttpRequest, body: MembersForm) -> ApiResult<Vec<i64>> {
    let ids = match body.account_ids {
        Some(ids) => ids,
        None => {
            let query = Value::Object(form_to_json(req.query_string().as_bytes()));
            serde_json::from_value::<MembersForm>(query)
                .ok()
                .and_then(|f| f.account_ids)
                .unwrap_or_default()
        }
    };
    if ids.is_empty() {
        return Err(ApiError::Unprocessable(
            "Validation failed: account_ids is missing".into(),
        ));
    }
    if ids.len() > MAX_IDS_PER_REQUEST {
        return Err(ApiError::Unprocessable(format!(
            "Validation failed: at most {MAX_IDS_PER_REQUEST} account_ids at once"
        )));
    }
    Ok(ids)
}

async fn add_members(
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
    body: Body<MembersForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let list = my_list(&data, auth.account()?.id, &path).await?;
    let ids = account_ids(&req, body.0)?;
    data.db
        .write(move |c| Ok(kith_core::lists::add_accounts(c, &list, &ids)))
        .await??;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn remove_members(
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
    body: Body<MembersForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let list = my_list(&data, auth.account()?.id, &path).await?;
    let ids = account_ids(&req, body.0)?;
    data.db
        .write(move |c| lists::remove_members(c, list.id, &ids))
        .await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

async fn lists_of_account(
    auth: Auth,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let account = account_by_id(&data, &path).await?;
    let rows = data
        .db
        .read(move |c| lists::containing(c, me, account.id))
        .await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(list_to_api).collect::<Vec<_>>()))
}

async fn timeline(
    req: HttpRequest,
    auth: Auth,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let list = my_list(&data, me, &path).await?;
    let page = query.page(20, 40);
    let urls = data.urls.clone();
    // A list is read in the home context, as Mastodon's filters see it.
    let (ids, body) = data
        .db
        .read(move |c| {
            let rows = statuses::list_timeline(c, &list, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let body = statuses_view_in(c, &rows, Some(me), &urls, FilterContext::Home)?;
            Ok((ids, body))
        })
        .await?;
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}
