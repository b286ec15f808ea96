//! The sign-up page, `/auth/sign_up` (Mastodon's address), for people without an app: a form
//! when the registration mode lets people join (open, approval with a reason, invite-only
//! with a code, which `?invite=CODE` fills in), a sentence and no form when it is closed.
//! The form goes to the same `kith_core::registrations::sign_up` as `POST /api/v1/accounts`
//! and counts against the same per-address sign-up limit (`rate_limit::count_sign_up`).
//! It is guarded by a signed double-submit token and the origin check (`form_guard`): a
//! failure is a 403 with nothing made. A refusal shows the form again with the message
//! beside its field (422), keeping what was typed except the passwords.

use super::html;
use crate::body::{lenient_bool, Body};
use crate::error::{ApiError, ApiResult};
use crate::form_guard::SIGN_UP;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use kith_core::registrations::{self, Field, Mode, SignUp};
use kith_core::CoreError;
use kith_federation::Data;
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/sign_up", web::get().to(form))
        .route("/auth/sign_up", web::post().to(submit));
}

/// What the person typed, shown again (never the passwords).
#[derive(Debug, Default)]
struct Typed {
    username: String,
    email: String,
    reason: String,
    invite_code: String,
    agreement: bool,
}

/// The messages a refused form shows, each beside its field (`form`: above the form).
#[derive(Debug, Default)]
struct Errors {
    form: Option<String>,
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    confirmation: Option<String>,
    reason: Option<String>,
    invite_code: Option<String>,
    agreement: Option<String>,
}

impl Errors {
    fn fields(&self) -> [&Option<String>; 7] {
        [
            &self.username,
            &self.email,
            &self.password,
            &self.confirmation,
            &self.reason,
            &self.invite_code,
            &self.agreement,
        ]
    }

    /// How many fields have a message.
    fn count(&self) -> usize {
        self.fields().iter().filter(|e| e.is_some()).count()
    }

    fn any(&self) -> bool {
        self.count() > 0
    }

    /// A refusal of `registrations::sign_up`, put beside the field it is about.
    fn from_refusal(e: &CoreError) -> Errors {
        let message = match e {
            CoreError::Taken(what) => format!("This {what} is already taken."),
            CoreError::Invalid(msg) | CoreError::Forbidden(msg) => sentence(msg),
            _ => "The account could not be made.".into(),
        };
        let mut errors = Errors::default();
        let slot = match Field::of(e) {
            Some(Field::Username) => &mut errors.username,
            Some(Field::Email) => &mut errors.email,
            Some(Field::Password) => &mut errors.password,
            Some(Field::Reason) => &mut errors.reason,
            Some(Field::InviteCode) => &mut errors.invite_code,
            Some(Field::Agreement) => &mut errors.agreement,
            None => &mut errors.form,
        };
        *slot = Some(message);
        errors
    }
}

/// `msg` with a capital letter and a full stop.
fn sentence(msg: &str) -> String {
    let mut chars = msg.chars();
    let mut out: String = chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

/// Where "Sign in" leads after signing up: only back to an OAuth sign-in page of this
/// instance (the sign-up link there carries it).
fn safe_next(next: Option<&str>) -> Option<&str> {
    next.filter(|n| {
        n.starts_with("/oauth/authorize?") && n.chars().all(|c| c.is_ascii_graphic() && c != '\\')
    })
}

#[derive(Template)]
#[template(path = "sign_up.html")]
struct SignUpPage<'a> {
    instance_title: &'a str,
    domain: &'a str,
    /// Why there is no form (registrations closed).
    closed: Option<&'static str>,
    approval: bool,
    invite_only: bool,
    rules: &'a [String],
    csrf: &'a str,
    next: Option<&'a str>,
    fields: &'a Typed,
    errors: &'a Errors,
}

/// The page for `mode`, with a fresh (or the browser's current) form token.
async fn page(
    req: &HttpRequest,
    data: &Data,
    status: StatusCode,
    mode: Mode,
    next: Option<&str>,
    fields: &Typed,
    errors: &Errors,
) -> ApiResult<HttpResponse> {
    let closed = (mode == Mode::Closed).then_some(
        "Sign-ups are closed here: the admins make accounts. Ask them if you would like one.",
    );
    let issued = match closed {
        None => Some(SIGN_UP.issue(req, data).await?),
        Some(_) => None,
    };
    let mut res = html(
        status,
        &SignUpPage {
            instance_title: &data.instance.title,
            domain: data.urls.domain(),
            closed,
            approval: mode == Mode::Approval,
            invite_only: mode == Mode::Invite,
            rules: &data.instance.rules,
            csrf: issued.as_ref().map_or("", |i| i.token.as_str()),
            next: safe_next(next),
            fields,
            errors,
        },
    )?;
    if let Some(issued) = issued {
        issued.set_on(&mut res)?;
    }
    Ok(res)
}

async fn mode(data: &Data) -> ApiResult<Mode> {
    Ok(data.db.read(registrations::mode).await?)
}

#[derive(Debug, Deserialize)]
struct FormQuery {
    invite: Option<String>,
    next: Option<String>,
}

async fn form(req: HttpRequest, q: web::Query<FormQuery>, data: Data) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let typed = Typed {
        invite_code: q.invite.unwrap_or_default(),
        ..Typed::default()
    };
    let mode = mode(&data).await?;
    page(
        &req,
        &data,
        StatusCode::OK,
        mode,
        q.next.as_deref(),
        &typed,
        &Errors::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
struct SignUpForm {
    csrf: Option<String>,
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    password_confirmation: Option<String>,
    reason: Option<String>,
    invite_code: Option<String>,
    #[serde(default, deserialize_with = "lenient_bool")]
    agreement: Option<bool>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "signed_up.html")]
struct SignedUpPage<'a> {
    instance_title: &'a str,
    domain: &'a str,
    username: &'a str,
    approved: bool,
    sign_in: Option<&'a str>,
}

async fn submit(req: HttpRequest, form: Body<SignUpForm>, data: Data) -> ApiResult<HttpResponse> {
    let form = form.0;
    let typed = Typed {
        username: form.username.clone().unwrap_or_default(),
        email: form.email.clone().unwrap_or_default(),
        reason: form.reason.clone().unwrap_or_default(),
        invite_code: form.invite_code.clone().unwrap_or_default(),
        agreement: form.agreement == Some(true),
    };
    let next = form.next.as_deref();
    let mode = mode(&data).await?;
    let refuse = async |status: StatusCode, errors: Errors| {
        page(&req, &data, status, mode, next, &typed, &errors).await
    };
    if !SIGN_UP.check(&req, &data, form.csrf.as_deref()).await? {
        let errors = Errors {
            form: Some(
                "This form was out of date or not sent from this site, so nothing was done. \
                 Check it and send it again."
                    .into(),
            ),
            ..Errors::default()
        };
        return refuse(StatusCode::FORBIDDEN, errors).await;
    }
    if let Some(verdict) = crate::rate_limit::count_sign_up(&req, &data.db).await? {
        if verdict.exceeded() {
            let errors = Errors {
                form: Some("Too many sign-ups from your address. Try again later.".into()),
                ..Errors::default()
            };
            let mut res = refuse(StatusCode::TOO_MANY_REQUESTS, errors).await?;
            verdict.apply(res.headers_mut());
            return Ok(res);
        }
    }
    let password = form.password.unwrap_or_default();
    if form.password_confirmation.as_deref() != Some(password.as_str()) {
        let errors = Errors {
            confirmation: Some("The two passwords are not the same.".into()),
            ..Errors::default()
        };
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, errors).await;
    }
    let sign_up = SignUp {
        username: typed.username.clone(),
        password,
        email: form.email,
        reason: form.reason,
        invite_code: form.invite_code,
        agreement: typed.agreement,
    };
    let (account, approved) = match registrations::sign_up(&data.db, &data.urls, sign_up).await {
        Ok(made) => made,
        Err(e) => {
            let status = match &e {
                CoreError::Invalid(_) | CoreError::Taken(_) => StatusCode::UNPROCESSABLE_ENTITY,
                CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
                _ => return Err(ApiError::from(e)),
            };
            return refuse(status, Errors::from_refusal(&e)).await;
        }
    };
    html(
        StatusCode::OK,
        &SignedUpPage {
            instance_title: &data.instance.title,
            domain: data.urls.domain(),
            username: &account.username,
            approved,
            sign_in: safe_next(next),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_leads_only_back_to_this_instances_oauth_page() {
        assert_eq!(
            safe_next(Some("/oauth/authorize?client_id=a&scope=read")),
            Some("/oauth/authorize?client_id=a&scope=read")
        );
        for bad in [
            "https://evil.example/oauth/authorize?x",
            "//evil.example/oauth/authorize?x",
            "/oauth/authorize",
            "/oauth/authorize?a b",
            "/oauth/authorize?\\evil",
            "/admin",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }

    #[test]
    fn refusals_go_beside_their_field() {
        let e = Errors::from_refusal(&CoreError::Taken("username"));
        assert_eq!(
            e.username.as_deref(),
            Some("This username is already taken.")
        );
        assert_eq!(e.count(), 1);
        let e = Errors::from_refusal(&CoreError::Forbidden("Registrations are closed".into()));
        assert_eq!(e.form.as_deref(), Some("Registrations are closed."));
        assert!(!e.any());
    }
}
