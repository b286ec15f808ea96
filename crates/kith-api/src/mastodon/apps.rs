//! `POST /api/v1/apps`, `GET /api/v1/apps/verify_credentials`.

use crate::auth::Auth;
use crate::body::{string_or_list, Body};
use crate::entities::application::{app_to_api, credential_app_to_api};
use crate::error::{ApiError, ApiResult};
use crate::oauth::OOB_REDIRECT;
use actix_web::{web, HttpResponse};
use kith_core::tokens::random_secret;
use kith_core::Scopes;
use kith_federation::Data;
use kith_storage::oauth::{self, App};
use serde::Deserialize;
use url::Url;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/apps", web::post().to(create))
        .route("/v1/apps/verify_credentials", web::get().to(verify));
}

const MAX_APP_NAME_CHARS: usize = 60;

#[derive(Debug, Deserialize)]
struct AppForm {
    client_name: Option<String>,
    #[serde(default, deserialize_with = "string_or_list")]
    redirect_uris: Option<Vec<String>>,
    scopes: Option<String>,
    website: Option<String>,
}

/// Redirect URIs must be absolute, without a fragment (RFC 6749 §3.1.2), and not a scheme
/// that runs code in the browser. Apps' own schemes (`myapp://callback`) are fine.
fn validate_redirect_uri(uri: &str) -> Result<(), ApiError> {
    if uri == OOB_REDIRECT {
        return Ok(());
    }
    let refused = |why: &str| {
        ApiError::Unprocessable(format!("Validation failed: redirect URI {uri:?} {why}"))
    };
    let url = Url::parse(uri).map_err(|_| refused("must be an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(refused("must not contain a fragment"));
    }
    if matches!(url.scheme(), "javascript" | "data" | "vbscript" | "file") {
        return Err(refused("uses a scheme that is not allowed"));
    }
    Ok(())
}

async fn create(form: Body<AppForm>, data: Data) -> ApiResult<HttpResponse> {
    let form = form.0;
    let name = form
        .client_name
        .map(|n| n.trim().to_owned())
        .unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::Unprocessable(
            "Validation failed: Application name can't be blank".into(),
        ));
    }
    if name.chars().count() > MAX_APP_NAME_CHARS {
        return Err(ApiError::Unprocessable(
            "Validation failed: Application name is too long (maximum is 60 characters)".into(),
        ));
    }
    let uris = form.redirect_uris.unwrap_or_default();
    if uris.is_empty() {
        return Err(ApiError::Unprocessable(
            "Validation failed: Redirect URI can't be blank".into(),
        ));
    }
    for uri in &uris {
        validate_redirect_uri(uri)?;
    }
    let scopes = Scopes::parse(form.scopes.as_deref().unwrap_or(""))
        .map_err(|e| ApiError::Unprocessable(format!("Validation failed: {e}")))?;
    let website = form.website.filter(|w| !w.trim().is_empty());
    if let Some(w) = &website {
        if !Url::parse(w).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            return Err(ApiError::Unprocessable(
                "Validation failed: Website is not a valid URL".into(),
            ));
        }
    }
    let app = App {
        id: kith_storage::id::new_id(),
        client_id: random_secret(),
        client_secret: random_secret(),
        name,
        website,
        redirect_uris: uris.join("\n"),
        scopes: scopes.to_string(),
        created_at: kith_storage::now(),
    };
    let row = app.clone();
    data.db.write(move |c| oauth::insert_app(c, &row)).await?;
    Ok(HttpResponse::Ok().json(credential_app_to_api(&app)))
}

async fn verify(auth: Auth, data: Data) -> ApiResult<HttpResponse> {
    let app_id = auth.0.token.app_id.ok_or(ApiError::NotFound)?;
    let app = data.db.read(move |c| oauth::app_by_id(c, app_id)).await?;
    Ok(HttpResponse::Ok().json(app_to_api(&app)))
}
