//! Cross-site request forgery defences for the HTML forms. [`cross_origin`] is the check every
//! form's POST passes first (the console's and the signed-out forms'): a request whose
//! `Origin` or `Sec-Fetch-Site` says another site sent it is refused.
//!
//! Forms filled in before anyone has a session (the sign-up page, the OAuth sign-in page and
//! the console's login page)
//! also carry a signed double-submit token ([`SignedOutForm`]): the page sets a cookie
//! (HttpOnly, SameSite=Lax, scoped to the form's path, Secure outside dev mode) holding a
//! token that `kith_core::form_tokens` signed with the instance's key, and puts the same token
//! in the form's hidden `csrf` field. A POST is let through only if the field equals the cookie and the token
//! is this instance's, for this form, and unexpired; any process sharing the database can
//! check it, and nothing is stored per visitor.

use crate::error::{ApiError, ApiResult};
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use kith_core::form_tokens;
use kith_core::tokens::digest;
use kith_federation::Data;

/// How long a token (and its cookie) lasts.
const LIFETIME_SECONDS: i64 = 2 * 3600;
/// A token with less than this left is replaced when a page shows the form again.
const RENEW_BELOW_SECONDS: i64 = 30 * 60;

/// Whether a state-changing request plainly came from another site: an `Origin` that is not
/// this instance (as configured, or as the request's own `Host` names it), or
/// `Sec-Fetch-Site: cross-site`. Requests without either header (not from a browser) are
/// left to the CSRF token.
pub(crate) fn cross_origin(req: &HttpRequest, data: &Data) -> bool {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header("sec-fetch-site") == Some("cross-site") {
        return true;
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return false;
    };
    let Some(origin) = origin.to_str().ok().and_then(|o| url::Url::parse(o).ok()) else {
        // `Origin: null` (sandboxed frames, some redirects) or garbage.
        return true;
    };
    let base = data.urls.base();
    let same_as_base = origin.scheme() == base.scheme()
        && origin.host_str() == base.host_str()
        && origin.port_or_known_default() == base.port_or_known_default();
    let authority = match (origin.host_str(), origin.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        (None, _) => return true,
    };
    let same_as_host = header("host").is_some_and(|h| h.eq_ignore_ascii_case(&authority));
    !(same_as_base || same_as_host)
}

/// A form people fill in while signed out, and the cookie that guards it.
pub(crate) struct SignedOutForm {
    /// What the token is for (part of what is signed, so one form's token fits no other).
    purpose: &'static str,
    cookie: &'static str,
    /// The path the cookie is sent to: the form's own.
    path: &'static str,
}

/// The sign-up page (`/auth/sign_up`).
pub(crate) const SIGN_UP: SignedOutForm = SignedOutForm {
    purpose: "sign_up",
    cookie: "kith_sign_up",
    path: "/auth",
};

/// The console's login page (`/admin/login`).
pub(crate) const CONSOLE_LOGIN: SignedOutForm = SignedOutForm {
    purpose: "console_login",
    cookie: "kith_console_login",
    path: "/admin",
};

/// The OAuth sign-in page (`/oauth/authorize`).
pub(crate) const OAUTH_LOGIN: SignedOutForm = SignedOutForm {
    purpose: "oauth_login",
    cookie: "kith_oauth_login",
    path: "/oauth",
};

/// The token a page puts in its form, and the cookie to set with it (none when the browser's
/// cookie already holds a token with long enough to live).
pub(crate) struct Issued {
    pub token: String,
    cookie: Option<Cookie<'static>>,
}

impl Issued {
    /// Adds the cookie, if any, to the page's response.
    pub(crate) fn set_on(&self, res: &mut HttpResponse) -> ApiResult<()> {
        match &self.cookie {
            Some(c) => res
                .add_cookie(c)
                .map_err(|e| ApiError::Internal(format!("cookie: {e}"))),
            None => Ok(()),
        }
    }
}

impl SignedOutForm {
    /// The cookie's name (to clear it once the form has done its work).
    pub(crate) fn cookie_name(&self) -> &'static str {
        self.cookie
    }

    fn cookie_value(&self, req: &HttpRequest) -> Option<String> {
        req.cookie(self.cookie).map(|c| c.value().to_owned())
    }

    /// The token for a page showing this form: the browser's own while it has a while left
    /// (so several tabs can be open at once), else a new one.
    pub(crate) async fn issue(&self, req: &HttpRequest, data: &Data) -> ApiResult<Issued> {
        let key = form_tokens::key(&data.db).await?;
        let now = chrono::Utc::now().timestamp();
        if let Some(current) = self.cookie_value(req) {
            if key
                .verify(self.purpose, &current, now)
                .is_some_and(|expires| expires - now > RENEW_BELOW_SECONDS)
            {
                return Ok(Issued {
                    token: current,
                    cookie: None,
                });
            }
        }
        let token = key.issue(self.purpose, now + LIFETIME_SECONDS);
        let cookie = Cookie::build(self.cookie, token.clone())
            .path(self.path)
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(!data.instance.dev_mode)
            .max_age(CookieDuration::seconds(LIFETIME_SECONDS))
            .finish();
        Ok(Issued {
            token,
            cookie: Some(cookie),
        })
    }

    /// Whether a POST of this form may go on: not sent from another site, and `presented`
    /// (the form's field) is the cookie's token, signed by this instance for this form and
    /// unexpired.
    pub(crate) async fn check(
        &self,
        req: &HttpRequest,
        data: &Data,
        presented: Option<&str>,
    ) -> ApiResult<bool> {
        if cross_origin(req, data) {
            return Ok(false);
        }
        let (Some(cookie), Some(presented)) = (self.cookie_value(req), presented) else {
            return Ok(false);
        };
        // Compare digests, so the comparison's timing says nothing about the cookie.
        if cookie.is_empty() || digest(&cookie) != digest(presented) {
            return Ok(false);
        }
        let key = form_tokens::key(&data.db).await?;
        let now = chrono::Utc::now().timestamp();
        Ok(key.verify(self.purpose, &cookie, now).is_some())
    }
}
