//! NUL characters in request URLs. PostgreSQL cannot store or compare text with NUL and SQLite
//! can, so a `%00` in a path or query string is refused before any handler reads it (400), and
//! both backends answer alike. Bodies are checked where they are parsed (`body`).

use crate::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::ResponseError;

/// Middleware (`actix_web::middleware::from_fn`): answers 400 to a request whose path or query
/// string holds an encoded NUL. A raw NUL cannot reach here: the HTTP parser refuses it.
pub async fn refuse_nul_in_url<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let has_nul = req
        .uri()
        .path_and_query()
        .is_some_and(|pq| pq.as_str().contains("%00"));
    if has_nul {
        let refusal = ApiError::BadRequest("The URL contains a NUL character".into());
        return Ok(req
            .into_response(refusal.error_response())
            .map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
