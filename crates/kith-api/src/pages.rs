//! HTML pages for people: the public pages (`public`: the instance's home page, profiles,
//! threads, tags), the sign-up page (`sign_up`), error pages, and the static files they use.
//! Templates are askama's, which escapes every value unless marked `safe` (only HTML Kith
//! made or sanitized is). Every page goes out through `html`, with a Content-Security-Policy
//! that allows no script at all.

use crate::body::UnreadBody;
use crate::error::{ApiError, ApiResult};
use crate::routes::wants_activity_json;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use kith_federation::Data;

mod public;
mod sign_up;
mod view;

pub(crate) use public::profile_page;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    public::configure(cfg);
    sign_up::configure(cfg);
    cfg.route("/static/{file}", web::get().to(static_file));
}

/// Renders a template into a response with `status`.
pub(crate) fn html(
    status: actix_web::http::StatusCode,
    page: &impl Template,
) -> ApiResult<HttpResponse> {
    let body = page
        .render()
        .map_err(|e| ApiError::Internal(format!("template: {e}")))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::VARY, "Accept"))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src https: http: data:; base-uri 'none'; form-action *; frame-ancestors 'none'",
        ))
        .body(body))
}

/// The HTML 404 page.
pub(crate) fn not_found_page(data: &Data) -> ApiResult<HttpResponse> {
    html(
        actix_web::http::StatusCode::NOT_FOUND,
        &ErrorPage {
            instance_title: &data.instance.title,
            heading: "Not found",
            message: "There is nothing here, or it is not public.",
        },
    )
}

async fn static_file(path: web::Path<String>) -> HttpResponse {
    let (body, mime): (&'static [u8], &str) = match path.as_str() {
        "avatar.png" => (include_bytes!("../static/avatar.png"), "image/png"),
        "header.png" => (include_bytes!("../static/header.png"), "image/png"),
        "kith.css" => (
            include_bytes!("../static/kith.css"),
            "text/css; charset=utf-8",
        ),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(body)
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage<'a> {
    pub instance_title: &'a str,
    pub heading: &'a str,
    pub message: &'a str,
}

/// Error answers as people and programs want them. A browser (`Accept: text/html`, `GET` or
/// `HEAD`) that meets an error outside the client API, OAuth, discovery and ActivityPub gets
/// an HTML page; everyone else keeps the JSON `{"error": …}` body, which error answers
/// without a body (a bare 404 for a static file, say) get too, since Mastodon clients expect
/// one on every error. Wrap the app in it inside `FederationMiddleware`.
pub fn error_pages<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        Ok(ErrorHandlerResponse::Response(error_page(res)))
    })
}

fn error_page<B: MessageBody + 'static>(res: ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> {
    // A body cut off by its deadline stays open until the answer is written, so that actix
    // closes the connection rather than drain the rest (see `UnreadBody`).
    let unread = UnreadBody::take(res.request());
    let res = error_answer(res);
    match unread {
        None => res,
        Some(unread) => res.map_body(|_, body| EitherBody::right(unread.hold(body.boxed()))),
    }
}

fn error_answer<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<B>> {
    let has_body = res.headers().contains_key(header::CONTENT_TYPE);
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if wants_html(res.request()) && !is_html {
        let status = res.status();
        let (req, old) = res.into_parts();
        let title = crate::context(&req).map(|d| d.instance.title.clone());
        let (heading, message) = error_words(status);
        let page = ErrorPage {
            instance_title: title.as_deref().unwrap_or("Kith"),
            heading,
            message,
        };
        let Ok(mut new) = html(status, &page) else {
            return ServiceResponse::new(req, old).map_into_left_body();
        };
        for (name, value) in old.headers() {
            if !new.headers().contains_key(name) && name != header::CONTENT_LENGTH {
                new.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return ServiceResponse::new(req, new).map_into_right_body();
    }
    if has_body {
        return res.map_into_left_body();
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut new = HttpResponse::build(status).json(serde_json::json!({ "error": reason }));
    for (name, value) in old.headers() {
        if !new.headers().contains_key(name) && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, new).map_into_right_body()
}

/// Whether an error answer to `req` should be a page for people.
fn wants_html(req: &HttpRequest) -> bool {
    let machine_paths = ["/api/", "/oauth/", "/.well-known/", "/nodeinfo/"];
    (req.method() == Method::GET || req.method() == Method::HEAD)
        && !machine_paths.iter().any(|p| req.path().starts_with(p))
        && !wants_activity_json(req)
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// The heading and sentence of an error page.
fn error_words(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::NOT_FOUND | StatusCode::GONE => {
            ("Not found", "There is nothing here, or it is not public.")
        }
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            ("Not allowed", "You may not see this page.")
        }
        StatusCode::METHOD_NOT_ALLOWED => (
            "Not here",
            "This address does not answer that kind of request.",
        ),
        StatusCode::TOO_MANY_REQUESTS => ("Too many requests", "Wait a little and try again."),
        s if s.is_server_error() => (
            "Something went wrong",
            "The server could not answer this request. Try again later.",
        ),
        _ => ("Bad request", "This request could not be handled."),
    }
}
