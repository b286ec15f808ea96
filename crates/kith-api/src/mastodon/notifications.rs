//! `GET /api/v1/notifications`.

use crate::auth::Auth;
use crate::entities::status::notifications_view;
use crate::error::ApiResult;
use crate::paging::{paged_json, PageQuery};
use actix_web::{web, HttpRequest, HttpResponse};
use kith_core::notifications::NotificationKind;
use kith_federation::Data;
use kith_storage::activity;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/notifications", web::get().to(list));
}

async fn list(
    req: HttpRequest,
    auth: Auth,
    query: web::Query<PageQuery>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let me = auth.account()?.id;
    let page = query.page(15, 30);
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let types: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "types[]" || k == "types")
        .map(|(_, v)| v.clone())
        .collect();
    let excluded: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "exclude_types[]" || k == "exclude_types")
        .map(|(_, v)| v.clone())
        .collect();
    let kinds = if types.is_empty() && excluded.is_empty() {
        None
    } else {
        // Names are read through the kind enum: an unknown type matches nothing.
        let base: Vec<NotificationKind> = if types.is_empty() {
            NotificationKind::ALL.to_vec()
        } else {
            types
                .iter()
                .filter_map(|t| NotificationKind::parse(t))
                .collect()
        };
        Some(
            base.into_iter()
                .map(NotificationKind::as_str)
                .filter(|k| !excluded.iter().any(|e| e == k))
                .map(str::to_owned)
                .collect(),
        )
    };
    let urls = data.urls.clone();
    let (body, ids) = data
        .db
        .read(move |c| {
            let rows =
                activity::notifications_for(c, me, kinds, page.max_id, page.since_id, page.limit)?;
            let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
            Ok((notifications_view(c, &rows, me, &urls)?, ids))
        })
        .await?;
    Ok(paged_json(&req, data.urls.base(), &ids, body))
}
