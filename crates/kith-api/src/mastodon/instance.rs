//! `GET /api/v1/instance` and `/api/v2/instance` (with or without a trailing slash, as
//! clients ask for both).

use crate::entities::instance::{instance_v1, instance_v2, Stats};
use crate::error::ApiResult;
use actix_web::{web, HttpResponse};
use kith_federation::Data;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/instance", web::get().to(v1))
        .route("/v1/instance/", web::get().to(v1))
        .route("/v2/instance", web::get().to(v2))
        .route("/v2/instance/", web::get().to(v2));
}

async fn stats(data: &Data) -> ApiResult<Stats> {
    let s = kith_core::stats::instance_stats(&data.db).await?;
    use kith_core::registrations::{mode, Mode};
    let mode = data.db.read(mode).await?;
    Ok(Stats {
        registrations_open: matches!(mode, Mode::Open | Mode::Approval),
        approval_required: mode == Mode::Approval,
        users: s.users,
        active_month: s.active_month,
        statuses: s.local_posts,
        domains: s.domains,
    })
}

async fn v1(data: Data) -> ApiResult<HttpResponse> {
    let s = stats(&data).await?;
    Ok(HttpResponse::Ok().json(instance_v1(&data.instance, &data.urls, s)))
}

async fn v2(data: Data) -> ApiResult<HttpResponse> {
    let s = stats(&data).await?;
    Ok(HttpResponse::Ok().json(instance_v2(&data.instance, &data.urls, s)))
}
