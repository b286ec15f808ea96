//! The moderators' web console under `/admin`: server-rendered pages (no JavaScript) for the
//! report queue, accounts, domain policies, registrations and invites, and the audit log.
//!
//! Every page and every form goes through [`Staffed`]: a live console session
//! (`kith_core::console_sessions`, in the database) whose account may sign in and is a
//! moderator or admin, read again on every request. Someone signed out is sent to the login
//! page; a plain user gets a 403 page. Every form is a POST carrying the session's CSRF token
//! ([`Posted`]), and a POST whose `Origin` (or `Sec-Fetch-Site`) says it came from another
//! site is refused before anything is read. The actions call the same `kith_core` and
//! `kith_federation` functions as the admin API, so the rules (a moderator never acts on an
//! admin) and the audit entries are the same. Pages are askama templates, which escape every
//! value; status HTML is shown only after `kith_core::html::sanitize_remote`.

mod accounts;
mod audit;
mod domains;
mod login;
mod registrations;
mod reports;

use crate::body::Body;
use crate::error::{ApiError, ApiResult};
use crate::form_guard::cross_origin;
use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures::future::LocalBoxFuture;
use kith_core::console_sessions::{self, Signed};
use kith_core::moderation::Staff;
use kith_core::CoreError;
use kith_federation::{Data, FederationError};
use kith_storage::console_sessions as store;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The cookie holding the session secret.
const SESSION_COOKIE: &str = "kith_console";
/// The path every console cookie is scoped to.
const COOKIE_PATH: &str = "/admin";
/// The form field carrying the CSRF token.
const CSRF_FIELD: &str = "csrf";
/// Rows per page of a console list.
const PAGE_SIZE: i64 = 50;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(home))
        .route("/admin/", web::get().to(home))
        .route("/admin/console.css", web::get().to(stylesheet))
        .configure(login::configure)
        .configure(reports::configure)
        .configure(accounts::configure)
        .configure(domains::configure)
        .configure(registrations::configure)
        .configure(audit::configure);
}

async fn home(_who: Staffed) -> HttpResponse {
    see_other("/admin/reports")
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../static/console.css"))
}

/// A 303 to `location` (a path on this instance).
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// Renders a console page with the console's headers: a CSP allowing no script at all, forms
/// posting only here, no framing, no caching, no referrer beyond this origin.
pub(crate) fn page(status: StatusCode, page: &impl Template) -> ApiResult<HttpResponse> {
    let body = page
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[derive(Template)]
#[template(path = "console_error.html")]
struct ErrorPage<'a> {
    instance_title: &'a str,
    heading: &'a str,
    message: &'a str,
    back: Option<&'a str>,
}

/// A console error page with `status`.
pub(crate) fn error_page(
    data: &Data,
    status: StatusCode,
    heading: &str,
    message: &str,
    back: Option<&str>,
) -> HttpResponse {
    let rendered = page(
        status,
        &ErrorPage {
            instance_title: &data.instance.title,
            heading,
            message,
            back,
        },
    );
    match rendered {
        Ok(res) => res,
        Err(e) => actix_web::ResponseError::error_response(&e),
    }
}

/// Why a request is not let in, as the response that says so.
fn refusal(res: HttpResponse) -> actix_web::Error {
    actix_web::error::InternalError::from_response("console refusal", res).into()
}

/// The path a signed-out visitor is sent back to after signing in: only console paths.
pub(crate) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if (n == "/admin" || n.starts_with("/admin/") || n.starts_with("/admin?"))
                && n.chars().all(|c| c.is_ascii_graphic() && c != '\\') =>
        {
            n
        }
        _ => "/admin/reports",
    }
}

/// A signed-in moderator or admin: every console page and form takes one. Signed-out visitors
/// are sent to the login page (nothing is done); plain users get a 403 page; a POST from
/// another site gets a 403 page before its session is even looked at.
pub(crate) struct Staffed {
    pub signed: Signed,
    pub staff: Staff,
}

impl Staffed {
    /// The session's CSRF token, for the forms of the page.
    pub(crate) fn csrf(&self) -> &str {
        &self.signed.session.csrf_token
    }

    /// The signed-in account's name, for the page header.
    pub(crate) fn name(&self) -> &str {
        &self.signed.account.username
    }

    /// Takes the one-off message left by the last form, if any (clearing it).
    pub(crate) async fn take_flash(&self, data: &Data) -> ApiResult<Option<String>> {
        let Some(flash) = self.signed.session.flash.clone() else {
            return Ok(None);
        };
        let hash = self.signed.session.secret_hash.clone();
        data.db
            .write(move |c| store::set_flash(c, &hash, None))
            .await?;
        Ok(Some(flash))
    }
}

async fn staffed(req: HttpRequest) -> Result<Staffed, actix_web::Error> {
    let data = crate::context(&req)?;
    if req.method() != Method::GET && req.method() != Method::HEAD && cross_origin(&req, &data) {
        return Err(refusal(error_page(
            &data,
            StatusCode::FORBIDDEN,
            "Refused",
            "This form was sent from another site.",
            None,
        )));
    }
    let secret = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
    let signed = match secret {
        Some(s) if !s.is_empty() => data
            .db
            .read(move |c| console_sessions::find(c, &s))
            .await
            .map_err(ApiError::from)?,
        _ => None,
    };
    let Some(signed) = signed else {
        let next = if req.method() == Method::GET {
            req.uri()
                .path_and_query()
                .map_or("/admin", |p| p.as_str())
                .to_owned()
        } else {
            "/admin".to_owned()
        };
        let location = format!(
            "/admin/login?next={}",
            url::form_urlencoded::byte_serialize(safe_next(Some(&next)).as_bytes())
                .collect::<String>()
        );
        return Err(refusal(see_other(&location)));
    };
    let Some(staff) = signed.staff else {
        return Err(refusal(error_page(
            &data,
            StatusCode::FORBIDDEN,
            "Not allowed",
            "The moderation console is for moderators and admins.",
            None,
        )));
    };
    Ok(Staffed { signed, staff })
}

impl FromRequest for Staffed {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Staffed, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(staffed(req.clone()))
    }
}

/// A console form: sent by a signed-in moderator or admin ([`Staffed`]) from this site, with
/// the session's CSRF token in the `csrf` field (403, nothing done, otherwise), and the rest of
/// its fields read into `T`.
pub(crate) struct Posted<T> {
    pub who: Staffed,
    pub form: T,
}

/// Checks the CSRF token among a form's fields and removes it.
fn check_csrf(
    who: &Staffed,
    fields: &mut Map<String, Value>,
    data: &Data,
) -> Result<(), actix_web::Error> {
    let presented = match fields.remove(CSRF_FIELD) {
        Some(Value::String(s)) => s,
        _ => String::new(),
    };
    if console_sessions::csrf_matches(&who.signed.session, &presented) {
        return Ok(());
    }
    Err(refusal(error_page(
        data,
        StatusCode::FORBIDDEN,
        "Refused",
        "This form is out of date or was not sent from the console. Reload the page and try again.",
        None,
    )))
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Posted<T>, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = Body::<Map<String, Value>>::from_request(&req, payload);
        Box::pin(async move {
            let who = staffed(req.clone()).await?;
            let data = crate::context(&req)?;
            let mut fields = body.await?.0;
            check_csrf(&who, &mut fields, &data)?;
            let form = serde_json::from_value(Value::Object(fields))
                .map_err(|e| ApiError::Unprocessable(format!("Validation failed: {e}")))?;
            Ok(Posted { who, form })
        })
    }
}

/// What a form did: on success a 303 to `back` with `notice` shown there (kept in the session,
/// written in its own small transaction); on a refusal an error page with its status (403 for
/// a moderator acting on an admin, 422 for invalid input, 404 for something gone).
pub(crate) async fn outcome<E: Into<ApiError>>(
    data: &Data,
    who: &Staffed,
    result: Result<(), E>,
    back: &str,
    notice: &str,
) -> ApiResult<HttpResponse> {
    match result.map_err(Into::into) {
        Ok(()) => {
            let hash = who.signed.session.secret_hash.clone();
            let notice = notice.to_owned();
            data.db
                .write(move |c| store::set_flash(c, &hash, Some(&notice)))
                .await?;
            Ok(see_other(back))
        }
        Err(ApiError::Forbidden(msg)) => Ok(error_page(
            data,
            StatusCode::FORBIDDEN,
            "Not allowed",
            &msg,
            Some(back),
        )),
        Err(ApiError::Unprocessable(msg)) => Ok(error_page(
            data,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Not done",
            msg.strip_prefix("Validation failed: ").unwrap_or(&msg),
            Some(back),
        )),
        Err(ApiError::NotFound) => Ok(error_page(
            data,
            StatusCode::NOT_FOUND,
            "Not found",
            "It does not exist (any more).",
            Some(back),
        )),
        Err(e) => Err(e),
    }
}

/// Flattens the nested results of `db.write(|c| Ok(core_fn(c, …)))`.
pub(crate) fn flat<T>(
    r: Result<Result<T, CoreError>, kith_storage::StorageError>,
) -> Result<T, ApiError> {
    Ok(r??)
}

/// A federation-layer result as the console shows it.
pub(crate) fn fed<T>(r: Result<T, FederationError>) -> Result<T, ApiError> {
    r.map_err(ApiError::from)
}

/// A path id, or 404.
pub(crate) fn path_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound)
}

/// A form's checkbox: present (any value but `0`/`false`/`off`) means on.
pub(crate) fn checked(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|v| !matches!(v, "" | "0" | "false" | "off"))
}

/// A stored time as the console shows it.
pub(crate) fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What the page header shows of the signed-in person, and the token its forms carry.
pub(crate) struct Frame {
    pub instance_title: String,
    pub me: String,
    pub role: &'static str,
    pub csrf: String,
    pub flash: Option<String>,
    pub open_reports: i64,
}

impl Frame {
    /// The frame of a page for `who` (takes the pending message).
    pub(crate) async fn of(who: &Staffed, data: &Data) -> ApiResult<Frame> {
        let flash = who.take_flash(data).await?;
        let open_reports = data
            .db
            .read(kith_storage::moderation::count_open_reports)
            .await?;
        Ok(Frame {
            instance_title: data.instance.title.clone(),
            me: who.name().to_owned(),
            role: who.staff.role.as_str(),
            csrf: who.csrf().to_owned(),
            flash,
            open_reports,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_paths_are_followed_after_login() {
        assert_eq!(safe_next(Some("/admin/reports/5")), "/admin/reports/5");
        assert_eq!(safe_next(Some("/admin?x=1")), "/admin?x=1");
        assert_eq!(safe_next(Some("//evil.example/admin")), "/admin/reports");
        assert_eq!(safe_next(Some("https://evil.example/")), "/admin/reports");
        assert_eq!(safe_next(Some("/administrator")), "/admin/reports");
        assert_eq!(safe_next(Some("/admin/\\evil")), "/admin/reports");
        assert_eq!(safe_next(Some("/admin/a b")), "/admin/reports");
        assert_eq!(safe_next(None), "/admin/reports");
    }

    #[test]
    fn checkboxes_read_as_browsers_send_them() {
        assert!(checked(&Some("on".into())));
        assert!(checked(&Some("true".into())));
        assert!(!checked(&None));
        assert!(!checked(&Some("0".into())));
    }
}
