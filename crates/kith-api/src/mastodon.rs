//! The Mastodon client API (`/api/v1`, `/api/v2`).

mod accounts;
mod apps;
mod instance;

use actix_web::web;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(apps::configure)
        .configure(instance::configure)
        .configure(accounts::configure);
}
