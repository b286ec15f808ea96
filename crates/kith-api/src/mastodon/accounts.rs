//! Accounts: one's own (`verify_credentials`, `update_credentials`), and any by id or handle.

use crate::auth::Auth;
use crate::body::{lenient_bool, Body};
use crate::entities::account::{credential_account_to_api, Counts};
use crate::entities::instance::{MAX_DISPLAY_NAME_CHARS, MAX_NOTE_CHARS};
use crate::entities::status::account_view;
use crate::error::{ApiError, ApiResult};
use actix_web::{web, HttpResponse};
use kith_core::preferences::PreferenceChanges;
use kith_core::settle;
use kith_core::types::ActorType;
use kith_federation::Data;
use kith_storage::accounts::{self, Account, ProfileChanges};
use kith_storage::{follows, users, OptionalExt};
use serde::Deserialize;
use serde_json::Value;

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
    let (user, counts, requests, prefs, mut emojis) = data
        .db
        .read(move |c| {
            let counts = Counts::from(&accounts::stats(c, id)?);
            Ok((
                users::by_account_id(c, id)?,
                counts,
                follows::count_requests(c, id)?,
                kith_core::preferences::of(c, id)?,
                crate::entities::status::account_emojis(c, &[&row], &urls)?,
            ))
        })
        .await?;
    let mut entity =
        credential_account_to_api(&account, &user, counts, requests, &prefs, &data.urls);
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
    /// Profile fields: `fields_attributes[N][name]`/`[value]` in a form, an array of
    /// `{name, value}` or an object keyed by index in JSON.
    fields_attributes: Option<Value>,
    /// Posting defaults (`source[privacy]`, `source[sensitive]`, `source[language]`).
    source: Option<SourceForm>,
}

#[derive(Debug, Default, Deserialize)]
struct SourceForm {
    privacy: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    sensitive: Option<bool>,
    language: Option<String>,
}

/// The (name, value) pairs of `fields_attributes`, in order; 422 for any other shape.
fn field_pairs(raw: &Value) -> ApiResult<Vec<(String, String)>> {
    let invalid = || {
        ApiError::Unprocessable(
            "Validation failed: fields_attributes must be a list of name and value pairs".into(),
        )
    };
    let items: Vec<&Value> = match raw {
        Value::Array(items) => items.iter().collect(),
        Value::Object(map) => {
            let mut keyed: Vec<(i64, &Value)> = map
                .iter()
                .map(|(k, v)| k.parse::<i64>().map(|n| (n, v)).map_err(|_| invalid()))
                .collect::<ApiResult<_>>()?;
            keyed.sort_by_key(|(n, _)| *n);
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        _ => return Err(invalid()),
    };
    // Far more than a profile may have: the cap itself is checked in `kith_core::profile`.
    if items.len() > 4 * kith_core::limits::MAX_PROFILE_FIELDS {
        return Err(invalid());
    }
    let text = |item: &Value, key: &str| -> ApiResult<String> {
        match item.get(key) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(invalid()),
        }
    };
    items
        .into_iter()
        .map(|item| {
            if !item.is_object() {
                return Err(invalid());
            }
            Ok((text(item, "name")?, text(item, "value")?))
        })
        .collect()
}

/// The posting defaults `source[…]` sets, checked (422 for a visibility or language that is
/// not one).
fn preference_changes(source: SourceForm) -> ApiResult<PreferenceChanges> {
    if let Some(word) = &source.privacy {
        kith_core::preferences::default_visibility(word)?;
    }
    Ok(PreferenceChanges {
        language: match &source.language {
            Some(l) => Some(crate::languages::language_param(Some(l))?),
            None => None,
        },
        visibility: source.privacy,
        sensitive: source.sensitive,
    })
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
    // Everything is checked before anything is stored, so a refused edit changes nothing.
    let fields = match &form.fields_attributes {
        Some(raw) => Some(kith_core::profile::local_fields(&field_pairs(raw)?)?),
        None => None,
    };
    let prefs = preference_changes(form.source.unwrap_or_default())?;
    if prefs.visibility.is_some() || prefs.sensitive.is_some() || prefs.language.is_some() {
        let me = account.id;
        data.db
            .write(move |c| settle(kith_core::preferences::update(c, me, &prefs)))
            .await??;
    }
    let links = fields.as_ref().is_some_and(|f| {
        kith_federation::profile_links::has_links(
            &f.iter().map(|f| f.raw.clone()).collect::<Vec<_>>(),
        )
    });
    let changes = ProfileChanges {
        display_name: form
            .display_name
            .map(|n| n.trim().chars().filter(|c| !c.is_control()).collect()),
        note: form.note.map(|n| kith_core::html::plain_text_to_html(&n)),
        locked: form.locked,
        bot: form.bot,
        updated_at: Some(kith_storage::now()),
        fields: fields.map(|f| accounts::encode_fields(&f)),
        ..Default::default()
    };
    let updated = kith_federation::publish::update_profile(&data, account, changes).await?;
    if links {
        // Link verification fetches other sites: never while this request waits.
        let ctx = (*data).clone();
        let id = updated.id;
        tokio::spawn(async move {
            if let Err(e) = kith_federation::profile_links::verify(&ctx, id).await {
                tracing::warn!(account_id = id, error = %e, "verifying profile links failed");
            }
        });
    }
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
