//! The streaming API: `GET /api/v1/streaming` (WebSocket, with `subscribe`/`unsubscribe`
//! messages and an optional `stream` parameter; without an `Upgrade` it serves that stream as
//! server-sent events), the SSE endpoints `/api/v1/streaming/{user,public,…}`, and `/health`.
//! The hub (`crate::streaming`) decides what each client gets.
//!
//! The token may come, as Mastodon's streaming server takes it, from the `access_token`
//! query parameter, the `Sec-WebSocket-Protocol` header or `Authorization: Bearer`, so the
//! scope gate sees these routes as public and this module checks the token and each stream's
//! scope itself (`read:statuses`, or `read:notifications` for `user:notification`), and that
//! a `list` stream names one of the viewer's lists. Public and hashtag streams may be read
//! without a token, as on Mastodon.

use crate::error::ApiError;
use crate::streaming::{Connection, Hub, Message, Stream};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use futures::StreamExt;
use kith_core::tokens::{self, Authenticated};
use serde::Deserialize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often a WebSocket is pinged and an SSE stream gets a `:thump` comment.
const HEARTBEAT: Duration = Duration::from_secs(30);
/// A WebSocket that has not answered a ping for this long is closed.
const PONG_DEADLINE: Duration = Duration::from_secs(75);
/// The largest client message taken (subscribe/unsubscribe are tiny).
const MAX_FRAME: usize = 4 * 1024;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/streaming", web::get().to(streaming))
        .route("/v1/streaming/", web::get().to(streaming))
        .route("/v1/streaming/health", web::get().to(health))
        .route("/v1/streaming/user", web::get().to(sse_user))
        .route(
            "/v1/streaming/user/notification",
            web::get().to(sse_user_notification),
        )
        .route("/v1/streaming/public", web::get().to(sse_public))
        .route(
            "/v1/streaming/public/local",
            web::get().to(sse_public_local),
        )
        .route(
            "/v1/streaming/public/remote",
            web::get().to(sse_public_remote),
        )
        .route("/v1/streaming/hashtag", web::get().to(sse_hashtag))
        .route(
            "/v1/streaming/hashtag/local",
            web::get().to(sse_hashtag_local),
        )
        .route("/v1/streaming/list", web::get().to(sse_list))
        .route("/v1/streaming/direct", web::get().to(sse_direct));
}

#[derive(Debug, Deserialize)]
struct Params {
    access_token: Option<String>,
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
}

/// A client's subscribe/unsubscribe message.
#[derive(Debug, Deserialize)]
struct Command {
    #[serde(rename = "type")]
    kind: String,
    stream: String,
    tag: Option<String>,
    list: Option<serde_json::Value>,
}

async fn health() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("OK")
}

/// The token presented, and whether it came as the WebSocket subprotocol (to be echoed).
fn token_of(req: &HttpRequest, params: &Params) -> (Option<String>, bool) {
    if let Some(t) = params.access_token.as_deref().filter(|t| !t.is_empty()) {
        return (Some(t.to_owned()), false);
    }
    if let Some(v) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        if let Some((scheme, t)) = v.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") && !t.trim().is_empty() {
                return (Some(t.trim().to_owned()), false);
            }
        }
    }
    let protocol = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or_default().trim().to_owned())
        .filter(|t| !t.is_empty());
    let via_protocol = protocol.is_some();
    (protocol, via_protocol)
}

/// Checks the token, if any: an invalid one is 401, as on every endpoint.
async fn authenticate(
    req: &HttpRequest,
    token: Option<&str>,
) -> Result<Option<Authenticated>, ApiError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let data = crate::context(req)?;
    let auth = tokens::authenticate(&data.db, token)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Some(auth))
}

/// Whether `auth` may read `stream`: personal streams need a user token, every stream its
/// scope from a token that is there.
fn allowed(auth: Option<&Authenticated>, stream: &Stream) -> Result<(), (u16, String)> {
    match auth {
        None if stream.is_personal() => Err((401, "Missing access token".into())),
        None => Ok(()),
        Some(a) if stream.is_personal() && a.account.is_none() => {
            Err((403, "This stream requires an authenticated user".into()))
        }
        Some(a) if !a.scopes.allows(stream.scope()) => {
            Err((403, crate::scopes::OUT_OF_SCOPE.into()))
        }
        Some(_) => Ok(()),
    }
}

/// Whether the viewer owns the list a `list` stream names (someone else's list, or none, is
/// 404, as on Mastodon); other streams pass.
async fn owns_list(
    db: &kith_storage::Db,
    auth: Option<&Authenticated>,
    stream: &Stream,
) -> Result<(), (u16, String)> {
    let Stream::List(list) = stream else {
        return Ok(());
    };
    let Some(viewer) = auth.and_then(|a| a.account.as_ref()).map(|a| a.id) else {
        return Err((401, "Missing access token".into()));
    };
    let list = *list;
    match db
        .read(move |c| kith_storage::lists::owned(c, list, viewer))
        .await
    {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err((404, "List not found".into())),
        Err(e) => {
            tracing::warn!(error = %e, "cannot check a list subscription");
            Err((500, "Internal error".into()))
        }
    }
}

fn refusal((status, message): (u16, String)) -> ApiError {
    match status {
        401 => ApiError::Unauthorized,
        403 => ApiError::Forbidden(message),
        404 => ApiError::NotFound,
        500 => ApiError::Internal(message),
        _ => ApiError::BadRequest(message),
    }
}

fn hub(req: &HttpRequest) -> Result<Arc<Hub>, ApiError> {
    req.app_data::<web::Data<Hub>>()
        .map(|h| h.clone().into_inner())
        .ok_or_else(|| ApiError::Internal("the streaming hub is not running".into()))
}

fn connect(req: &HttpRequest, auth: Option<&Authenticated>) -> Result<Connection, ApiError> {
    let viewer = auth.and_then(|a| a.account.as_ref()).map(|a| a.id);
    let notifications = auth.is_some_and(|a| a.scopes.allows("read:notifications"));
    Ok(hub(req)?.connect(viewer, notifications))
}

/// `GET /api/v1/streaming`: a WebSocket, or with no `Upgrade` the `stream` as SSE.
async fn streaming(
    req: HttpRequest,
    body: web::Payload,
    params: web::Query<Params>,
) -> Result<HttpResponse, actix_web::Error> {
    let params = params.into_inner();
    let (token, via_protocol) = token_of(&req, &params);
    let auth = authenticate(&req, token.as_deref()).await?;
    let db = crate::context(&req)?.db.clone();
    let initial = match params.stream.as_deref() {
        Some(name) => {
            let stream = Stream::parse(name, params.tag.as_deref(), params.list.as_deref())
                .map_err(refusal)?;
            allowed(auth.as_ref(), &stream).map_err(refusal)?;
            owns_list(&db, auth.as_ref(), &stream)
                .await
                .map_err(refusal)?;
            Some(stream)
        }
        None => None,
    };
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        let stream = initial.ok_or_else(|| {
            ApiError::BadRequest("Missing stream parameter (or use a WebSocket)".into())
        })?;
        return Ok(sse(&req, auth.as_ref(), stream)?);
    }
    let (mut response, session, messages) = actix_ws::handle(&req, body)?;
    if via_protocol {
        if let Some(t) = token
            .as_deref()
            .and_then(|t| header::HeaderValue::from_str(t).ok())
        {
            response
                .headers_mut()
                .insert(header::SEC_WEBSOCKET_PROTOCOL, t);
        }
    }
    let conn = connect(&req, auth.as_ref())?;
    if let Some(stream) = initial {
        lock(&conn).insert(stream);
    }
    actix_web::rt::spawn(websocket(conn, auth, db, session, messages));
    Ok(response)
}

fn lock(conn: &Connection) -> std::sync::MutexGuard<'_, std::collections::HashSet<Stream>> {
    conn.streams.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs one WebSocket until either side closes, the client stops answering pings, or the hub
/// drops it for falling behind.
async fn websocket(
    mut conn: Connection,
    auth: Option<Authenticated>,
    db: kith_storage::Db,
    mut session: actix_ws::Session,
    messages: actix_ws::MessageStream,
) {
    let mut messages = messages.max_frame_size(MAX_FRAME).aggregate_continuations();
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.tick().await;
    let mut last_pong = Instant::now();
    let kick = conn.kick.clone();
    loop {
        tokio::select! {
            _ = kick.notified() => break,
            queued = conn.rx.recv() => match queued {
                Some(m) => {
                    if session.text(m.websocket_text()).await.is_err() {
                        break;
                    }
                }
                None => break,
            },
            _ = heartbeat.tick() => {
                if last_pong.elapsed() > PONG_DEADLINE || session.ping(b"").await.is_err() {
                    break;
                }
            }
            incoming = messages.next() => match incoming {
                Some(Ok(actix_ws::AggregatedMessage::Text(text))) => {
                    if let Some(error) = command(&conn, auth.as_ref(), &db, &text).await {
                        if session.text(error).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(actix_ws::AggregatedMessage::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        break;
                    }
                }
                Some(Ok(actix_ws::AggregatedMessage::Pong(_))) => last_pong = Instant::now(),
                Some(Ok(actix_ws::AggregatedMessage::Binary(_))) => {}
                Some(Ok(actix_ws::AggregatedMessage::Close(_))) | Some(Err(_)) | None => break,
            },
        }
    }
    drop(conn);
    let _ = session.close(None).await;
}

/// Applies a subscribe/unsubscribe message; returns the error message to send, if any.
async fn command(
    conn: &Connection,
    auth: Option<&Authenticated>,
    db: &kith_storage::Db,
    text: &str,
) -> Option<String> {
    let error = |status: u16, message: &str| {
        Some(serde_json::json!({ "error": message, "status": status }).to_string())
    };
    let Ok(command) = serde_json::from_str::<Command>(text) else {
        return error(400, "Invalid message");
    };
    let list = command.list.as_ref().map(|l| match l {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    let stream = match Stream::parse(&command.stream, command.tag.as_deref(), list.as_deref()) {
        Ok(s) => s,
        Err((status, message)) => return error(status, &message),
    };
    match command.kind.as_str() {
        "subscribe" => {
            if let Err((status, message)) = allowed(auth, &stream) {
                return error(status, &message);
            }
            if let Err((status, message)) = owns_list(db, auth, &stream).await {
                return error(status, &message);
            }
            let mut streams = lock(conn);
            // A bound on what one connection may ask for.
            if streams.len() >= 64 {
                return error(400, "Too many subscriptions");
            }
            streams.insert(stream);
            None
        }
        "unsubscribe" => {
            lock(conn).remove(&stream);
            None
        }
        _ => error(400, "Unknown message type"),
    }
}

/// Serves `stream` as server-sent events until the client goes or falls behind.
fn sse(
    req: &HttpRequest,
    auth: Option<&Authenticated>,
    stream: Stream,
) -> Result<HttpResponse, ApiError> {
    let conn = connect(req, auth)?;
    lock(&conn).insert(stream);
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset();
    let kick = conn.kick.clone();
    let state = (conn, heartbeat, kick, true);
    let body =
        futures::stream::unfold(state, |(mut conn, mut heartbeat, kick, first)| async move {
            if first {
                let hello = web::Bytes::from_static(b":)\n");
                return Some((
                    Ok::<_, actix_web::Error>(hello),
                    (conn, heartbeat, kick, false),
                ));
            }
            let text = tokio::select! {
                _ = kick.notified() => return None,
                queued = conn.rx.recv() => queued.map(|m: Arc<Message>| m.sse_text())?,
                _ = heartbeat.tick() => ":thump\n".to_owned(),
            };
            Some((Ok(web::Bytes::from(text)), (conn, heartbeat, kick, false)))
        });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// An SSE endpoint for one stream.
async fn sse_for(req: HttpRequest, params: Params, name: &str) -> Result<HttpResponse, ApiError> {
    let (token, _) = token_of(&req, &params);
    let auth = authenticate(&req, token.as_deref()).await?;
    let stream =
        Stream::parse(name, params.tag.as_deref(), params.list.as_deref()).map_err(refusal)?;
    allowed(auth.as_ref(), &stream).map_err(refusal)?;
    let db = crate::context(&req)?.db.clone();
    owns_list(&db, auth.as_ref(), &stream)
        .await
        .map_err(refusal)?;
    sse(&req, auth.as_ref(), stream)
}

async fn sse_user(req: HttpRequest, p: web::Query<Params>) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "user").await
}

async fn sse_user_notification(
    req: HttpRequest,
    p: web::Query<Params>,
) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "user:notification").await
}

async fn sse_public(req: HttpRequest, p: web::Query<Params>) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "public").await
}

async fn sse_public_local(
    req: HttpRequest,
    p: web::Query<Params>,
) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "public:local").await
}

async fn sse_public_remote(
    req: HttpRequest,
    p: web::Query<Params>,
) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "public:remote").await
}

async fn sse_hashtag(req: HttpRequest, p: web::Query<Params>) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "hashtag").await
}

async fn sse_hashtag_local(
    req: HttpRequest,
    p: web::Query<Params>,
) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "hashtag:local").await
}

async fn sse_list(req: HttpRequest, p: web::Query<Params>) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "list").await
}

async fn sse_direct(req: HttpRequest, p: web::Query<Params>) -> Result<HttpResponse, ApiError> {
    sse_for(req, p.into_inner(), "direct").await
}
