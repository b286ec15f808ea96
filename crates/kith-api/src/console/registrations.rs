//! Registrations: the mode (open, approval, invite-only, closed), the sign-ups waiting for
//! approval (approve or reject), and invites (make one with an expiry and a use limit, revoke
//! one), through `kith_core::registrations` and `kith_core::moderation::decide_sign_up`.

use super::{flat, outcome, page, path_id, when, Frame, Posted, Staffed};
use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use kith_core::moderation;
use kith_core::registrations::{self, Mode};
use kith_federation::Data;
use kith_storage::moderation::{self as rows, AccountFilter};
use serde::Deserialize;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/registrations", web::get().to(show))
        .route("/admin/registrations/mode", web::post().to(set_mode))
        .route("/admin/registrations/{id}/decide", web::post().to(decide))
        .route("/admin/invites", web::post().to(create_invite))
        .route("/admin/invites/{id}/delete", web::post().to(delete_invite));
}

struct Pending {
    id: i64,
    username: String,
    email: String,
    reason: String,
    created: String,
}

struct InviteRow {
    id: i64,
    code: String,
    uses: String,
    expires: String,
    usable: bool,
    created: String,
}

#[derive(Template)]
#[template(path = "console/registrations.html")]
struct RegistrationsPage {
    frame: Frame,
    mode: &'static str,
    pending: Vec<Pending>,
    invites: Vec<InviteRow>,
}

async fn show(who: Staffed, data: Data) -> ApiResult<HttpResponse> {
    let (mode, pending, invites) = data
        .db
        .read(|c| {
            let mode = registrations::mode(c)?;
            let pending = rows::admin_accounts(
                c,
                &AccountFilter {
                    local: Some(true),
                    status: Some("pending".into()),
                    limit: 200,
                    ..AccountFilter::default()
                },
            )?;
            Ok((mode, pending, rows::list_invites(c)?))
        })
        .await?;
    let now = kith_storage::now();
    page(
        StatusCode::OK,
        &RegistrationsPage {
            frame: Frame::of(&who, &data).await?,
            mode: mode.as_str(),
            pending: pending
                .into_iter()
                .map(|(a, user, state)| Pending {
                    id: a.id,
                    username: a.username,
                    email: user.and_then(|u| u.email).unwrap_or_default(),
                    reason: state.and_then(|s| s.sign_up_reason).unwrap_or_default(),
                    created: when(a.created_at),
                })
                .collect(),
            invites: invites
                .into_iter()
                .map(|i| InviteRow {
                    id: i.id,
                    uses: match i.max_uses {
                        Some(m) => format!("{} of {m}", i.uses),
                        None => format!("{} (no limit)", i.uses),
                    },
                    expires: i.expires_at.map_or_else(|| "never".into(), when),
                    usable: i.expires_at.is_none_or(|e| e > now)
                        && i.max_uses.is_none_or(|m| i.uses < m),
                    code: i.code,
                    created: when(i.created_at),
                })
                .collect(),
        },
    )
}

#[derive(Debug, Deserialize)]
struct ModeForm {
    mode: Option<String>,
}

async fn set_mode(posted: Posted<ModeForm>, data: Data) -> ApiResult<HttpResponse> {
    let staff = posted.who.staff;
    let mode: Result<Mode, _> = posted.form.mode.as_deref().unwrap_or("").parse();
    let mode = match mode {
        Ok(m) => m,
        Err(e) => {
            return outcome(
                &data,
                &posted.who,
                Err::<(), kith_core::CoreError>(e),
                "/admin/registrations",
                "",
            )
            .await
        }
    };
    data.db
        .write(move |c| registrations::set_mode(c, staff, mode))
        .await?;
    let notice = format!("Registrations are now {}.", mode_words(mode));
    outcome(
        &data,
        &posted.who,
        Ok::<_, ApiError>(()),
        "/admin/registrations",
        &notice,
    )
    .await
}

fn mode_words(mode: Mode) -> &'static str {
    match mode {
        Mode::Open => "open to anyone",
        Mode::Approval => "open with approval",
        Mode::Invite => "by invite only",
        Mode::Closed => "closed",
    }
}

#[derive(Debug, Deserialize)]
struct DecideForm {
    /// `approve` or `reject`.
    decision: Option<String>,
}

async fn decide(
    posted: Posted<DecideForm>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = posted.who.staff;
    let approve = match posted.form.decision.as_deref() {
        Some("approve") => true,
        Some("reject") => false,
        _ => {
            let refused = Err(ApiError::Unprocessable(
                "decision must be approve or reject".into(),
            ));
            return outcome(&data, &posted.who, refused, "/admin/registrations", "").await;
        }
    };
    let result = flat(
        data.db
            .write(move |c| Ok(moderation::decide_sign_up(c, staff, id, approve)))
            .await,
    );
    let notice = if approve {
        "Sign-up approved."
    } else {
        "Sign-up rejected."
    };
    outcome(&data, &posted.who, result, "/admin/registrations", notice).await
}

#[derive(Debug, Deserialize)]
struct InviteForm {
    /// Empty for no limit.
    max_uses: Option<String>,
    /// Seconds from now; empty for never.
    expires_in: Option<String>,
}

/// The invite's limits from the form: (max uses, expiry).
fn invite_limits(
    form: &InviteForm,
) -> Result<(Option<i32>, Option<chrono::NaiveDateTime>), ApiError> {
    let max_uses = match form.max_uses.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(m) => Some(
            m.parse::<i32>()
                .ok()
                .filter(|m| (1..=10_000).contains(m))
                .ok_or_else(|| {
                    ApiError::Unprocessable("uses must be a number from 1 to 10000".into())
                })?,
        ),
    };
    let expires_at = match form.expires_in.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => {
            let secs = s
                .parse::<i64>()
                .ok()
                .filter(|s| (1..=366 * 86_400).contains(s))
                .ok_or_else(|| {
                    ApiError::Unprocessable("the expiry must be between now and a year".into())
                })?;
            Some(kith_storage::now() + chrono::Duration::seconds(secs))
        }
    };
    Ok((max_uses, expires_at))
}

async fn create_invite(posted: Posted<InviteForm>, data: Data) -> ApiResult<HttpResponse> {
    let staff = posted.who.staff;
    let (max_uses, expires_at) = match invite_limits(&posted.form) {
        Ok(l) => l,
        Err(e) => return outcome(&data, &posted.who, Err(e), "/admin/registrations", "").await,
    };
    let result = flat(
        data.db
            .write(move |c| Ok(registrations::create_invite(c, staff, max_uses, expires_at)))
            .await,
    );
    let notice = match &result {
        Ok(i) => format!("Invite {} made.", i.code),
        Err(_) => String::new(),
    };
    outcome(
        &data,
        &posted.who,
        result.map(|_| ()),
        "/admin/registrations",
        &notice,
    )
    .await
}

#[derive(Debug, Deserialize)]
struct Empty {}

async fn delete_invite(
    posted: Posted<Empty>,
    path: web::Path<String>,
    data: Data,
) -> ApiResult<HttpResponse> {
    let id = path_id(&path)?;
    let staff = posted.who.staff;
    let result = flat(
        data.db
            .write(move |c| Ok(registrations::delete_invite(c, staff, id)))
            .await,
    );
    outcome(
        &data,
        &posted.who,
        result,
        "/admin/registrations",
        "Invite revoked.",
    )
    .await
}
