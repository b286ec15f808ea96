//! `GET /api/v1/polls/{id}` and `POST /api/v1/polls/{id}/votes`. A poll is as visible as its
//! status: whoever may not see the status gets 404, as if the poll did not exist.

use super::statuses::visible_status;
use crate::auth::{Auth, MaybeAuth};
use crate::body::Body;
use crate::entities::poll::poll_to_api;
use crate::entities::status::poll_emojis_of;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_federation::Data;
use kith_storage::polls::{self, Poll};
use kith_storage::statuses::Status;
use kith_storage::OptionalExt;
use serde::Deserialize;
use serde_json::Value;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/polls/{id}", web::get().to(show))
        .route("/v1/polls/{id}/votes", web::post().to(vote));
}

/// The poll with this id and its status, if `viewer` may see the status.
async fn visible_poll(data: &Data, id: &str, viewer: Option<i64>) -> ApiResult<(Poll, Status)> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let poll = data
        .db
        .read(move |c| polls::by_id(c, id).optional())
        .await?
        .ok_or(ApiError::NotFound)?;
    let status = visible_status(data, &poll.status_id.to_string(), viewer).await?;
    Ok((poll, status))
}

/// The poll as `viewer` sees it.
async fn render(
    data: &Data,
    poll: Poll,
    status: &Status,
    viewer: Option<i64>,
) -> ApiResult<HttpResponse> {
    let (id, row, urls) = (poll.id, status.clone(), data.urls.clone());
    let (own, poll, emojis) = data
        .db
        .read(move |c| {
            let own = match viewer {
                Some(v) => Some(
                    polls::choices_among(c, &[id], v)?
                        .into_iter()
                        .map(|(_, c)| c)
                        .collect::<Vec<i32>>(),
                ),
                None => None,
            };
            // The emoji its options name, as in the status's `poll`.
            let emojis = poll_emojis_of(c, &row, &poll, &urls)?;
            Ok((own, poll, emojis))
        })
        .await?;
    let mut entity = poll_to_api(&poll, own.as_deref(), viewer == Some(status.account_id));
    entity.emojis = emojis;
    Ok(HttpResponse::Ok().json(entity))
}

async fn show(path: web::Path<String>, auth: MaybeAuth, data: Data) -> ApiResult<HttpResponse> {
    let viewer = auth.viewer();
    let (poll, status) = visible_poll(&data, &path, viewer).await?;
    render(&data, poll, &status, viewer).await
}

#[derive(Debug, Deserialize)]
struct VoteForm {
    #[serde(default)]
    choices: Option<Value>,
}

/// `choices` as sent: an array of indexes (numbers or strings), or one.
fn choices(v: Option<&Value>) -> ApiResult<Vec<i64>> {
    let bad =
        || ApiError::Unprocessable("Validation failed: choices must be option indexes".into());
    let one = |v: &Value| match v {
        Value::Number(n) => n.as_i64().ok_or_else(bad),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        _ => Err(bad()),
    };
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= 100 => items.iter().map(one).collect(),
        Some(Value::Array(_)) => Err(bad()),
        Some(other) => Ok(vec![one(other)?]),
    }
}

async fn vote(
    path: web::Path<String>,
    auth: Auth,
    form: Body<VoteForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.clone();
    let (_, status) = visible_poll(&data, &path, Some(me.id)).await?;
    let choices = choices(form.0.choices.as_ref())?;
    let poll = kith_federation::polls::vote(&data, me.clone(), status.clone(), choices).await?;
    render(&data, poll, &status, Some(me.id)).await
}
