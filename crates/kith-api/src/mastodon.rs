//! The Mastodon client API (`/api/v1`, `/api/v2`).

mod accounts;
mod apps;
mod follows;
mod instance;
mod notifications;
mod search;
mod statuses;
mod timelines;

use actix_web::web;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(apps::configure)
        .configure(instance::configure)
        .configure(follows::configure)
        .configure(accounts::configure)
        .configure(statuses::configure)
        .configure(timelines::configure)
        .configure(notifications::configure)
        .configure(search::configure);
}
