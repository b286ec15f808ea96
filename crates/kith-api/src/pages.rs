//! HTML pages for people: the instance's front page, profiles, posts, error pages, and the
//! static files they use. Templates are askama's, which escapes every value unless marked
//! `safe` (only sanitized HTML is).

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
use kith_storage::accounts::{self, Account};
use kith_storage::statuses::{self, Status};
use kith_storage::OptionalExt;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/@{username}", web::get().to(profile))
        .route("/@{username}/{id}", web::get().to(status))
        .route("/static/{file}", web::get().to(static_file));
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
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src * data:; form-action *; frame-ancestors 'none'",
        ))
        .body(body))
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    instance_title: &'a str,
    description: &'a str,
    users: i64,
    version: &'a str,
}

async fn index(data: Data) -> ApiResult<HttpResponse> {
    let stats = kith_core::stats::instance_stats(&data.db).await?;
    html(
        actix_web::http::StatusCode::OK,
        &IndexPage {
            instance_title: &data.instance.title,
            description: &data.instance.description,
            users: stats.users,
            version: kith_core::instance::KITH_VERSION,
        },
    )
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    instance_title: &'a str,
    display_name: &'a str,
    acct: String,
    avatar: String,
    note: &'a str,
    locked: bool,
    actor_url: &'a str,
}

/// The HTML profile of a local account.
pub(crate) async fn profile_page(account: &Account, data: &Data) -> ApiResult<HttpResponse> {
    let display_name = if account.display_name.is_empty() {
        &account.username
    } else {
        &account.display_name
    };
    html(
        actix_web::http::StatusCode::OK,
        &ProfilePage {
            instance_title: &data.instance.title,
            display_name,
            acct: format!("{}@{}", account.username, data.urls.domain()),
            avatar: account
                .avatar_url
                .clone()
                .unwrap_or_else(|| crate::entities::account::default_avatar(&data.urls)),
            // Local notes are made from escaped text; remote ones are sanitized on arrival.
            note: &account.note,
            locked: account.locked,
            actor_url: &account.ap_id,
        },
    )
}

async fn profile(req: HttpRequest, path: web::Path<String>, data: Data) -> ApiResult<HttpResponse> {
    let username = path.into_inner();
    let account = data
        .db
        .read(move |c| accounts::local_by_username(c, &username).optional())
        .await?
        .filter(|a| a.actor_type != "Application")
        .ok_or(ApiError::NotFound)?;
    if wants_activity_json(&req) {
        // Some servers dereference the profile URL; send them to the actor.
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, account.ap_id.clone()))
            .finish());
    }
    profile_page(&account, &data).await
}

#[derive(Template)]
#[template(path = "status.html")]
struct StatusPage<'a> {
    instance_title: &'a str,
    display_name: &'a str,
    acct: String,
    profile_url: String,
    note_id: &'a str,
    summary: String,
    spoiler_text: &'a str,
    content: &'a str,
    datetime: String,
    date: String,
    edited: bool,
}

/// A local post's page (its `url`): public and unlisted posts only, the same rule as for an
/// anonymous reader of the API (`statuses::is_visible` with no viewer); anything else is the
/// 404 page. Asked for as ActivityStreams, it answers the Note.
async fn status(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let (username, id) = path.into_inner();
    if wants_activity_json(&req) {
        return crate::activitypub::note_response(&req, &data, username, &id).await;
    }
    let Ok(id) = id.parse::<i64>() else {
        return not_found_page(&data);
    };
    let author = data
        .db
        .read(move |c| accounts::local_by_username(c, &username).optional())
        .await?
        .filter(|a| a.actor_type != "Application");
    let Some(author) = author else {
        return not_found_page(&data);
    };
    let author_id = author.id;
    let post: Option<Status> = data
        .db
        .read(move |c| {
            let Some(s) = statuses::by_id(c, id).optional()? else {
                return Ok(None);
            };
            let shown = s.account_id == author_id
                && s.reblog_of_id.is_none()
                && statuses::is_visible(c, s.id, None)?;
            Ok(shown.then_some(s))
        })
        .await?;
    let Some(post) = post else {
        return not_found_page(&data);
    };
    let display_name = if author.display_name.is_empty() {
        &author.username
    } else {
        &author.display_name
    };
    let text = kith_core::html::html_to_text(&post.content);
    let summary = if post.spoiler_text.is_empty() {
        shorten(&text, 60)
    } else {
        shorten(&post.spoiler_text, 60)
    };
    html(
        actix_web::http::StatusCode::OK,
        &StatusPage {
            instance_title: &data.instance.title,
            display_name,
            acct: format!("{}@{}", author.username, data.urls.domain()),
            profile_url: data.urls.profile(&author.username).to_string(),
            note_id: &post.ap_id,
            summary,
            spoiler_text: &post.spoiler_text,
            // Local posts are escaped plain text with Kith's own links (ARCHITECTURE invariants).
            content: &post.content,
            datetime: post.created_at.and_utc().to_rfc3339(),
            date: post.created_at.format("%-d %B %Y, %H:%M UTC").to_string(),
            edited: post.edited_at.is_some(),
        },
    )
}

/// At most `max` characters of `text`, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
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
