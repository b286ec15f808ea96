//! The Mastodon client API (`/api/v1`, `/api/v2`), every route behind the scope gate.

mod accounts;
mod admin;
mod announcements;
mod apps;
mod conversations;
mod directory;
mod domain_blocks;
mod filters;
mod follows;
mod grouped_notifications;
mod idempotency;
mod instance;
mod lists;
mod marks;
mod media;
mod notifications;
mod people;
mod polls;
mod profiles;
mod registrations;
mod reports;
pub(crate) mod scheduled;
mod search;
mod sharing;
mod shields;
mod statuses;
mod streaming;
mod tags;
mod timelines;

use crate::error::ApiError;
use crate::scopes;
use actix_web::middleware::from_fn;
use actix_web::web;

/// Mounts every client-API route under one `/api` scope behind the scope gate
/// (`scopes::gate`), so that none can be reached without its declared scope.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .wrap(from_fn(scopes::gate))
            .configure(apps::configure)
            .configure(domain_blocks::configure)
            .configure(instance::configure)
            .configure(directory::configure)
            .configure(announcements::configure)
            .configure(people::configure)
            .configure(profiles::configure)
            .configure(lists::configure)
            .configure(filters::configure)
            .configure(follows::configure)
            .configure(accounts::configure)
            .configure(statuses::configure)
            .configure(polls::configure)
            .configure(scheduled::configure)
            .configure(marks::configure)
            .configure(timelines::configure)
            .configure(shields::configure)
            .configure(notifications::configure)
            .configure(grouped_notifications::configure)
            .configure(conversations::configure)
            .configure(tags::configure)
            .configure(search::configure)
            .configure(media::configure)
            .configure(streaming::configure)
            .configure(reports::configure)
            .configure(registrations::configure)
            .configure(admin::configure)
            .configure(sharing::configure)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(ApiError::NotFound)
            })),
    );
}
