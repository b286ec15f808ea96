//! Accounts: one's own (`verify_credentials`, `update_credentials`), and any by id or handle.

use crate::auth::Auth;
use crate::body::{lenient_bool, Body};
use crate::entities::account::{credential_account_to_api, Counts};
use crate::entities::instance::{MAX_DISPLAY_NAME_CHARS, MAX_NOTE_CHARS};
use crate::entities::status::account_view;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_core::types::ActorType;
use kith_federation::Data;
use kith_storage::accounts::{self, Account, ProfileChanges};
use kith_storage::{follows, users, OptionalExt};
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/v1/accounts/verify_credentials",
        web::get().to(verify_credentials),
    )
    .route(
        "/v1/accounts/update_credentials",
        web::patch().to(update_credentials),
    )
    .route("/v1/accounts/lookup", web::get().to(lookup))
    .route("/v1/accounts/{id}", web::get().to(show));
}

async fn credential_response(account: Account, data: &Data) -> ApiResult<HttpResponse> {
    let id = account.id;
    let (row, urls) = (account.clone(), data.urls.clone());
    let (user, counts, requests, mut emojis) = data
        .db
        .read(move |c| {
            let counts = Counts::from(&accounts::stats(c, id)?);
            Ok((
                users::by_account_id(c, id)?,
                counts,
                follows::count_requests(c, id)?,
                crate::entities::status::account_emojis(c, &[&row], &urls)?,
            ))
        })
        .await?;
    let mut entity = credential_account_to_api(&account, &user, counts, requests, &data.urls);
    entity.account.emojis = emojis.remove(&id).unwrap_or_default();
    Ok(HttpResponse::Ok().json(entity))
}

async fn account_response(account: Account, data: &Data) -> ApiResult<HttpResponse> {
    let urls = data.urls.clone();
    let entity = data
        .db
        .read(move |c| account_view(c, &account, &urls))
        .await?;
    Ok(HttpResponse::Ok().json(entity))
}

async fn verify_credentials(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let account = auth.account()?.clone();
    credential_response(account, &data).await
}

#[derive(Debug, Deserialize)]
struct CredentialsForm {
    display_name: Option<String>,
    note: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    bot: Option<bool>,
}

fn validate_profile(form: &CredentialsForm) -> Result<(), ApiError> {
    if let Some(name) = &form.display_name {
        if name.chars().count() > MAX_DISPLAY_NAME_CHARS {
            return Err(ApiError::Unprocessable(format!(
                "Validation failed: Display name is too long (maximum is {MAX_DISPLAY_NAME_CHARS} characters)"
            )));
        }
    }
    if let Some(note) = &form.note {
        if note.chars().count() > MAX_NOTE_CHARS {
            return Err(ApiError::Unprocessable(format!(
                "Validation failed: Note is too long (maximum is {MAX_NOTE_CHARS} characters)"
            )));
        }
    }
    Ok(())
}

async fn update_credentials(
    auth: Auth,
    form: Body<CredentialsForm>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let account = auth.account()?.clone();
    let form = form.0;
    validate_profile(&form)?;
    let changes = ProfileChanges {
        display_name: form
            .display_name
            .map(|n| n.trim().chars().filter(|c| !c.is_control()).collect()),
        note: form.note.map(|n| kith_core::html::plain_text_to_html(&n)),
        locked: form.locked,
        bot: form.bot,
        updated_at: Some(kith_storage::now()),
        ..Default::default()
    };
    let updated = kith_federation::publish::update_profile(&data, account, changes).await?;
    credential_response(updated, &data).await
}

async fn show(path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let id: i64 = path.parse().map_err(|_| ApiError::NotFound)?;
    let account = data
        .db
        .read(move |c| accounts::by_id(c, id).optional())
        .await?
        .filter(|a| ActorType::of(a) != ActorType::Application || a.domain.is_some())
        .ok_or(ApiError::NotFound)?;
    account_response(account, &data).await
}

#[derive(Debug, Deserialize)]
struct LookupQuery {
    acct: Option<String>,
}

async fn lookup(query: web::Query<LookupQuery>, data: Data) -> ApiResult<HttpResponse> {
    let acct = query
        .acct
        .as_deref()
        .map(|a| a.trim().trim_start_matches('@'))
        .filter(|a| !a.is_empty())
        .ok_or_else(|| ApiError::BadRequest("acct parameter is required".into()))?;
    let (user, domain) = match acct.split_once('@') {
        Some((u, d)) if d.eq_ignore_ascii_case(data.urls.domain()) => (u.to_owned(), None),
        Some((u, d)) => (u.to_owned(), Some(d.to_owned())),
        None => (acct.to_owned(), None),
    };
    let account = data
        .db
        .read(move |c| match domain {
            None => accounts::local_by_username(c, &user).optional(),
            Some(d) => accounts::remote_by_username(c, &user, &d).optional(),
        })
        .await?
        .filter(|a| ActorType::of(a) != ActorType::Application || a.domain.is_some())
        .ok_or_else(|| {
            // As on Mastodon, lookup reads what is known and fetches nothing; say so.
            tracing::info!(
                acct,
                "account lookup found nothing: no such account is known here \
                 (search with resolve=true fetches remote ones)"
            );
            ApiError::NotFound
        })?;
    account_response(account, &data).await
}
