//! Issue 9, item 2: every client-API endpoint checks the scope of a token that is presented,
//! also where anyone may read. One table here, written independently of Kith's own
//! (`kith_api::scopes::ENDPOINTS`) and checked to cover every endpoint in it: for each endpoint,
//! a token with exactly the scope it needs passes the scope check, and tokens with only
//! `write`, `push`, `follow` or `profile` get 403 unless that scope covers it.

use crate::on_each_backend;
use crate::rig::{client, Instance};
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Needs {
    /// Open to all; a token is not read.
    Nothing,
    /// Open to all; a token presented must have this scope.
    ReadIfToken(&'static str),
    /// A user's token with this scope.
    User(&'static str),
    /// Any valid token.
    AnyToken,
    /// A streaming endpoint: open answers are endless streams, so its token and per-stream
    /// scope checks are tested in `streaming.rs` instead.
    Streaming,
    /// Any valid token (a user's or an app's) with this scope.
    Token(&'static str),
    /// An admin's or moderator's token with this scope (a plain user's gets 403: see
    /// `moderation::every_admin_endpoint_refuses_a_plain_user`).
    Staff(&'static str),
}
use Needs::*;

/// (method, pattern, path with ids filled in, what it needs, which of the one-scope tokens
/// `write`, `push`, `follow`, `profile` are enough). `{S}` is a followers-only post of the token
/// holder, `{A}` the holder, `{B}` another account; `1` is an id that does not exist (the
/// handler's 404 shows that the scope check was passed).
const TABLE: &[(&str, &str, &str, Needs, &[&str])] = &[
    (
        "GET",
        "/api/v1/instance/domain_blocks",
        "/api/v1/instance/domain_blocks",
        ReadIfToken("read"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/domain_blocks",
        "/api/v1/admin/domain_blocks",
        Staff("admin:read:domain_blocks"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/domain_blocks",
        "/api/v1/admin/domain_blocks",
        Staff("admin:write:domain_blocks"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/domain_blocks/export",
        "/api/v1/admin/domain_blocks/export",
        Staff("admin:read:domain_blocks"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/domain_blocks/import",
        "/api/v1/admin/domain_blocks/import",
        Staff("admin:write:domain_blocks"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/domain_blocks/{id}",
        "/api/v1/admin/domain_blocks/1",
        Staff("admin:read:domain_blocks"),
        &[],
    ),
    (
        "PUT",
        "/api/v1/admin/domain_blocks/{id}",
        "/api/v1/admin/domain_blocks/1",
        Staff("admin:write:domain_blocks"),
        &[],
    ),
    (
        "DELETE",
        "/api/v1/admin/domain_blocks/{id}",
        "/api/v1/admin/domain_blocks/1",
        Staff("admin:write:domain_blocks"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/domain_allows",
        "/api/v1/admin/domain_allows",
        Staff("admin:read:domain_allows"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/domain_allows",
        "/api/v1/admin/domain_allows",
        Staff("admin:write:domain_allows"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/domain_allows/{id}",
        "/api/v1/admin/domain_allows/1",
        Staff("admin:read:domain_allows"),
        &[],
    ),
    (
        "DELETE",
        "/api/v1/admin/domain_allows/{id}",
        "/api/v1/admin/domain_allows/1",
        Staff("admin:write:domain_allows"),
        &[],
    ),
    ("POST", "/api/v1/apps", "/api/v1/apps", Nothing, &[]),
    (
        "GET",
        "/api/v1/apps/verify_credentials",
        "/api/v1/apps/verify_credentials",
        AnyToken,
        &[],
    ),
    ("GET", "/api/v1/instance", "/api/v1/instance", Nothing, &[]),
    (
        "GET",
        "/api/v1/instance/",
        "/api/v1/instance/",
        Nothing,
        &[],
    ),
    ("GET", "/api/v2/instance", "/api/v2/instance", Nothing, &[]),
    (
        "GET",
        "/api/v2/instance/",
        "/api/v2/instance/",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/instance/rules",
        "/api/v1/instance/rules",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/instance/peers",
        "/api/v1/instance/peers",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/instance/activity",
        "/api/v1/instance/activity",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/custom_emojis",
        "/api/v1/custom_emojis",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/preferences",
        "/api/v1/preferences",
        User("read:accounts"),
        &[],
    ),
    ("GET", "/api/v1/trends", "/api/v1/trends", Nothing, &[]),
    (
        "GET",
        "/api/v1/trends/tags",
        "/api/v1/trends/tags",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/trends/statuses",
        "/api/v1/trends/statuses",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/trends/links",
        "/api/v1/trends/links",
        Nothing,
        &[],
    ),
    (
        "GET",
        "/api/v1/suggestions",
        "/api/v1/suggestions",
        User("read"),
        &[],
    ),
    (
        "GET",
        "/api/v2/suggestions",
        "/api/v2/suggestions",
        User("read"),
        &[],
    ),
    (
        "GET",
        "/api/v1/accounts/search",
        "/api/v1/accounts/search?q=bo",
        User("read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/accounts/familiar_followers",
        "/api/v1/accounts/familiar_followers?id[]={B}",
        User("read:follows"),
        &["follow"],
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/featured_tags",
        "/api/v1/accounts/{B}/featured_tags",
        ReadIfToken("read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/blocks",
        "/api/v1/blocks",
        User("read:blocks"),
        &["follow"],
    ),
    (
        "GET",
        "/api/v1/endorsements",
        "/api/v1/endorsements",
        User("read:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/mute",
        "/api/v1/accounts/1/mute",
        User("write:mutes"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/unmute",
        "/api/v1/accounts/1/unmute",
        User("write:mutes"),
        &["write", "follow"],
    ),
    (
        "GET",
        "/api/v1/mutes",
        "/api/v1/mutes",
        User("read:mutes"),
        &["follow"],
    ),
    (
        "GET",
        "/api/v1/domain_blocks",
        "/api/v1/domain_blocks",
        User("read:blocks"),
        &["follow"],
    ),
    (
        "POST",
        "/api/v1/domain_blocks",
        "/api/v1/domain_blocks?domain=",
        User("write:blocks"),
        &["write", "follow"],
    ),
    (
        "DELETE",
        "/api/v1/domain_blocks",
        "/api/v1/domain_blocks?domain=",
        User("write:blocks"),
        &["write", "follow"],
    ),
    (
        "GET",
        "/api/v1/accounts/verify_credentials",
        "/api/v1/accounts/verify_credentials",
        User("profile"),
        &["profile"],
    ),
    (
        "PATCH",
        "/api/v1/accounts/update_credentials",
        "/api/v1/accounts/update_credentials",
        User("write:accounts"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/accounts/lookup",
        "/api/v1/accounts/lookup?acct=bob",
        ReadIfToken("read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/accounts/relationships",
        "/api/v1/accounts/relationships?id[]={B}",
        User("read:follows"),
        &["follow"],
    ),
    (
        "GET",
        "/api/v1/accounts/{id}",
        "/api/v1/accounts/{B}",
        ReadIfToken("read:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/follow",
        "/api/v1/accounts/1/follow",
        User("write:follows"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/unfollow",
        "/api/v1/accounts/1/unfollow",
        User("write:follows"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/block",
        "/api/v1/accounts/1/block",
        User("write:blocks"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/accounts/{id}/unblock",
        "/api/v1/accounts/1/unblock",
        User("write:blocks"),
        &["write", "follow"],
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/followers",
        "/api/v1/accounts/{B}/followers",
        ReadIfToken("read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/following",
        "/api/v1/accounts/{B}/following",
        ReadIfToken("read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/accounts/{id}/statuses",
        "/api/v1/accounts/{A}/statuses",
        ReadIfToken("read:statuses"),
        &[],
    ),
    (
        "GET",
        "/api/v1/follow_requests",
        "/api/v1/follow_requests",
        User("read:follows"),
        &["follow"],
    ),
    (
        "POST",
        "/api/v1/follow_requests/{id}/authorize",
        "/api/v1/follow_requests/1/authorize",
        User("write:follows"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/follow_requests/{id}/reject",
        "/api/v1/follow_requests/1/reject",
        User("write:follows"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/statuses",
        "/api/v1/statuses",
        User("write:statuses"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/statuses/{id}",
        "/api/v1/statuses/{S}",
        ReadIfToken("read:statuses"),
        &[],
    ),
    (
        "PUT",
        "/api/v1/statuses/{id}",
        "/api/v1/statuses/1",
        User("write:statuses"),
        &["write"],
    ),
    (
        "DELETE",
        "/api/v1/statuses/{id}",
        "/api/v1/statuses/1",
        User("write:statuses"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/statuses/{id}/context",
        "/api/v1/statuses/{S}/context",
        ReadIfToken("read:statuses"),
        &[],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/favourite",
        "/api/v1/statuses/1/favourite",
        User("write:favourites"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unfavourite",
        "/api/v1/statuses/1/unfavourite",
        User("write:favourites"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/reblog",
        "/api/v1/statuses/1/reblog",
        User("write:statuses"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unreblog",
        "/api/v1/statuses/1/unreblog",
        User("write:statuses"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/bookmarks",
        "/api/v1/bookmarks",
        User("read:bookmarks"),
        &[],
    ),
    (
        "GET",
        "/api/v1/favourites",
        "/api/v1/favourites",
        User("read:favourites"),
        &[],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/bookmark",
        "/api/v1/statuses/1/bookmark",
        User("write:bookmarks"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unbookmark",
        "/api/v1/statuses/1/unbookmark",
        User("write:bookmarks"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/pin",
        "/api/v1/statuses/1/pin",
        User("write:accounts"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unpin",
        "/api/v1/statuses/1/unpin",
        User("write:accounts"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/statuses/{id}/favourited_by",
        "/api/v1/statuses/{S}/favourited_by",
        ReadIfToken("read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/statuses/{id}/reblogged_by",
        "/api/v1/statuses/{S}/reblogged_by",
        ReadIfToken("read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/statuses/{id}/source",
        "/api/v1/statuses/{S}/source",
        User("read:statuses"),
        &[],
    ),
    (
        "GET",
        "/api/v1/statuses/{id}/history",
        "/api/v1/statuses/{S}/history",
        ReadIfToken("read:statuses"),
        &[],
    ),
    (
        "GET",
        "/api/v1/timelines/home",
        "/api/v1/timelines/home",
        User("read:statuses"),
        &[],
    ),
    (
        "GET",
        "/api/v1/timelines/public",
        "/api/v1/timelines/public",
        ReadIfToken("read:statuses"),
        &[],
    ),
    (
        "GET",
        "/api/v1/notifications",
        "/api/v1/notifications",
        User("read:notifications"),
        &[],
    ),
    (
        "GET",
        "/api/v1/notifications/{id}",
        "/api/v1/notifications/1",
        User("read:notifications"),
        &[],
    ),
    (
        "POST",
        "/api/v1/notifications/{id}/dismiss",
        "/api/v1/notifications/1/dismiss",
        User("write:notifications"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/notifications/unread_count",
        "/api/v1/notifications/unread_count",
        User("read:notifications"),
        &[],
    ),
    (
        "GET",
        "/api/v1/markers",
        "/api/v1/markers?timeline[]=home",
        User("read:statuses"),
        &[],
    ),
    (
        "POST",
        "/api/v1/markers",
        "/api/v1/markers",
        User("write:statuses"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/notifications/clear",
        "/api/v1/notifications/clear",
        User("write:notifications"),
        &["write"],
    ),
    // A push token used to make Kith fetch remote accounts through search.
    (
        "GET",
        "/api/v2/search",
        "/api/v2/search?q=%40nobody%40localhost%3A9&resolve=true",
        ReadIfToken("read:search"),
        &[],
    ),
    (
        "POST",
        "/api/v1/media",
        "/api/v1/media",
        User("write:media"),
        &["write"],
    ),
    (
        "POST",
        "/api/v2/media",
        "/api/v2/media",
        User("write:media"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/media/{id}",
        "/api/v1/media/1",
        User("write:media"),
        &["write"],
    ),
    (
        "PUT",
        "/api/v1/media/{id}",
        "/api/v1/media/1",
        User("write:media"),
        &["write"],
    ),
    (
        "DELETE",
        "/api/v1/media/{id}",
        "/api/v1/media/1",
        User("write:media"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/streaming",
        "/api/v1/streaming",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/",
        "/api/v1/streaming/",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/health",
        "/api/v1/streaming/health",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/user",
        "/api/v1/streaming/user",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/user/notification",
        "/api/v1/streaming/user/notification",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/public",
        "/api/v1/streaming/public",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/public/local",
        "/api/v1/streaming/public/local",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/public/remote",
        "/api/v1/streaming/public/remote",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/hashtag",
        "/api/v1/streaming/hashtag",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/hashtag/local",
        "/api/v1/streaming/hashtag/local",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/list",
        "/api/v1/streaming/list",
        Streaming,
        &[],
    ),
    (
        "GET",
        "/api/v1/streaming/direct",
        "/api/v1/streaming/direct",
        Streaming,
        &[],
    ),
    // Moderation (issue 10). Admin paths use id 1, which names nothing: a 404 shows the
    // gate let the request through, and nothing is changed.
    (
        "POST",
        "/api/v1/accounts",
        "/api/v1/accounts",
        Token("write:accounts"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/reports",
        "/api/v1/reports",
        User("write:reports"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/admin/accounts",
        "/api/v1/admin/accounts",
        Staff("admin:read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v2/admin/accounts",
        "/api/v2/admin/accounts",
        Staff("admin:read:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/accounts/{id}",
        "/api/v1/admin/accounts/1",
        Staff("admin:read:accounts"),
        &[],
    ),
    (
        "DELETE",
        "/api/v1/admin/accounts/{id}",
        "/api/v1/admin/accounts/1",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/action",
        "/api/v1/admin/accounts/1/action",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/approve",
        "/api/v1/admin/accounts/1/approve",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/reject",
        "/api/v1/admin/accounts/1/reject",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/enable",
        "/api/v1/admin/accounts/1/enable",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/unsilence",
        "/api/v1/admin/accounts/1/unsilence",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/unsuspend",
        "/api/v1/admin/accounts/1/unsuspend",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/accounts/{id}/unsensitive",
        "/api/v1/admin/accounts/1/unsensitive",
        Staff("admin:write:accounts"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/reports",
        "/api/v1/admin/reports",
        Staff("admin:read:reports"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/reports/{id}",
        "/api/v1/admin/reports/1",
        Staff("admin:read:reports"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/assign_to_self",
        "/api/v1/admin/reports/1/assign_to_self",
        Staff("admin:write:reports"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/unassign",
        "/api/v1/admin/reports/1/unassign",
        Staff("admin:write:reports"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/resolve",
        "/api/v1/admin/reports/1/resolve",
        Staff("admin:write:reports"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/reopen",
        "/api/v1/admin/reports/1/reopen",
        Staff("admin:write:reports"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/reports/{id}/notes",
        "/api/v1/admin/reports/1/notes",
        Staff("admin:read:reports"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/reports/{id}/notes",
        "/api/v1/admin/reports/1/notes",
        Staff("admin:write:reports"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/statuses/{id}/sensitive",
        "/api/v1/admin/statuses/1/sensitive",
        Staff("admin:write:reports"),
        &[],
    ),
    (
        "DELETE",
        "/api/v1/admin/statuses/{id}",
        "/api/v1/admin/statuses/1",
        Staff("admin:write:reports"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/audit_log",
        "/api/v1/admin/audit_log",
        Staff("admin:read"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/registrations",
        "/api/v1/admin/registrations",
        Staff("admin:read"),
        &[],
    ),
    (
        "PUT",
        "/api/v1/admin/registrations",
        "/api/v1/admin/registrations",
        Staff("admin:write"),
        &[],
    ),
    (
        "GET",
        "/api/v1/admin/invites",
        "/api/v1/admin/invites",
        Staff("admin:read"),
        &[],
    ),
    (
        "POST",
        "/api/v1/admin/invites",
        "/api/v1/admin/invites",
        Staff("admin:write"),
        &[],
    ),
    (
        "DELETE",
        "/api/v1/admin/invites/{id}",
        "/api/v1/admin/invites/1",
        Staff("admin:write"),
        &[],
    ),
    (
        "GET",
        "/api/v2/notifications",
        "/api/v2/notifications",
        User("read:notifications"),
        &[],
    ),
    (
        "GET",
        "/api/v2/notifications/unread_count",
        "/api/v2/notifications/unread_count",
        User("read:notifications"),
        &[],
    ),
    (
        "GET",
        "/api/v2/notifications/{group_key}",
        "/api/v2/notifications/ungrouped-1",
        User("read:notifications"),
        &[],
    ),
    (
        "GET",
        "/api/v2/notifications/{group_key}/accounts",
        "/api/v2/notifications/ungrouped-1/accounts",
        User("read:notifications"),
        &[],
    ),
    (
        "POST",
        "/api/v2/notifications/{group_key}/dismiss",
        "/api/v2/notifications/ungrouped-1/dismiss",
        User("write:notifications"),
        &["write"],
    ),
    (
        "GET",
        "/api/v1/conversations",
        "/api/v1/conversations",
        User("read:statuses"),
        &[],
    ),
    (
        "GET",
        "/api/v1/conversations/",
        "/api/v1/conversations/",
        User("read:statuses"),
        &[],
    ),
    (
        "DELETE",
        "/api/v1/conversations/{id}",
        "/api/v1/conversations/1",
        User("write:conversations"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/conversations/{id}/read",
        "/api/v1/conversations/1/read",
        User("write:conversations"),
        &["write"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/mute",
        "/api/v1/statuses/1/mute",
        User("write:mutes"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/unmute",
        "/api/v1/statuses/1/unmute",
        User("write:mutes"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/statuses/{id}/translate",
        "/api/v1/statuses/1/translate",
        User("read:statuses"),
        &[],
    ),
    (
        "GET",
        "/api/v1/tags/{name}",
        "/api/v1/tags/kith",
        ReadIfToken("read"),
        &[],
    ),
    (
        "POST",
        "/api/v1/tags/{name}/follow",
        "/api/v1/tags/kith/follow",
        User("write:follows"),
        &["write", "follow"],
    ),
    (
        "POST",
        "/api/v1/tags/{name}/unfollow",
        "/api/v1/tags/kith/unfollow",
        User("write:follows"),
        &["write", "follow"],
    ),
    (
        "GET",
        "/api/v1/followed_tags",
        "/api/v1/followed_tags",
        User("read:follows"),
        &["follow"],
    ),
    (
        "GET",
        "/api/v1/timelines/tag/{hashtag}",
        "/api/v1/timelines/tag/kith",
        ReadIfToken("read:statuses"),
        &[],
    ),
];

const ONE_SCOPE: &[&str] = &["write", "push", "follow", "profile"];

async fn call(i: &Instance, method: &str, path: &str, token: Option<&str>) -> (u16, String) {
    let mut req = client().request(Method::from_bytes(method.as_bytes()).unwrap(), i.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

#[test]
fn the_table_covers_every_declared_endpoint() {
    let ours: BTreeSet<(&str, &str)> = TABLE.iter().map(|r| (r.0, r.1)).collect();
    let kiths: BTreeSet<(&str, &str)> = kith_api::scopes::ENDPOINTS
        .iter()
        .map(|(m, p, _)| (*m, *p))
        .collect();
    assert_eq!(ours, kiths);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_checks_the_scope_of_a_token_presented() {
    on_each_backend!(async |i: &Instance| {
        // Ana is an admin, so that the admin endpoints let her right-scoped token through.
        let ana = kith_core::accounts::create_local_user(
            &i.context.db,
            &i.context.urls,
            kith_core::accounts::NewLocalUser {
                username: "ana".into(),
                password: "correct horse".into(),
                email: None,
                role: kith_core::accounts::Role::Admin,
            },
        )
        .await
        .unwrap();
        let bob = i.create_user("bob", "correct horse").await;
        let full = i.token(&ana, "read write follow").await;
        let posted: Value = client()
            .post(i.url("/api/v1/statuses"))
            .bearer_auth(&full)
            .json(&serde_json::json!({"status": "for followers", "visibility": "private"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let status_id = posted["id"].as_str().unwrap().to_owned();
        let one_scope: Vec<(&str, String)> = futures::future::join_all(
            ONE_SCOPE
                .iter()
                .map(|s| async { (*s, i.token(&ana, s).await) }),
        )
        .await;
        let app_token = kith_core::tokens::issue(
            &i.context.db,
            None,
            None,
            &kith_core::Scopes::parse("read write follow").unwrap(),
        )
        .await
        .unwrap()
        .0;

        for &(method, pattern, path, needs, enough) in TABLE {
            if needs == Streaming {
                continue;
            }
            let path = path
                .replace("{S}", &status_id)
                .replace("{A}", &ana.id.to_string())
                .replace("{B}", &bob.id.to_string());
            let what = format!("{method} {pattern}");
            // Without a token.
            let (anonymous, _) = call(i, method, &path, None).await;
            match needs {
                Nothing | ReadIfToken(_) => {
                    assert!(
                        ![401, 403].contains(&anonymous),
                        "{what} anonymous: {anonymous}"
                    )
                }
                User(_) | AnyToken | Token(_) | Staff(_) => {
                    assert_eq!(anonymous, 401, "{what} anonymous")
                }
                Streaming => unreachable!(),
            }
            // With exactly the scope it needs (any token when it needs none in particular).
            let right = match needs {
                ReadIfToken(s) | User(s) | Token(s) | Staff(s) => i.token(&ana, s).await,
                Nothing | AnyToken | Streaming => i.token(&ana, "push").await,
            };
            let (status, body) = call(i, method, &path, Some(&right)).await;
            assert!(
                ![401, 403].contains(&status),
                "{what} right scope: {status} {body}"
            );
            // With one top-level scope each.
            for (scope, token) in &one_scope {
                let (status, body) = call(i, method, &path, Some(token)).await;
                let passes = matches!(needs, Nothing | AnyToken) || enough.contains(scope);
                if passes {
                    assert!(
                        ![401, 403].contains(&status),
                        "{what} {scope}: {status} {body}"
                    );
                } else {
                    assert_eq!(status, 403, "{what} with {scope}: {body}");
                    let body: Value = serde_json::from_str(&body).unwrap();
                    assert_eq!(
                        body["error"], "This action is outside the authorized scopes",
                        "{what} {scope}"
                    );
                }
            }
            // A token that is not valid is refused wherever a token is read.
            let (status, _) = call(i, method, &path, Some("not-a-token")).await;
            match needs {
                Nothing => assert!(![401, 403].contains(&status), "{what} bad token"),
                _ => assert_eq!(status, 401, "{what} bad token"),
            }
            // An application's own token acts for no user.
            let (status, _) = call(i, method, &path, Some(&app_token)).await;
            match needs {
                User(_) | Staff(_) => assert_eq!(status, 403, "{what} app token"),
                _ => assert!(![401, 403].contains(&status), "{what} app token: {status}"),
            }
        }
    });
}
