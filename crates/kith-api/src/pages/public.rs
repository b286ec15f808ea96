//! The pages anyone can read without an account: the instance's home page (about, rules,
//! the local public posts), people's profiles (local and remote accounts known here), a
//! post with its thread, and a tag's posts. They show only what an anonymous reader of the
//! API may see: the lists come from the visibility rule in `kith_storage::statuses` with no
//! viewer, and every post is rendered by `statuses_view`, which checks it again. As on
//! Mastodon, unlisted posts appear on their author's profile and their own page, never on
//! the home or tag pages. A page costs a fixed number of queries, whatever its length.

use super::view::{profile_path, shorten, Here, Meta, PersonView, PostView};
use super::{html, not_found_page};
use crate::activitypub::{local_person, note_response};
use crate::entities::status::{account_view, statuses_view, Status};
use crate::error::{ApiError, ApiResult};
use crate::routes::wants_activity_json;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use kith_federation::Data;
use kith_storage::accounts::{self, Account};
use kith_storage::statuses::{self, Page};
use kith_storage::OptionalExt;
use serde::Deserialize;
use std::collections::HashMap;

/// Posts per page of a list.
const PER_PAGE: i64 = 20;
/// Ancestors a thread page shows at most (as the API's `context`).
const MAX_ANCESTORS: usize = 40;
/// Replies a thread page shows at most, and how deep it follows them.
const MAX_DESCENDANTS: usize = 200;
const MAX_DEPTH: usize = 40;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/@{acct}", web::get().to(profile))
        .route("/@{acct}/{id}", web::get().to(status))
        .route("/tags/{name}", web::get().to(tag));
}

/// `?max_id=` of a list page; anything that is not an id shows the first page.
#[derive(Debug, Deserialize)]
struct PageParams {
    max_id: Option<String>,
}

impl PageParams {
    fn page(&self) -> Page {
        Page {
            max_id: self.max_id.as_deref().and_then(|m| m.parse().ok()),
            limit: PER_PAGE,
            ..Page::default()
        }
    }
}

/// A list of posts with the links to the next (older) page and back to the newest.
struct Listing {
    posts: Vec<PostView>,
    older: Option<String>,
    newer: Option<String>,
}

impl Listing {
    /// `rows` as loaded (their ids page the list, even where rendering dropped one) and
    /// `rendered` by `statuses_view`.
    fn new(path: &str, page: Page, row_ids: &[i64], rendered: &[Status], here: &Here) -> Self {
        let older = (row_ids.len() as i64 >= page.limit)
            .then(|| row_ids.last().map(|id| format!("{path}?max_id={id}")))
            .flatten();
        Listing {
            posts: rendered.iter().map(|s| PostView::of(s, here)).collect(),
            older,
            newer: page.max_id.map(|_| path.to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    instance_title: &'a str,
    meta: Meta,
    description: &'a str,
    users: i64,
    local_posts: i64,
    version: &'a str,
    rules: &'a [String],
    contact: &'a str,
    registrations: &'static str,
    /// The words of the link to the sign-up page, when people may join without an invite.
    sign_up: Option<&'static str>,
    list: Listing,
}

async fn index(query: web::Query<PageParams>, data: Data) -> ApiResult<HttpResponse> {
    let stats = kith_core::stats::instance_stats(&data.db).await?;
    let page = query.page();
    let urls = data.urls.clone();
    let (mode, ids, rendered) = data
        .db
        .read(move |c| {
            let rows = statuses::public(c, Some(true), None, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let rendered = statuses_view(c, &rows, None, &urls)?;
            Ok((kith_core::registrations::mode(c)?, ids, rendered))
        })
        .await?;
    use kith_core::registrations::Mode;
    let registrations = match mode {
        Mode::Open => "Anyone may sign up, here or from any Mastodon app.",
        Mode::Approval => "Anyone may apply for an account; the moderators approve each one.",
        Mode::Invite => "Joining needs an invitation from someone here.",
        Mode::Closed => "Sign-ups are closed; the admins make accounts.",
    };
    let sign_up = match mode {
        Mode::Open => Some("Sign up"),
        Mode::Approval => Some("Apply for an account"),
        Mode::Invite | Mode::Closed => None,
    };
    let here = Here::of(&data.urls);
    let info = &data.instance;
    html(
        StatusCode::OK,
        &HomePage {
            instance_title: &info.title,
            meta: Meta {
                title: info.title.clone(),
                description: shorten(&info.description, 200),
                url: data.urls.base().to_string(),
                kind: "website",
                image: Some(format!("{}static/header.png", data.urls.base())),
                ..Meta::default()
            },
            description: &info.description,
            users: stats.users,
            local_posts: stats.local_posts,
            version: kith_core::instance::KITH_VERSION,
            rules: &info.rules,
            contact: &info.contact_email,
            registrations,
            sign_up,
            list: Listing::new("/", page, &ids, &rendered, &here),
        },
    )
}

/// Whose page `acct` names: a local person (`user`, or `user@` this domain), or a remote
/// account known here. `None` for nobody, and for a remote account that is suspended here or
/// on a silenced or suspended domain (their posts reach only their followers). A suspended
/// local person is 410 (`local_person`).
async fn person(data: &Data, acct: &str) -> ApiResult<Option<Account>> {
    let (username, domain) = match acct.split_once('@') {
        Some((u, d)) if !d.eq_ignore_ascii_case(data.urls.domain()) => (u, Some(d)),
        Some((u, _)) => (u, None),
        None => (acct, None),
    };
    let Some(domain) = domain else {
        return match local_person(data, username.to_owned()).await {
            Err(ApiError::NotFound) => Ok(None),
            found => found.map(Some),
        };
    };
    let (username, domain) = (username.to_owned(), domain.to_owned());
    let found = data
        .db
        .read(move |c| {
            let Some(account) = accounts::remote_by_username(c, &username, &domain).optional()?
            else {
                return Ok(None);
            };
            let suspended = kith_storage::moderation::state(c, account.id)?
                .suspended_at
                .is_some();
            let limited = kith_core::domain_policy::effective(c, &domain)?
                .is_some_and(|p| matches!(p.severity.as_str(), "silence" | "suspend"));
            Ok((!suspended && !limited).then_some(account))
        })
        .await?;
    Ok(found)
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage<'a> {
    instance_title: &'a str,
    meta: Meta,
    person: PersonView,
    /// HTML: escaped text (local) or sanitized on arrival (remote).
    note: String,
    /// Profile fields (values: HTML, as `note`).
    fields: Vec<FieldView>,
    locked: bool,
    bot: bool,
    statuses: i64,
    following: i64,
    followers: i64,
    /// Their profile on their own server, for remote accounts.
    original: Option<String>,
    list: Listing,
}

/// A profile field on the page: `value` is HTML made here from escaped text (local) or
/// sanitized on arrival (remote), like the bio.
struct FieldView {
    name: String,
    value: String,
    verified: bool,
}

/// The HTML profile of an account (the first page of its posts).
pub(crate) async fn profile_page(account: &Account, data: &Data) -> ApiResult<HttpResponse> {
    profile_listing(
        account.clone(),
        Page {
            limit: PER_PAGE,
            ..Page::default()
        },
        data,
    )
    .await
}

async fn profile_listing(account: Account, page: Page, data: &Data) -> ApiResult<HttpResponse> {
    let urls = data.urls.clone();
    let id = account.id;
    let remote = !account.is_local();
    let (entity, ids, rendered) = data
        .db
        .read(move |c| {
            let entity = account_view(c, &account, &urls)?;
            let rows = statuses::by_account(c, id, None, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            Ok((entity, ids, statuses_view(c, &rows, None, &urls)?))
        })
        .await?;
    let here = Here::of(&data.urls);
    let person = PersonView::of(&entity, &here);
    let path = profile_path(&entity.acct);
    let bio = kith_core::html::html_to_text(&entity.note);
    html(
        StatusCode::OK,
        &ProfilePage {
            instance_title: &data.instance.title,
            meta: Meta {
                title: format!("{} (@{})", person.name, person.handle),
                description: if bio.trim().is_empty() {
                    format!("Posts by {} (@{})", person.name, person.handle)
                } else {
                    shorten(&bio, 200)
                },
                url: person.href.clone(),
                kind: "profile",
                image: person.avatar.clone(),
                alternate: Some(entity.uri.clone()),
                published: None,
            },
            note: super::view::with_emojis(&entity.note, &entity.emojis),
            fields: entity
                .fields
                .iter()
                .map(|f| FieldView {
                    name: f.name.clone(),
                    value: f.value.clone(),
                    verified: f.verified_at.is_some(),
                })
                .collect(),
            locked: entity.locked,
            bot: entity.bot,
            statuses: entity.statuses_count,
            following: entity.following_count,
            followers: entity.followers_count,
            original: if remote {
                super::view::web_url(&entity.url)
            } else {
                None
            },
            list: Listing::new(&path, page, &ids, &rendered, &here),
            person,
        },
    )
}

/// `/@user` and `/@user@domain`: HTML for people; ActivityPub clients are sent to the actor.
async fn profile(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<PageParams>,
    data: Data,
) -> ApiResult<HttpResponse> {
    // Not found: the error pages give browsers the HTML page and everyone else JSON.
    let account = person(&data, &path).await?.ok_or(ApiError::NotFound)?;
    if wants_activity_json(&req) {
        // Some servers dereference the profile URL; send them to the actor.
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, account.ap_id.clone()))
            .insert_header((header::VARY, "Accept"))
            .finish());
    }
    profile_listing(account, query.page(), &data).await
}

#[derive(Template)]
#[template(path = "status.html")]
struct ThreadPage<'a> {
    instance_title: &'a str,
    meta: Meta,
    ancestors: Vec<PostView>,
    post: PostView,
    descendants: Vec<PostView>,
}

/// A post's page (its `url` for local posts; `/@user@domain/ID` for remote ones known here)
/// with its thread: the posts it answers and the replies to it that an anonymous reader may
/// see. Anything else is the 404 page. ActivityPub clients get a local post's Note, and are
/// sent to a remote post's id.
async fn status(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let (acct, id) = path.into_inner();
    let is_local = acct
        .split_once('@')
        .is_none_or(|(_, d)| d.eq_ignore_ascii_case(data.urls.domain()));
    if wants_activity_json(&req) && is_local {
        let username = acct.split('@').next().unwrap_or_default().to_owned();
        return note_response(&req, &data, username, &id).await;
    }
    let found = match (id.parse::<i64>(), person(&data, &acct).await?) {
        (Ok(id), Some(author)) => thread(&data, author.id, id).await?,
        _ => None,
    };
    let (focus_id, rendered) = found.ok_or(ApiError::NotFound)?;
    let at = rendered
        .iter()
        .position(|s| s.id == focus_id.to_string())
        .ok_or(ApiError::NotFound)?;
    if wants_activity_json(&req) {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, rendered[at].uri.clone()))
            .insert_header((header::VARY, "Accept"))
            .finish());
    }
    let here = Here::of(&data.urls);
    let mut views: Vec<PostView> = rendered.iter().map(|s| PostView::of(s, &here)).collect();
    let descendants = views.split_off(at + 1);
    let mut post = views.pop().ok_or(ApiError::NotFound)?;
    post.focus = true;
    let focus = &rendered[at];
    html(
        StatusCode::OK,
        &ThreadPage {
            instance_title: &data.instance.title,
            meta: Meta {
                title: format!("{}: \"{}\"", post.author.name, post.gist(60)),
                description: post.gist(300),
                url: post.href.clone(),
                kind: "article",
                image: post.preview_image().or(post.author.avatar.clone()),
                alternate: Some(focus.uri.clone()),
                published: Some(post.datetime.clone()),
            },
            ancestors: views,
            post,
            descendants,
        },
    )
}

/// The post `id` by `author_id`, if an anonymous reader may see it, with its thread rendered
/// in reading order: ancestors, the post, then the replies depth first. One query per level
/// of replies, and one rendering for the lot.
async fn thread(data: &Data, author_id: i64, id: i64) -> ApiResult<Option<(i64, Vec<Status>)>> {
    let urls = data.urls.clone();
    Ok(data
        .db
        .read(move |c| {
            let Some(s) = statuses::by_id(c, id).optional()? else {
                return Ok(None);
            };
            if s.account_id != author_id
                || s.reblog_of_id.is_some()
                || !statuses::is_visible(c, s.id, None)?
            {
                return Ok(None);
            }
            let mut rows = Vec::new();
            let mut parent = s.in_reply_to_id;
            while let Some(pid) = parent.take() {
                if rows.len() >= MAX_ANCESTORS {
                    break;
                }
                let Some(p) = statuses::by_id(c, pid).optional()? else {
                    break;
                };
                parent = p.in_reply_to_id;
                rows.push(p);
            }
            rows.reverse();
            // Replies level by level (only through those the reader may see), then in
            // reading order: each reply followed by its own replies.
            let mut children: HashMap<i64, Vec<statuses::Status>> = HashMap::new();
            let mut level = vec![s.id];
            let mut count = 0;
            for _ in 0..MAX_DEPTH {
                if level.is_empty() || count >= MAX_DESCENDANTS {
                    break;
                }
                let replies = statuses::visible_replies(c, &level, None)?;
                level.clear();
                for r in replies.into_iter().take(MAX_DESCENDANTS - count) {
                    count += 1;
                    level.push(r.id);
                    let parent = r.in_reply_to_id.unwrap_or(s.id);
                    children.entry(parent).or_default().push(r);
                }
            }
            let focus = s.id;
            rows.push(s);
            let mut stack: Vec<statuses::Status> = children
                .remove(&focus)
                .unwrap_or_default()
                .into_iter()
                .rev()
                .collect();
            while let Some(r) = stack.pop() {
                if let Some(kids) = children.remove(&r.id) {
                    stack.extend(kids.into_iter().rev());
                }
                rows.push(r);
            }
            Ok(Some((focus, statuses_view(c, &rows, None, &urls)?)))
        })
        .await?)
}

#[derive(Template)]
#[template(path = "tag.html")]
struct TagPage<'a> {
    instance_title: &'a str,
    meta: Meta,
    name: String,
    list: Listing,
}

/// `/tags/NAME`: public posts known here with the tag, newest first.
async fn tag(
    path: web::Path<String>,
    query: web::Query<PageParams>,
    data: Data,
) -> ApiResult<HttpResponse> {
    // A name as a tag is written (letters, digits, `_`; no spaces or punctuation), in the one
    // spelling of tags (`kith_core::tags`) that the tag timeline reads.
    let raw = path.into_inner();
    let written = raw
        .trim_start_matches('#')
        .chars()
        .all(|ch| ch.is_alphanumeric() || ch == '_');
    let name = kith_core::tags::normalize(&raw);
    if !written
        || !kith_core::tags::is_valid(&name)
        || name.len() > kith_core::limits::MAX_HASHTAG_BYTES
    {
        return not_found_page(&data);
    }
    let page = query.page();
    let urls = data.urls.clone();
    let tag = name.clone();
    let (ids, rendered) = data
        .db
        .read(move |c| {
            let filter = statuses::TagFilter {
                any: vec![tag],
                ..statuses::TagFilter::default()
            };
            let rows = statuses::tagged(c, &filter, None, page)?;
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            Ok((ids, statuses_view(c, &rows, None, &urls)?))
        })
        .await?;
    let path = format!("/tags/{name}");
    let here = Here::of(&data.urls);
    html(
        StatusCode::OK,
        &TagPage {
            instance_title: &data.instance.title,
            meta: Meta {
                title: format!("#{name}"),
                description: format!("Public posts tagged #{name} on {}", data.instance.title),
                url: format!("{}{path}", here.origin),
                kind: "website",
                ..Meta::default()
            },
            list: Listing::new(&path, page, &ids, &rendered, &here),
            name,
        },
    )
}
