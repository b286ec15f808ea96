//! OAuth 2 (RFC 6749) as Mastodon clients use it: the authorization-code grant with PKCE
//! (RFC 7636, S256), client credentials, token revocation (RFC 7009), and server metadata
//! (RFC 8414). Errors in an authorization request are shown to the person on a page, never
//! redirected (anyone can register a redirect URI); only the person's refusal is sent back to
//! the client. Password attempts are throttled per account name and per address
//! (`login_failures`, in the database). The sign-in form carries a signed double-submit token
//! (`form_guard::OAUTH_LOGIN`), so another site cannot sign a browser in to an account of its
//! choosing (login CSRF): a POST without it is a 403 and signs nobody in.

use crate::body::Body;
use crate::error::{ApiError, ApiResult};
use crate::form_guard::OAUTH_LOGIN;
use crate::pages::{html, ErrorPage};
use crate::throttle;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use base64::Engine;
use kith_core::tokens::{self, digest, random_secret};
use kith_core::{accounts as core_accounts, CoreError, Scopes};
use kith_federation::Data;
use kith_storage::oauth::{self, App, Code, Token};
use kith_storage::OptionalExt;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::Url;

/// Redirect URI for clients that cannot receive redirects: the code is shown on a page.
pub(crate) const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";
/// How long an authorization code stays valid.
const CODE_LIFETIME_MINUTES: i64 = 10;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/authorize", web::get().to(authorize_form))
        .route("/oauth/authorize", web::post().to(authorize_submit))
        .route("/oauth/token", web::post().to(token))
        .route("/oauth/revoke", web::post().to(revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            web::get().to(metadata),
        );
}

#[derive(Debug, Default, Deserialize)]
struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AuthorizeSubmission {
    #[serde(flatten)]
    params: AuthorizeParams,
    username: Option<String>,
    password: Option<String>,
    decision: Option<String>,
    csrf: Option<String>,
}

/// An authorization request that names a known client and one of its redirect URIs.
struct Valid {
    app: App,
    redirect_uri: String,
    scopes: Scopes,
    state: Option<String>,
    challenge: Option<String>,
}

/// Why an authorization request cannot go on.
enum Refusal {
    /// The request is wrong: tell the person, never redirect.
    Page(String),
    /// The person said no: send `access_denied` to the client's redirect URI.
    Redirect(HttpResponse),
}

fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    let mut url = match Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return HttpResponse::BadRequest().finish(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn error_redirect(redirect_uri: &str, state: &Option<String>, code: &str, why: &str) -> Refusal {
    if redirect_uri == OOB_REDIRECT {
        return Refusal::Page(format!("{code}: {why}"));
    }
    let mut pairs = vec![("error", code), ("error_description", why)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    Refusal::Redirect(redirect_with(redirect_uri, &pairs))
}

/// An error in the request itself, found before the person has acted. It is shown on a page
/// (400), never sent to the redirect URI: anyone can register an application with any redirect
/// URI, so an automatic redirect would make `/oauth/authorize` an open redirector (RFC 9700
/// §4.11.2). Only the person's own decision (deny) is sent back to the client.
fn refuse(code: &str, why: &str) -> Refusal {
    Refusal::Page(format!("{why} ({code})."))
}

async fn validate(p: &AuthorizeParams, data: &Data) -> Result<Valid, Refusal> {
    let client_id = p
        .client_id
        .clone()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            Refusal::Page("The request names no client (client_id is missing).".into())
        })?;
    let app = data
        .db
        .read(move |c| oauth::app_by_client_id(c, &client_id).optional())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "authorization request: cannot read the client");
            Refusal::Page("Server error; please try again later.".into())
        })?
        .ok_or_else(|| {
            Refusal::Page(
                "Unknown client: this application is not registered here (invalid_client).".into(),
            )
        })?;
    let registered = app.redirect_uri_list();
    let redirect_uri = match p.redirect_uri.as_deref().filter(|r| !r.is_empty()) {
        Some(r) if registered.contains(&r) => r.to_owned(),
        Some(_) => {
            return Err(Refusal::Page(
                "The redirect URI does not match one registered by this application.".into(),
            ))
        }
        None if registered.len() == 1 => registered[0].to_owned(),
        None => return Err(Refusal::Page("redirect_uri is required.".into())),
    };
    let state = p.state.clone().filter(|s| !s.is_empty());
    if p.response_type.as_deref() != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let app_scopes = Scopes::parse(&app.scopes).unwrap_or_default();
    let scopes = match Scopes::parse(p.scope.as_deref().unwrap_or("")) {
        Ok(s) if s.is_subset_of(&app_scopes) => s,
        Ok(_) => {
            return Err(refuse(
                "invalid_scope",
                "the requested scope is more than the application registered",
            ))
        }
        Err(e) => return Err(refuse("invalid_scope", &e.to_string())),
    };
    let challenge = match (
        p.code_challenge.as_deref().filter(|c| !c.is_empty()),
        p.code_challenge_method.as_deref(),
    ) {
        (None, _) => None,
        (Some(c), Some("S256")) if (43..=128).contains(&c.len()) => Some(c.to_owned()),
        (Some(_), Some("S256")) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge must be 43 to 128 characters",
            ))
        }
        (Some(_), _) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
    };
    Ok(Valid {
        app,
        redirect_uri,
        scopes,
        state,
        challenge,
    })
}

#[derive(Template)]
#[template(path = "authorize.html")]
struct AuthorizePage<'a> {
    instance_title: &'a str,
    app_name: &'a str,
    scopes: Vec<String>,
    error: Option<&'a str>,
    client_id: &'a str,
    redirect_uri: &'a str,
    scope: String,
    state: &'a str,
    code_challenge: &'a str,
    code_challenge_method: &'a str,
    username: &'a str,
    csrf: &'a str,
    /// The sign-up page, coming back here afterwards, when people may join.
    sign_up: Option<String>,
}

fn refusal_response(r: Refusal, data: &Data) -> ApiResult<HttpResponse> {
    match r {
        Refusal::Redirect(res) => Ok(res),
        Refusal::Page(message) => html(
            StatusCode::BAD_REQUEST,
            &ErrorPage {
                instance_title: &data.instance.title,
                heading: "Authorization failed",
                message: &message,
            },
        ),
    }
}

async fn authorize_page(
    req: &HttpRequest,
    v: &Valid,
    data: &Data,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
) -> ApiResult<HttpResponse> {
    let scope = v.scopes.to_string();
    let issued = OAUTH_LOGIN.issue(req, data).await?;
    let code_challenge_method = if v.challenge.is_some() { "S256" } else { "" };
    let mode = data.db.read(kith_core::registrations::mode).await?;
    let sign_up = matches!(
        mode,
        kith_core::registrations::Mode::Open | kith_core::registrations::Mode::Approval
    )
    .then(|| {
        let here: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &v.app.client_id)
            .append_pair("redirect_uri", &v.redirect_uri)
            .append_pair("scope", &scope)
            .append_pair("state", v.state.as_deref().unwrap_or(""))
            .append_pair("code_challenge", v.challenge.as_deref().unwrap_or(""))
            .append_pair("code_challenge_method", code_challenge_method)
            .finish();
        let next: String =
            url::form_urlencoded::byte_serialize(format!("/oauth/authorize?{here}").as_bytes())
                .collect();
        format!("/auth/sign_up?next={next}")
    });
    let mut res = html(
        status,
        &AuthorizePage {
            instance_title: &data.instance.title,
            app_name: &v.app.name,
            scopes: scope.split(' ').map(str::to_owned).collect(),
            error,
            client_id: &v.app.client_id,
            redirect_uri: &v.redirect_uri,
            scope: scope.clone(),
            state: v.state.as_deref().unwrap_or(""),
            code_challenge: v.challenge.as_deref().unwrap_or(""),
            code_challenge_method,
            username,
            csrf: &issued.token,
            sign_up,
        },
    )?;
    issued.set_on(&mut res)?;
    Ok(res)
}

async fn authorize_form(
    req: HttpRequest,
    query: web::Query<AuthorizeParams>,
    data: Data,
) -> ApiResult<HttpResponse> {
    match validate(&query, &data).await {
        Ok(v) => authorize_page(&req, &v, &data, StatusCode::OK, None, "").await,
        Err(r) => refusal_response(r, &data),
    }
}

/// 429: too many failed logins for this name or from this address; says when to retry.
async fn throttled_page(
    req: &HttpRequest,
    v: &Valid,
    data: &Data,
    until: chrono::NaiveDateTime,
    username: &str,
) -> ApiResult<HttpResponse> {
    let wait = (until - kith_storage::now()).num_seconds().max(1);
    let message = format!(
        "Too many failed login attempts. Try again after {} UTC (in about {} minute{}).",
        until.format("%H:%M"),
        (wait + 59) / 60,
        if wait > 60 { "s" } else { "" },
    );
    let mut res = authorize_page(
        req,
        v,
        data,
        StatusCode::TOO_MANY_REQUESTS,
        Some(&message),
        username,
    )
    .await?;
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from(wait as u64));
    Ok(res)
}

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage<'a> {
    instance_title: &'a str,
    app_name: &'a str,
    code: &'a str,
}

async fn authorize_submit(
    req: HttpRequest,
    form: Body<AuthorizeSubmission>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let form = form.0;
    let v = match validate(&form.params, &data).await {
        Ok(v) => v,
        Err(r) => return refusal_response(r, &data),
    };
    let username = form.username.unwrap_or_default();
    if !OAUTH_LOGIN.check(&req, &data, form.csrf.as_deref()).await? {
        return authorize_page(
            &req,
            &v,
            &data,
            StatusCode::FORBIDDEN,
            Some("The sign-in form was out of date or not sent from this site. Try again."),
            &username,
        )
        .await;
    }
    if form.decision.as_deref() == Some("deny") {
        return Ok(
            match error_redirect(
                &v.redirect_uri,
                &v.state,
                "access_denied",
                "the user denied the request",
            ) {
                Refusal::Redirect(res) => res,
                Refusal::Page(_) => {
                    authorize_page(
                        &req,
                        &v,
                        &data,
                        StatusCode::OK,
                        Some("You denied the request."),
                        "",
                    )
                    .await?
                }
            },
        );
    }
    let password = form.password.unwrap_or_default();
    let account_key = throttle::account_key(&username);
    let address_key = throttle::address_key(throttle::client_ip(&req));
    if let Some(until) =
        throttle::throttled_until(&data.db, account_key.clone(), address_key.clone()).await?
    {
        return throttled_page(&req, &v, &data, until, &username).await;
    }
    let account = match core_accounts::check_password(&data.db, &username, &password).await {
        Ok(a) => a,
        Err(CoreError::BadCredentials) => {
            throttle::record_failure(&data.db, account_key, address_key).await?;
            return authorize_page(
                &req,
                &v,
                &data,
                StatusCode::UNAUTHORIZED,
                Some("Wrong username or password."),
                &username,
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    let code = random_secret();
    let row = Code {
        code_hash: digest(&code),
        app_id: v.app.id,
        account_id: account.id,
        redirect_uri: v.redirect_uri.clone(),
        scopes: v.scopes.to_string(),
        code_challenge: v.challenge.clone(),
        code_challenge_method: v.challenge.as_ref().map(|_| "S256".to_owned()),
        expires_at: kith_storage::now() + chrono::Duration::minutes(CODE_LIFETIME_MINUTES),
    };
    data.db
        .write(move |c| {
            oauth::delete_expired_codes(c, kith_storage::now())?;
            oauth::insert_code(c, &row)
        })
        .await?;
    if v.redirect_uri == OOB_REDIRECT {
        return html(
            StatusCode::OK,
            &CodePage {
                instance_title: &data.instance.title,
                app_name: &v.app.name,
                code: &code,
            },
        );
    }
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &v.state {
        pairs.push(("state", s));
    }
    Ok(redirect_with(&v.redirect_uri, &pairs))
}

#[derive(Debug, Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
}

/// Client credentials from HTTP Basic (`client_secret_basic`) or the body (`client_secret_post`).
fn client_credentials(
    req: &HttpRequest,
    id: Option<String>,
    secret: Option<String>,
) -> (Option<String>, Option<String>) {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Basic ")
                .or_else(|| v.strip_prefix("basic "))
        })
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(i, p)| (i.to_owned(), p.to_owned())));
    match basic {
        Some((i, p)) => (Some(i), Some(p)),
        None => (id, secret),
    }
}

/// Looks the client up and checks its secret when one is given. `Ok((app, authenticated))`.
async fn client(data: &Data, id: Option<String>, secret: Option<String>) -> ApiResult<(App, bool)> {
    let id = id
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::oauth("invalid_client", "client_id is required"))?;
    let app = data
        .db
        .read(move |c| oauth::app_by_client_id(c, &id).optional())
        .await?
        .ok_or_else(|| ApiError::oauth("invalid_client", "unknown client"))?;
    match secret.filter(|s| !s.is_empty()) {
        // Compare digests so the comparison's timing says nothing about the secret.
        Some(s) if digest(&s) == digest(&app.client_secret) => Ok((app, true)),
        Some(_) => Err(ApiError::oauth(
            "invalid_client",
            "client authentication failed",
        )),
        None => Ok((app, false)),
    }
}

fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let hashed = Sha256::digest(verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hashed) == challenge
}

/// Why a taken code gives no token (RFC 6749 §5.2), checked after the code is burned.
fn check_grant(
    grant: &Code,
    app_id: i64,
    redirect_uri: &str,
    verifier: Option<&str>,
    client_authenticated: bool,
) -> ApiResult<()> {
    if grant.app_id != app_id || grant.expires_at <= kith_storage::now() {
        return Err(ApiError::oauth(
            "invalid_grant",
            "the authorization code is invalid, expired or already used",
        ));
    }
    // §4.1.3: the redirect URI must be the one the code was issued for.
    if redirect_uri != grant.redirect_uri {
        return Err(ApiError::oauth(
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) if pkce_matches(verifier, challenge) => Ok(()),
        (Some(_), Some(_)) => Err(ApiError::oauth(
            "invalid_grant",
            "code_verifier does not match the code_challenge",
        )),
        (Some(_), None) => Err(ApiError::oauth(
            "invalid_grant",
            "code_verifier is required",
        )),
        (None, _) if !client_authenticated => Err(ApiError::oauth(
            "invalid_client",
            "client_secret is required without PKCE",
        )),
        (None, _) => Ok(()),
    }
}

/// The authorization-code grant: takes the code and issues its token in one transaction. The
/// code is taken with one `DELETE … RETURNING`, so of concurrent redemptions exactly one gets
/// it; a code that is no longer there may be a replay, which revokes the token it gave
/// (RFC 6749 §4.1.2).
async fn redeem_code(
    data: &Data,
    app_id: i64,
    t: TokenRequest,
    client_authenticated: bool,
) -> ApiResult<(String, Token)> {
    let code = t
        .code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::oauth("invalid_request", "code is required"))?;
    // §4.1.3: required, since Kith's authorization requests always carry one (Mastodon and
    // Doorkeeper require it too).
    let redirect_uri = t
        .redirect_uri
        .filter(|r| !r.is_empty())
        .ok_or_else(|| ApiError::oauth("invalid_request", "redirect_uri is required"))?;
    let verifier = t.code_verifier;
    let hash = digest(&code);
    data.db
        .write(move |c| {
            let Some(grant) = oauth::take_code(c, &hash).optional()? else {
                oauth::revoke_tokens_of_code(c, &hash, kith_storage::now())?;
                return Ok(Err(ApiError::oauth(
                    "invalid_grant",
                    "the authorization code is invalid, expired or already used",
                )));
            };
            if let Err(e) = check_grant(
                &grant,
                app_id,
                &redirect_uri,
                verifier.as_deref(),
                client_authenticated,
            ) {
                return Ok(Err(e));
            }
            let scopes = match Scopes::parse(&grant.scopes) {
                Ok(s) => s,
                Err(e) => return Ok(Err(e.into())),
            };
            let (secret, row) =
                tokens::new_token(Some(app_id), Some(grant.account_id), &scopes, Some(hash));
            tokens::store(c, &row)?;
            Ok(Ok((secret, row)))
        })
        .await?
}

async fn token(req: HttpRequest, body: Body<TokenRequest>, data: Data) -> ApiResult<HttpResponse> {
    let t = body.0;
    let (id, secret) = client_credentials(&req, t.client_id.clone(), t.client_secret.clone());
    let (app, client_authenticated) = client(&data, id, secret).await?;
    let (secret, row) = match t.grant_type.as_deref() {
        Some("authorization_code") => redeem_code(&data, app.id, t, client_authenticated).await?,
        Some("client_credentials") => {
            if !client_authenticated {
                return Err(ApiError::oauth(
                    "invalid_client",
                    "client_secret is required",
                ));
            }
            let app_scopes = Scopes::parse(&app.scopes)?;
            let scopes = Scopes::parse(t.scope.as_deref().unwrap_or(""))
                .map_err(|e| ApiError::oauth("invalid_scope", e.to_string()))?;
            if !scopes.is_subset_of(&app_scopes) {
                return Err(ApiError::oauth(
                    "invalid_scope",
                    "the requested scope is more than the application registered",
                ));
            }
            tokens::issue(&data.db, Some(app.id), None, &scopes).await?
        }
        Some(other) => {
            return Err(ApiError::oauth(
                "unsupported_grant_type",
                format!("grant_type {other:?} is not supported"),
            ))
        }
        None => return Err(ApiError::oauth("invalid_request", "grant_type is required")),
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(serde_json::json!({
            "access_token": secret,
            "token_type": "Bearer",
            "scope": row.scopes,
            "created_at": row.created_at.and_utc().timestamp(),
        })))
}

#[derive(Debug, Deserialize)]
struct RevokeRequest {
    client_id: Option<String>,
    client_secret: Option<String>,
    token: Option<String>,
}

async fn revoke(
    req: HttpRequest,
    body: Body<RevokeRequest>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let r = body.0;
    let (id, secret) = client_credentials(&req, r.client_id, r.client_secret);
    let (app, authenticated) = client(&data, id, secret).await?;
    if !authenticated {
        return Err(ApiError::oauth(
            "invalid_client",
            "client_secret is required",
        ));
    }
    let token = r
        .token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::oauth("invalid_request", "token is required"))?;
    let hash = digest(&token);
    // RFC 7009 §2.2: an unknown token is not an error.
    data.db
        .write(move |c| oauth::revoke_token(c, &hash, app.id, kith_storage::now()))
        .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({})))
}

async fn metadata(data: Data) -> HttpResponse {
    let base = data.urls.base();
    HttpResponse::Ok().json(serde_json::json!({
        "issuer": base.as_str(),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}oauth/authorize"),
        "token_endpoint": format!("{base}oauth/token"),
        "revocation_endpoint": format!("{base}oauth/revoke"),
        "app_registration_endpoint": format!("{base}api/v1/apps"),
        "scopes_supported": ["read", "write", "follow", "push", "profile", "admin:read", "admin:write",
            "read:accounts", "read:blocks", "read:bookmarks", "read:favourites", "read:filters",
            "read:follows", "read:lists", "read:mutes", "read:notifications", "read:search",
            "read:statuses", "write:accounts", "write:blocks", "write:bookmarks",
            "write:conversations", "write:favourites", "write:filters", "write:follows",
            "write:lists", "write:media", "write:mutes", "write:notifications", "write:reports",
            "write:statuses"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
    }))
}
