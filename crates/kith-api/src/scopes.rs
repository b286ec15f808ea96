//! Which OAuth scope each client-API endpoint needs: one table, `ENDPOINTS`, keyed by method
//! and route pattern, enforced once by `gate`, the middleware around every route under `/api`.
//! A token presented is always checked, also on endpoints that anyone may read; a route the
//! table does not name is refused (fail closed). Scopes follow Mastodon's (`read:statuses`,
//! `write:follows`, `follow` for follows and blocks, `profile` for one's own account only).

use crate::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest};
use kith_core::tokens::{self, Authenticated};

/// What an endpoint asks of the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone; a token presented is not read (app registration, instance documents).
    Public,
    /// Anyone may read; a token presented must be valid and allow this scope.
    Optional(&'static str),
    /// A valid token acting for a user, allowing this scope.
    User(&'static str),
    /// Any valid token, a user's or an application's.
    AnyToken,
    /// Any valid token, a user's or an application's, allowing this scope.
    Token(&'static str),
    /// A valid token acting for an admin or a moderator, allowing this (`admin:…`) scope; a
    /// plain user gets 403.
    Staff(&'static str),
}

use Access::{AnyToken, Optional, Public, Staff, Token, User};

/// Every client-API endpoint: method, route pattern (as mounted), and what it needs. Mastodon's
/// requirements, from its controllers and API documentation.
pub const ENDPOINTS: &[(&str, &str, Access)] = &[
    ("POST", "/api/v1/apps", Public),
    ("GET", "/api/v1/apps/verify_credentials", AnyToken),
    ("GET", "/api/v1/instance", Public),
    ("GET", "/api/v1/instance/", Public),
    ("GET", "/api/v2/instance", Public),
    ("GET", "/api/v2/instance/", Public),
    ("GET", "/api/v1/instance/domain_blocks", Optional("read")),
    (
        "GET",
        "/api/v1/admin/domain_blocks",
        Staff("admin:read:domain_blocks"),
    ),
    (
        "POST",
        "/api/v1/admin/domain_blocks",
        Staff("admin:write:domain_blocks"),
    ),
    (
        "GET",
        "/api/v1/admin/domain_blocks/export",
        Staff("admin:read:domain_blocks"),
    ),
    (
        "POST",
        "/api/v1/admin/domain_blocks/import",
        Staff("admin:write:domain_blocks"),
    ),
    (
        "GET",
        "/api/v1/admin/domain_blocks/{id}",
        Staff("admin:read:domain_blocks"),
    ),
    (
        "PUT",
        "/api/v1/admin/domain_blocks/{id}",
        Staff("admin:write:domain_blocks"),
    ),
    (
        "DELETE",
        "/api/v1/admin/domain_blocks/{id}",
        Staff("admin:write:domain_blocks"),
    ),
    (
        "GET",
        "/api/v1/admin/domain_allows",
        Staff("admin:read:domain_allows"),
    ),
    (
        "POST",
        "/api/v1/admin/domain_allows",
        Staff("admin:write:domain_allows"),
    ),
    (
        "GET",
        "/api/v1/admin/domain_allows/{id}",
        Staff("admin:read:domain_allows"),
    ),
    (
        "DELETE",
        "/api/v1/admin/domain_allows/{id}",
        Staff("admin:write:domain_allows"),
    ),
    ("GET", "/api/v1/instance/rules", Public),
    ("GET", "/api/v1/instance/peers", Public),
    ("GET", "/api/v1/instance/activity", Public),
    ("GET", "/api/v1/custom_emojis", Public),
    ("GET", "/api/v1/preferences", User("read:accounts")),
    // Announcements: Mastodon's `read` to list, `write:accounts` to dismiss and
    // `write:favourites` to react.
    ("GET", "/api/v1/announcements", User("read")),
    (
        "POST",
        "/api/v1/announcements/{id}/dismiss",
        User("write:accounts"),
    ),
    (
        "PUT",
        "/api/v1/announcements/{id}/reactions/{name}",
        User("write:favourites"),
    ),
    (
        "DELETE",
        "/api/v1/announcements/{id}/reactions/{name}",
        User("write:favourites"),
    ),
    ("GET", "/api/v1/trends", Public),
    ("GET", "/api/v1/trends/tags", Public),
    ("GET", "/api/v1/trends/statuses", Public),
    ("GET", "/api/v1/trends/links", Public),
    ("GET", "/api/v1/suggestions", User("read")),
    ("GET", "/api/v2/suggestions", User("read")),
    ("GET", "/api/v1/accounts/search", User("read:accounts")),
    (
        "GET",
        "/api/v1/accounts/familiar_followers",
        User("read:follows"),
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/featured_tags",
        Optional("read:accounts"),
    ),
    ("GET", "/api/v1/blocks", User("read:blocks")),
    ("POST", "/api/v1/accounts/{id}/mute", User("write:mutes")),
    ("POST", "/api/v1/accounts/{id}/unmute", User("write:mutes")),
    ("GET", "/api/v1/mutes", User("read:mutes")),
    ("GET", "/api/v1/domain_blocks", User("read:blocks")),
    ("POST", "/api/v1/domain_blocks", User("write:blocks")),
    ("DELETE", "/api/v1/domain_blocks", User("write:blocks")),
    ("GET", "/api/v1/endorsements", User("read:accounts")),
    // Profiles: private notes, endorsements, featured tags (Mastodon's `write:accounts`).
    ("POST", "/api/v1/accounts/{id}/note", User("write:accounts")),
    (
        "POST",
        "/api/v1/accounts/{id}/endorse",
        User("write:accounts"),
    ),
    ("POST", "/api/v1/accounts/{id}/pin", User("write:accounts")),
    (
        "POST",
        "/api/v1/accounts/{id}/unendorse",
        User("write:accounts"),
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/unpin",
        User("write:accounts"),
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/endorsements",
        Optional("read:accounts"),
    ),
    ("GET", "/api/v1/featured_tags", User("read:accounts")),
    ("POST", "/api/v1/featured_tags", User("write:accounts")),
    (
        "GET",
        "/api/v1/featured_tags/suggestions",
        User("read:accounts"),
    ),
    (
        "DELETE",
        "/api/v1/featured_tags/{id}",
        User("write:accounts"),
    ),
    (
        "POST",
        "/api/v1/tags/{name}/feature",
        User("write:accounts"),
    ),
    (
        "POST",
        "/api/v1/tags/{name}/unfeature",
        User("write:accounts"),
    ),
    (
        "GET",
        "/api/v1/accounts/verify_credentials",
        User("profile"),
    ),
    (
        "PATCH",
        "/api/v1/accounts/update_credentials",
        User("write:accounts"),
    ),
    ("GET", "/api/v1/accounts/lookup", Optional("read:accounts")),
    (
        "GET",
        "/api/v1/accounts/relationships",
        User("read:follows"),
    ),
    ("GET", "/api/v1/accounts/{id}", Optional("read:accounts")),
    (
        "POST",
        "/api/v1/accounts/{id}/follow",
        User("write:follows"),
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/unfollow",
        User("write:follows"),
    ),
    ("POST", "/api/v1/accounts/{id}/block", User("write:blocks")),
    (
        "POST",
        "/api/v1/accounts/{id}/unblock",
        User("write:blocks"),
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/followers",
        Optional("read:accounts"),
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/following",
        Optional("read:accounts"),
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/statuses",
        Optional("read:statuses"),
    ),
    ("GET", "/api/v1/follow_requests", User("read:follows")),
    (
        "POST",
        "/api/v1/follow_requests/{id}/authorize",
        User("write:follows"),
    ),
    (
        "POST",
        "/api/v1/follow_requests/{id}/reject",
        User("write:follows"),
    ),
    ("POST", "/api/v1/statuses", User("write:statuses")),
    ("GET", "/api/v1/polls/{id}", Optional("read:statuses")),
    ("POST", "/api/v1/polls/{id}/votes", User("write:statuses")),
    ("GET", "/api/v1/scheduled_statuses", User("read:statuses")),
    (
        "GET",
        "/api/v1/scheduled_statuses/{id}",
        User("read:statuses"),
    ),
    (
        "PUT",
        "/api/v1/scheduled_statuses/{id}",
        User("write:statuses"),
    ),
    (
        "DELETE",
        "/api/v1/scheduled_statuses/{id}",
        User("write:statuses"),
    ),
    ("GET", "/api/v1/statuses/{id}", Optional("read:statuses")),
    ("PUT", "/api/v1/statuses/{id}", User("write:statuses")),
    ("DELETE", "/api/v1/statuses/{id}", User("write:statuses")),
    (
        "GET",
        "/api/v1/statuses/{id}/context",
        Optional("read:statuses"),
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/favourite",
        User("write:favourites"),
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unfavourite",
        User("write:favourites"),
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/reblog",
        User("write:statuses"),
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unreblog",
        User("write:statuses"),
    ),
    ("GET", "/api/v1/bookmarks", User("read:bookmarks")),
    ("GET", "/api/v1/favourites", User("read:favourites")),
    (
        "POST",
        "/api/v1/statuses/{id}/bookmark",
        User("write:bookmarks"),
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unbookmark",
        User("write:bookmarks"),
    ),
    ("POST", "/api/v1/statuses/{id}/pin", User("write:accounts")),
    (
        "POST",
        "/api/v1/statuses/{id}/unpin",
        User("write:accounts"),
    ),
    (
        "GET",
        "/api/v1/statuses/{id}/favourited_by",
        Optional("read:accounts"),
    ),
    (
        "GET",
        "/api/v1/statuses/{id}/reblogged_by",
        Optional("read:accounts"),
    ),
    ("GET", "/api/v1/statuses/{id}/source", User("read:statuses")),
    (
        "GET",
        "/api/v1/statuses/{id}/history",
        Optional("read:statuses"),
    ),
    ("GET", "/api/v1/timelines/home", User("read:statuses")),
    ("GET", "/api/v1/timelines/public", Optional("read:statuses")),
    ("GET", "/api/v1/notifications", User("read:notifications")),
    (
        "GET",
        "/api/v1/notifications/{id}",
        User("read:notifications"),
    ),
    (
        "POST",
        "/api/v1/notifications/{id}/dismiss",
        User("write:notifications"),
    ),
    (
        "POST",
        "/api/v1/notifications/clear",
        User("write:notifications"),
    ),
    (
        "GET",
        "/api/v1/notifications/unread_count",
        User("read:notifications"),
    ),
    // Lists and filters (Mastodon: read:lists/write:lists, read:filters/write:filters).
    ("GET", "/api/v1/lists", User("read:lists")),
    ("POST", "/api/v1/lists", User("write:lists")),
    ("GET", "/api/v1/lists/{id}", User("read:lists")),
    ("PUT", "/api/v1/lists/{id}", User("write:lists")),
    ("DELETE", "/api/v1/lists/{id}", User("write:lists")),
    ("GET", "/api/v1/lists/{id}/accounts", User("read:lists")),
    ("POST", "/api/v1/lists/{id}/accounts", User("write:lists")),
    ("DELETE", "/api/v1/lists/{id}/accounts", User("write:lists")),
    ("GET", "/api/v1/accounts/{id}/lists", User("read:lists")),
    ("GET", "/api/v1/timelines/list/{id}", User("read:lists")),
    ("GET", "/api/v2/filters", User("read:filters")),
    ("POST", "/api/v2/filters", User("write:filters")),
    ("GET", "/api/v2/filters/{id}", User("read:filters")),
    ("PUT", "/api/v2/filters/{id}", User("write:filters")),
    ("DELETE", "/api/v2/filters/{id}", User("write:filters")),
    ("GET", "/api/v2/filters/{id}/keywords", User("read:filters")),
    (
        "POST",
        "/api/v2/filters/{id}/keywords",
        User("write:filters"),
    ),
    ("GET", "/api/v2/filters/keywords/{id}", User("read:filters")),
    (
        "PUT",
        "/api/v2/filters/keywords/{id}",
        User("write:filters"),
    ),
    (
        "DELETE",
        "/api/v2/filters/keywords/{id}",
        User("write:filters"),
    ),
    ("GET", "/api/v2/filters/{id}/statuses", User("read:filters")),
    (
        "POST",
        "/api/v2/filters/{id}/statuses",
        User("write:filters"),
    ),
    ("GET", "/api/v2/filters/statuses/{id}", User("read:filters")),
    (
        "DELETE",
        "/api/v2/filters/statuses/{id}",
        User("write:filters"),
    ),
    ("GET", "/api/v1/filters", User("read:filters")),
    ("POST", "/api/v1/filters", User("write:filters")),
    ("GET", "/api/v1/filters/{id}", User("read:filters")),
    ("PUT", "/api/v1/filters/{id}", User("write:filters")),
    ("DELETE", "/api/v1/filters/{id}", User("write:filters")),
    // Shields: the notification policy and notification requests (Mastodon 4.3).
    (
        "GET",
        "/api/v2/notifications/policy",
        User("read:notifications"),
    ),
    (
        "PATCH",
        "/api/v2/notifications/policy",
        User("write:notifications"),
    ),
    (
        "GET",
        "/api/v1/notifications/policy",
        User("read:notifications"),
    ),
    (
        "PATCH",
        "/api/v1/notifications/policy",
        User("write:notifications"),
    ),
    (
        "GET",
        "/api/v1/notifications/requests",
        User("read:notifications"),
    ),
    (
        "GET",
        "/api/v1/notifications/requests/merged",
        User("read:notifications"),
    ),
    (
        "POST",
        "/api/v1/notifications/requests/accept",
        User("write:notifications"),
    ),
    (
        "POST",
        "/api/v1/notifications/requests/dismiss",
        User("write:notifications"),
    ),
    (
        "GET",
        "/api/v1/notifications/requests/{id}",
        User("read:notifications"),
    ),
    (
        "POST",
        "/api/v1/notifications/requests/{id}/accept",
        User("write:notifications"),
    ),
    (
        "POST",
        "/api/v1/notifications/requests/{id}/dismiss",
        User("write:notifications"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/release_notifications",
        Staff("admin:write:accounts"),
    ),
    ("GET", "/api/v2/notifications", User("read:notifications")),
    (
        "GET",
        "/api/v2/notifications/unread_count",
        User("read:notifications"),
    ),
    (
        "GET",
        "/api/v2/notifications/{group_key}",
        User("read:notifications"),
    ),
    (
        "GET",
        "/api/v2/notifications/{group_key}/accounts",
        User("read:notifications"),
    ),
    (
        "POST",
        "/api/v2/notifications/{group_key}/dismiss",
        User("write:notifications"),
    ),
    ("GET", "/api/v1/conversations", User("read:statuses")),
    ("GET", "/api/v1/conversations/", User("read:statuses")),
    (
        "DELETE",
        "/api/v1/conversations/{id}",
        User("write:conversations"),
    ),
    (
        "POST",
        "/api/v1/conversations/{id}/read",
        User("write:conversations"),
    ),
    ("POST", "/api/v1/statuses/{id}/mute", User("write:mutes")),
    ("POST", "/api/v1/statuses/{id}/unmute", User("write:mutes")),
    (
        "POST",
        "/api/v1/statuses/{id}/translate",
        User("read:statuses"),
    ),
    ("GET", "/api/v1/tags/{name}", Optional("read")),
    ("POST", "/api/v1/tags/{name}/follow", User("write:follows")),
    (
        "POST",
        "/api/v1/tags/{name}/unfollow",
        User("write:follows"),
    ),
    ("GET", "/api/v1/followed_tags", User("read:follows")),
    (
        "GET",
        "/api/v1/timelines/tag/{hashtag}",
        Optional("read:statuses"),
    ),
    ("GET", "/api/v1/markers", User("read:statuses")),
    ("POST", "/api/v1/markers", User("write:statuses")),
    ("GET", "/api/v2/search", Optional("read:search")),
    ("POST", "/api/v1/media", User("write:media")),
    ("POST", "/api/v2/media", User("write:media")),
    ("GET", "/api/v1/media/{id}", User("write:media")),
    ("PUT", "/api/v1/media/{id}", User("write:media")),
    ("DELETE", "/api/v1/media/{id}", User("write:media")),
    // Streaming takes its token also from `access_token` and `Sec-WebSocket-Protocol`, which
    // the gate does not read: `mastodon::streaming` checks the token and each stream's scope
    // (`read:statuses`, `read:notifications`) itself, as Mastodon's streaming server does.
    ("GET", "/api/v1/streaming", Public),
    ("GET", "/api/v1/streaming/", Public),
    ("GET", "/api/v1/streaming/health", Public),
    ("GET", "/api/v1/streaming/user", Public),
    ("GET", "/api/v1/streaming/user/notification", Public),
    ("GET", "/api/v1/streaming/public", Public),
    ("GET", "/api/v1/streaming/public/local", Public),
    ("GET", "/api/v1/streaming/public/remote", Public),
    ("GET", "/api/v1/streaming/hashtag", Public),
    ("GET", "/api/v1/streaming/hashtag/local", Public),
    ("GET", "/api/v1/streaming/list", Public),
    ("GET", "/api/v1/streaming/direct", Public),
    // Registration (Mastodon: an app token with write:accounts) and reports.
    ("POST", "/api/v1/accounts", Token("write:accounts")),
    ("POST", "/api/v1/reports", User("write:reports")),
    // The admin API: staff only (`Staff`), with Mastodon's admin scopes.
    (
        "GET",
        "/api/v1/admin/accounts",
        Staff("admin:read:accounts"),
    ),
    (
        "GET",
        "/api/v2/admin/accounts",
        Staff("admin:read:accounts"),
    ),
    (
        "GET",
        "/api/v1/admin/accounts/{id}",
        Staff("admin:read:accounts"),
    ),
    (
        "DELETE",
        "/api/v1/admin/accounts/{id}",
        Staff("admin:write:accounts"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/action",
        Staff("admin:write:accounts"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/approve",
        Staff("admin:write:accounts"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/reject",
        Staff("admin:write:accounts"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/enable",
        Staff("admin:write:accounts"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/unsilence",
        Staff("admin:write:accounts"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/unsuspend",
        Staff("admin:write:accounts"),
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/unsensitive",
        Staff("admin:write:accounts"),
    ),
    ("GET", "/api/v1/admin/reports", Staff("admin:read:reports")),
    (
        "GET",
        "/api/v1/admin/reports/{id}",
        Staff("admin:read:reports"),
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/assign_to_self",
        Staff("admin:write:reports"),
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/unassign",
        Staff("admin:write:reports"),
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/resolve",
        Staff("admin:write:reports"),
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/reopen",
        Staff("admin:write:reports"),
    ),
    (
        "GET",
        "/api/v1/admin/reports/{id}/notes",
        Staff("admin:read:reports"),
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/notes",
        Staff("admin:write:reports"),
    ),
    (
        "POST",
        "/api/v1/admin/statuses/{id}/sensitive",
        Staff("admin:write:reports"),
    ),
    (
        "DELETE",
        "/api/v1/admin/statuses/{id}",
        Staff("admin:write:reports"),
    ),
    ("GET", "/api/v1/admin/audit_log", Staff("admin:read")),
    // Kith: moderation shared across instances (mastodon/sharing.rs).
    (
        "GET",
        "/api/v1/admin/kith/blocklist_subscriptions",
        Staff("admin:read"),
    ),
    (
        "POST",
        "/api/v1/admin/kith/blocklist_subscriptions",
        Staff("admin:write"),
    ),
    (
        "GET",
        "/api/v1/admin/kith/blocklist_subscriptions/{id}",
        Staff("admin:read"),
    ),
    (
        "DELETE",
        "/api/v1/admin/kith/blocklist_subscriptions/{id}",
        Staff("admin:write"),
    ),
    (
        "POST",
        "/api/v1/admin/kith/blocklist_subscriptions/{id}/refresh",
        Staff("admin:write"),
    ),
    (
        "GET",
        "/api/v1/admin/kith/shared_entries",
        Staff("admin:read"),
    ),
    (
        "POST",
        "/api/v1/admin/kith/shared_entries/{id}/approve",
        Staff("admin:write"),
    ),
    (
        "POST",
        "/api/v1/admin/kith/shared_entries/{id}/reject",
        Staff("admin:write"),
    ),
    (
        "POST",
        "/api/v1/admin/kith/shared_entries/{id}/confirm",
        Staff("admin:write"),
    ),
    ("GET", "/api/v1/admin/kith/cohort", Staff("admin:read")),
    (
        "POST",
        "/api/v1/admin/kith/cohort/invite",
        Staff("admin:write"),
    ),
    (
        "POST",
        "/api/v1/admin/kith/cohort/{id}/accept",
        Staff("admin:write"),
    ),
    (
        "PUT",
        "/api/v1/admin/kith/cohort/{id}",
        Staff("admin:write"),
    ),
    (
        "DELETE",
        "/api/v1/admin/kith/cohort/{id}",
        Staff("admin:write"),
    ),
    ("GET", "/api/v1/admin/registrations", Staff("admin:read")),
    ("PUT", "/api/v1/admin/registrations", Staff("admin:write")),
    ("GET", "/api/v1/admin/invites", Staff("admin:read")),
    ("POST", "/api/v1/admin/invites", Staff("admin:write")),
    ("DELETE", "/api/v1/admin/invites/{id}", Staff("admin:write")),
];

/// What `method` on the route `pattern` needs; `None` if the table does not name it.
pub fn access(method: &Method, pattern: &str) -> Option<Access> {
    ENDPOINTS
        .iter()
        .find(|(m, p, _)| *m == method.as_str() && *p == pattern)
        .map(|(_, _, a)| *a)
}

/// What the gate found, for the `Auth` and `MaybeAuth` extractors: the token's holder, if a
/// token was presented and passed.
#[derive(Debug, Clone)]
pub(crate) struct Gated(pub(crate) Option<Authenticated>);

pub(crate) const OUT_OF_SCOPE: &str = "This action is outside the authorized scopes";

fn bearer(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// Decides a request against `ENDPOINTS`: refuses an undeclared route, an invalid token (401),
/// a missing one where a user is needed (401), a token without the scope (403) or an
/// application token where a user is needed (403).
async fn check(req: &HttpRequest) -> Result<Option<Authenticated>, ApiError> {
    let pattern = req.match_pattern().unwrap_or_default();
    let Some(access) = access(req.method(), &pattern) else {
        // A method the route does not have, or a route missing from `ENDPOINTS` (a bug the
        // unit test below catches): either way, refused.
        tracing::warn!(method = %req.method(), %pattern, "no scope declared for this method and route");
        return Err(ApiError::NotFound);
    };
    let scope = match access {
        Public => return Ok(None),
        Optional(s) | User(s) | Token(s) | Staff(s) => Some(s),
        AnyToken => None,
    };
    let Some(token) = bearer(req) else {
        return match access {
            Optional(_) => Ok(None),
            _ => Err(ApiError::Unauthorized),
        };
    };
    let data = crate::context(req)?;
    let auth = tokens::authenticate(&data.db, &token)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if let Some(scope) = scope {
        if !auth.scopes.allows(scope) {
            return Err(ApiError::Forbidden(OUT_OF_SCOPE.into()));
        }
    }
    if matches!(access, User(_) | Staff(_)) && auth.account.is_none() {
        return Err(ApiError::Forbidden(
            "This method requires an authenticated user".into(),
        ));
    }
    if matches!(access, Staff(_))
        && !matches!(
            auth.role,
            Some(kith_core::accounts::Role::Admin | kith_core::accounts::Role::Moderator)
        )
    {
        return Err(ApiError::Forbidden("This action is not allowed".into()));
    }
    Ok(Some(auth))
}

/// The middleware around `/api`: applies `check`, counts the request against its rate
/// limits (`rate_limit`: per token, or per address without a valid one), and leaves what
/// `check` found for the extractors. Every answer it counted carries the rate-limit headers;
/// past a limit the answer is 429 and the handler does not run.
pub(crate) async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // An /api path that matches no route goes on to the 404.
    if req.match_pattern().is_none() {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let found = check(req.request()).await;
    let verdict = {
        let data = crate::context(req.request())?;
        let auth = found.as_ref().ok().and_then(Option::as_ref);
        crate::rate_limit::count(req.request(), auth, &data.db)
            .await
            .map_err(ApiError::from)?
    };
    let exceeded = verdict.is_some_and(|v| v.exceeded());
    let mut res = match found {
        _ if exceeded => req
            .error_response(ApiError::TooManyRequests)
            .map_into_right_body(),
        Err(e) => req.error_response(e).map_into_right_body(),
        Ok(auth) => {
            req.extensions_mut().insert(Gated(auth));
            next.call(req).await?.map_into_left_body()
        }
    };
    if let Some(v) = verdict {
        v.apply(res.headers_mut());
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every file that mounts routes, to find each route it mounts.
    const SOURCES: &[(&str, &str)] = &[
        ("mastodon/apps.rs", include_str!("mastodon/apps.rs")),
        ("mastodon/profiles.rs", include_str!("mastodon/profiles.rs")),
        ("mastodon/admin.rs", include_str!("mastodon/admin.rs")),
        ("mastodon/reports.rs", include_str!("mastodon/reports.rs")),
        ("mastodon/sharing.rs", include_str!("mastodon/sharing.rs")),
        (
            "mastodon/registrations.rs",
            include_str!("mastodon/registrations.rs"),
        ),
        (
            "mastodon/domain_blocks.rs",
            include_str!("mastodon/domain_blocks.rs"),
        ),
        ("mastodon/accounts.rs", include_str!("mastodon/accounts.rs")),
        ("mastodon/follows.rs", include_str!("mastodon/follows.rs")),
        ("mastodon/instance.rs", include_str!("mastodon/instance.rs")),
        (
            "mastodon/notifications.rs",
            include_str!("mastodon/notifications.rs"),
        ),
        ("mastodon/shields.rs", include_str!("mastodon/shields.rs")),
        ("mastodon/search.rs", include_str!("mastodon/search.rs")),
        ("mastodon/media.rs", include_str!("mastodon/media.rs")),
        ("mastodon/statuses.rs", include_str!("mastodon/statuses.rs")),
        ("mastodon/polls.rs", include_str!("mastodon/polls.rs")),
        (
            "mastodon/scheduled.rs",
            include_str!("mastodon/scheduled.rs"),
        ),
        ("mastodon/marks.rs", include_str!("mastodon/marks.rs")),
        (
            "mastodon/directory.rs",
            include_str!("mastodon/directory.rs"),
        ),
        ("mastodon/people.rs", include_str!("mastodon/people.rs")),
        ("mastodon/lists.rs", include_str!("mastodon/lists.rs")),
        ("mastodon/filters.rs", include_str!("mastodon/filters.rs")),
        (
            "mastodon/announcements.rs",
            include_str!("mastodon/announcements.rs"),
        ),
        (
            "mastodon/streaming.rs",
            include_str!("mastodon/streaming.rs"),
        ),
        (
            "mastodon/timelines.rs",
            include_str!("mastodon/timelines.rs"),
        ),
        (
            "mastodon/grouped_notifications.rs",
            include_str!("mastodon/grouped_notifications.rs"),
        ),
        (
            "mastodon/conversations.rs",
            include_str!("mastodon/conversations.rs"),
        ),
        ("mastodon/tags.rs", include_str!("mastodon/tags.rs")),
    ];
    const OTHERS: &[&str] = &[
        include_str!("lib.rs"),
        include_str!("routes.rs"),
        include_str!("activitypub.rs"),
        include_str!("oauth.rs"),
        include_str!("pages.rs"),
        include_str!("pages/public.rs"),
        include_str!("pages/sign_up.rs"),
        include_str!("media_files.rs"),
        include_str!("console.rs"),
        include_str!("console/login.rs"),
        include_str!("console/reports.rs"),
        include_str!("console/accounts.rs"),
        include_str!("console/domains.rs"),
        include_str!("console/registrations.rs"),
        include_str!("console/audit.rs"),
    ];

    /// (method, path) of each `.route("path", web::method()…)` in `src`.
    fn mounted(src: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, _) in src.match_indices(".route(") {
            let rest = &src[i..];
            let open = rest.find('"').expect("a path literal");
            let close = open + 1 + rest[open + 1..].find('"').expect("its end");
            let path = rest[open + 1..close].to_owned();
            let web = close + rest[close..].find("web::").expect("a method");
            let method: String = rest[web + 5..]
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            out.push((method.to_uppercase(), path));
        }
        out
    }

    #[test]
    fn every_mounted_api_route_is_declared_and_every_declaration_mounted() {
        let mut found = BTreeSet::new();
        for (file, src) in SOURCES {
            assert!(
                !src.contains(".service(") && !src.contains("web::resource("),
                "{file}: mount API routes with .route() so this test sees them"
            );
            for (method, path) in mounted(src) {
                // The modules mount under the `/api` scope.
                found.insert((method, format!("/api{path}")));
            }
        }
        for src in OTHERS {
            assert!(
                mounted(src)
                    .iter()
                    .all(|(_, path)| !path.starts_with("/api")),
                "API routes belong in mastodon/*"
            );
        }
        let declared: BTreeSet<(String, String)> = ENDPOINTS
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(declared.len(), ENDPOINTS.len(), "a route declared twice");
        let undeclared: Vec<_> = found.difference(&declared).collect();
        assert!(
            undeclared.is_empty(),
            "mounted without a scope: {undeclared:?}"
        );
        let unmounted: Vec<_> = declared.difference(&found).collect();
        assert!(
            unmounted.is_empty(),
            "declared but not mounted: {unmounted:?}"
        );
    }

    #[test]
    fn lookup_is_by_method_and_pattern() {
        assert_eq!(
            access(&Method::GET, "/api/v1/statuses/{id}"),
            Some(Optional("read:statuses"))
        );
        assert_eq!(
            access(&Method::DELETE, "/api/v1/statuses/{id}"),
            Some(User("write:statuses"))
        );
        assert_eq!(access(&Method::POST, "/api/v1/statuses/{id}"), None);
        assert_eq!(access(&Method::GET, "/api/v1/unknown"), None);
    }
}
