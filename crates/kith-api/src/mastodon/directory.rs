//! What apps read at start-up about the instance and the signed-in person: rules, peers,
//! weekly activity, custom emoji, and the trends and suggestions that Kith
//! answers with empty lists because it does not rank by engagement (docs/client-api.md says so).

use crate::entities::instance::rules;
use crate::error::ApiResult;
use actix_web::{web, HttpResponse};
use kith_federation::Data;
use kith_storage::accounts;
use serde_json::json;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/instance/rules", web::get().to(instance_rules))
        .route("/v1/instance/peers", web::get().to(peers))
        .route("/v1/instance/activity", web::get().to(activity))
        .route("/v1/custom_emojis", web::get().to(custom_emojis))
        .route("/v1/trends", web::get().to(unranked))
        .route("/v1/trends/tags", web::get().to(unranked))
        .route("/v1/trends/statuses", web::get().to(unranked))
        .route("/v1/trends/links", web::get().to(unranked))
        .route("/v1/suggestions", web::get().to(unranked))
        .route("/v2/suggestions", web::get().to(unranked));
}

/// An empty list: Kith keeps no trends or suggestions (it does not rank by engagement).
async fn unranked() -> HttpResponse {
    HttpResponse::Ok().json(json!([]))
}

/// This instance's custom emoji, by shortcode.
async fn custom_emojis(data: Data) -> ApiResult<HttpResponse> {
    let emojis = data.db.read(kith_storage::custom_emojis::all).await?;
    let body: Vec<_> = emojis
        .iter()
        .map(|e| crate::entities::status::custom_emoji(e, &data.urls))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

async fn instance_rules(data: Data) -> HttpResponse {
    HttpResponse::Ok().json(rules(&data.instance))
}

/// Every other instance Kith knows accounts on.
async fn peers(data: Data) -> ApiResult<HttpResponse> {
    let domains = data.db.read(accounts::known_domains).await?;
    Ok(HttpResponse::Ok().json(domains))
}

/// The last 12 weeks, the current one first, with counts as strings as Mastodon sends them.
async fn activity(data: Data) -> ApiResult<HttpResponse> {
    let weeks = kith_core::stats::weekly_activity(&data.db, 12).await?;
    let body: Vec<_> = weeks
        .iter()
        .map(|w| {
            json!({
                "week": w.week.timestamp().to_string(),
                "statuses": w.statuses.to_string(),
                "logins": w.logins.to_string(),
                "registrations": w.registrations.to_string(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(body))
}
