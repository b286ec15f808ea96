//! Signing in to and out of the console. The password check and the login throttle are the
//! OAuth sign-in page's (`kith_core::accounts::check_password`, `crate::throttle`); only staff
//! get a session. The login form itself is guarded by the signed double-submit token of every
//! form filled in signed out (`form_guard::CONSOLE_LOGIN`), so another site cannot sign a
//! browser in to an account of its choosing.

use super::{error_page, page, safe_next, see_other, Posted, COOKIE_PATH, SESSION_COOKIE};
use crate::body::Body;
use crate::error::ApiResult;
use crate::form_guard::CONSOLE_LOGIN;
use crate::throttle;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use kith_core::console_sessions::{self, LIFETIME};
use kith_core::moderation::Staff;
use kith_core::tokens::digest;
use kith_core::{accounts as core_accounts, CoreError};
use kith_federation::Data;
use kith_storage::users;
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/login", web::get().to(form))
        .route("/admin/login", web::post().to(submit))
        .route("/admin/logout", web::post().to(logout));
}

#[derive(Template)]
#[template(path = "console_login.html")]
struct LoginPage<'a> {
    instance_title: &'a str,
    error: Option<&'a str>,
    username: &'a str,
    next: &'a str,
    token: &'a str,
}

fn cookie(
    name: &'static str,
    value: String,
    data: &Data,
    max_age: CookieDuration,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(!data.instance.dev_mode)
        .max_age(max_age)
        .finish()
}

fn removal(name: &'static str, data: &Data) -> Cookie<'static> {
    cookie(name, String::new(), data, CookieDuration::ZERO)
}

/// The login form, with its double-submit token (also set as a cookie).
async fn login_page(
    req: &HttpRequest,
    data: &Data,
    status: StatusCode,
    error: Option<&str>,
    username: &str,
    next: &str,
) -> ApiResult<HttpResponse> {
    let issued = CONSOLE_LOGIN.issue(req, data).await?;
    let mut res = page(
        status,
        &LoginPage {
            instance_title: &data.instance.title,
            error,
            username,
            next,
            token: &issued.token,
        },
    )?;
    issued.set_on(&mut res)?;
    Ok(res)
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn form(req: HttpRequest, q: web::Query<NextQuery>, data: Data) -> ApiResult<HttpResponse> {
    let next = safe_next(q.next.as_deref());
    // Someone already signed in as staff goes straight on.
    if let Some(secret) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        let signed = data
            .db
            .read(move |c| console_sessions::find(c, &secret))
            .await?;
        if signed.is_some_and(|s| s.staff.is_some()) {
            return Ok(see_other(next));
        }
    }
    login_page(&req, &data, StatusCode::OK, None, "", next).await
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: Option<String>,
    password: Option<String>,
    next: Option<String>,
    token: Option<String>,
}

async fn submit(req: HttpRequest, form: Body<LoginForm>, data: Data) -> ApiResult<HttpResponse> {
    let form = form.0;
    let next = safe_next(form.next.as_deref()).to_owned();
    let username = form.username.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    if !CONSOLE_LOGIN
        .check(&req, &data, form.token.as_deref())
        .await?
    {
        return login_page(
            &req,
            &data,
            StatusCode::FORBIDDEN,
            Some("The sign-in form was out of date or not sent from this site. Try again."),
            &username,
            &next,
        )
        .await;
    }
    let account_key = throttle::account_key(&username);
    let address_key = throttle::address_key(throttle::client_ip(&req));
    if let Some(until) =
        throttle::throttled_until(&data.db, account_key.clone(), address_key.clone()).await?
    {
        let wait = (until - kith_storage::now()).num_seconds().max(1);
        let message = format!(
            "Too many failed login attempts. Try again after {} UTC.",
            until.format("%H:%M")
        );
        let mut res = login_page(
            &req,
            &data,
            StatusCode::TOO_MANY_REQUESTS,
            Some(&message),
            &username,
            &next,
        )
        .await?;
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(wait as u64));
        return Ok(res);
    }
    let account = match core_accounts::check_password(&data.db, &username, &password).await {
        Ok(a) => a,
        Err(CoreError::BadCredentials) => {
            throttle::record_failure(&data.db, account_key, address_key).await?;
            return login_page(
                &req,
                &data,
                StatusCode::UNAUTHORIZED,
                Some("Wrong username or password."),
                &username,
                &next,
            )
            .await;
        }
        Err(CoreError::Invalid(msg)) => {
            return login_page(
                &req,
                &data,
                StatusCode::FORBIDDEN,
                Some(&msg),
                &username,
                &next,
            )
            .await
        }
        Err(e) => return Err(e.into()),
    };
    let id = account.id;
    // A session the browser held before is ended: a new sign-in gets a new secret.
    let previous = req.cookie(SESSION_COOKIE).map(|c| digest(c.value()));
    let secret = data
        .db
        .write(move |c| {
            if let Some(hash) = previous {
                kith_storage::console_sessions::delete(c, &hash)?;
            }
            let role = users::by_account_id(c, id)?.role.parse().ok();
            if Staff::new(id, role).is_none() {
                return Ok(None);
            }
            console_sessions::start(c, id).map(Some)
        })
        .await?;
    let Some(secret) = secret else {
        return Ok(error_page(
            &data,
            StatusCode::FORBIDDEN,
            "Not allowed",
            "The moderation console is for moderators and admins.",
            None,
        ));
    };
    let lifetime = CookieDuration::seconds(LIFETIME.num_seconds());
    let mut res = see_other(&next);
    res.add_cookie(&cookie(SESSION_COOKIE, secret, &data, lifetime))
        .and_then(|()| res.add_cookie(&removal(CONSOLE_LOGIN.cookie_name(), &data)))
        .map_err(|e| crate::error::ApiError::Internal(format!("cookie: {e}")))?;
    Ok(res)
}

#[derive(Debug, Deserialize)]
struct Empty {}

/// Signs out: the session row goes (in every process at once) and the cookie is cleared.
async fn logout(posted: Posted<Empty>, data: Data) -> ApiResult<HttpResponse> {
    let hash = posted.who.signed.session.secret_hash.clone();
    data.db
        .write(move |c| kith_storage::console_sessions::delete(c, &hash).map(|_| ()))
        .await?;
    let mut res = see_other("/admin/login");
    res.add_cookie(&removal(SESSION_COOKIE, &data))
        .map_err(|e| crate::error::ApiError::Internal(format!("cookie: {e}")))?;
    Ok(res)
}
