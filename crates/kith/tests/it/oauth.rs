//! OAuth 2: apps, the authorization-code flow with PKCE, client credentials, revocation, and
//! the RFC 6749 error codes for everything that can go wrong.

use crate::on_each_backend;
use crate::rig::{client, FormToken, Instance};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REDIRECT: &str = "https://app.example/callback";

struct App {
    client_id: String,
    client_secret: String,
}

async fn register(i: &Instance, scopes: &str) -> App {
    let res = client()
        .post(i.url("/api/v1/apps"))
        .form(&[
            ("client_name", "Test app"),
            ("redirect_uris", REDIRECT),
            ("scopes", scopes),
            ("website", "https://app.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let app: Value = res.json().await.unwrap();
    assert_eq!(app["name"], "Test app");
    assert_eq!(app["redirect_uri"], REDIRECT);
    App {
        client_id: app["client_id"].as_str().unwrap().into(),
        client_secret: app["client_secret"].as_str().unwrap().into(),
    }
}

fn pkce() -> (String, String) {
    let verifier = format!("{:064x}", rand_u128());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_u128() -> u128 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        ^ 0x5eed_5eed_5eed
}

/// Submits the login form as a browser would; returns the response (a redirect on success).
async fn login(
    i: &Instance,
    app: &App,
    user: &str,
    password: &str,
    challenge: Option<&str>,
    scope: &str,
) -> reqwest::Response {
    let mut form = vec![
        ("response_type", "code"),
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "xyz"),
    ];
    if let Some(c) = challenge {
        form.push(("code_challenge", c));
        form.push(("code_challenge_method", "S256"));
    }
    let signed = login_page(i, &form).await;
    form.extend([
        ("username", user),
        ("password", password),
        ("decision", "approve"),
        ("csrf", &signed.token),
    ]);
    signed
        .on(client().post(i.url("/oauth/authorize")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Opens the sign-in page for an authorization request, as a browser does before posting it.
async fn login_page(i: &Instance, query: &[(&str, &str)]) -> FormToken {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(query)
        .finish();
    FormToken::fetch(&i.url(&format!("/oauth/authorize?{query}"))).await
}

fn code_from(res: &reqwest::Response) -> String {
    assert_eq!(res.status(), 302, "expected a redirect");
    let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let pairs: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(pairs["state"], "xyz");
    pairs["code"].clone()
}

async fn exchange(i: &Instance, app: &App, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    form.extend_from_slice(extra);
    client()
        .post(i.url("/oauth/token"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn oauth_error(res: reqwest::Response, status: u16, code: &str) {
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], code, "{body}");
}

async fn codes(i: &Instance) -> i64 {
    i.context
        .db
        .read(kith_storage::oauth::count_codes)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_code_flow_with_pkce() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        let app = register(i, "read write").await;
        let c = client();

        // The login page shows the app and the scopes asked for.
        let page = c
            .get(i.url("/oauth/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", &app.client_id),
                ("redirect_uri", REDIRECT),
                ("scope", "read"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("Test app") && html.contains("<form"));

        let (verifier, challenge) = pkce();
        let res = login(i, &app, "ana", "correct horse", Some(&challenge), "read").await;
        let code = code_from(&res);
        let token = exchange(
            i,
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(token.status(), 200);
        assert_eq!(token.headers()["cache-control"], "no-store");
        let token: Value = token.json().await.unwrap();
        assert_eq!(token["token_type"], "Bearer");
        assert_eq!(token["scope"], "read");
        let access = token["access_token"].as_str().unwrap();

        let me: Value = c
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["username"], "ana");
        let app_info: Value = c
            .get(i.url("/api/v1/apps/verify_credentials"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(app_info["name"], "Test app");

        // A read token cannot write.
        let write = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(access)
            .form(&[("display_name", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(write.status(), 403);

        // A code is good once.
        let again = exchange(
            i,
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        oauth_error(again, 400, "invalid_grant").await;

        // Revocation ends the token.
        let revoked = c
            .post(i.url("/oauth/revoke"))
            .form(&[
                ("client_id", app.client_id.as_str()),
                ("client_secret", app.client_secret.as_str()),
                ("token", access),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), 200);
        let after = c
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(access)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), 401);
        let body: Value = after.json().await.unwrap();
        assert!(body["error"].is_string());

        // Without PKCE, a confidential client authenticates with its secret (JSON body this time).
        let code = code_from(
            &login(
                i,
                &app,
                "ana@mail.example",
                "correct horse",
                None,
                "read write",
            )
            .await,
        );
        let token = c
            .post(i.url("/oauth/token"))
            .json(&serde_json::json!({"grant_type": "authorization_code", "code": code, "client_id": app.client_id,
                                      "client_secret": app.client_secret, "redirect_uri": REDIRECT}))
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), 200);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth_refusals_use_rfc_6749_codes_and_write_nothing() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        let app = register(i, "read write").await;

        // Wrong password: the form comes back, no code is made.
        let wrong = login(i, &app, "ana", "wrong horse", None, "read").await;
        assert_eq!(wrong.status(), 401);
        assert!(wrong
            .text()
            .await
            .unwrap()
            .contains("Wrong username or password"));
        let unknown = login(i, &app, "nobody", "correct horse", None, "read").await;
        assert_eq!(unknown.status(), 401);
        assert_eq!(codes(i).await, 0);

        // Bad PKCE verifier: invalid_grant, and the code is burned.
        let (verifier, challenge) = pkce();
        let code =
            code_from(&login(i, &app, "ana", "correct horse", Some(&challenge), "read").await);
        let bad = exchange(
            i,
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                (
                    "code_verifier",
                    "not-the-verifier-at-all-not-the-verifier-at-all",
                ),
            ],
        )
        .await;
        oauth_error(bad, 400, "invalid_grant").await;
        let late = exchange(
            i,
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        oauth_error(late, 400, "invalid_grant").await;
        // PKCE code without a verifier.
        let code =
            code_from(&login(i, &app, "ana", "correct horse", Some(&challenge), "read").await);
        let none = exchange(
            i,
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_secret", &app.client_secret),
            ],
        )
        .await;
        oauth_error(none, 400, "invalid_grant").await;

        // Unknown client and wrong secret: invalid_client, 401.
        let c = client();
        let res = c
            .post(i.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "nope"),
                ("client_secret", "nope"),
            ])
            .send()
            .await
            .unwrap();
        oauth_error(res, 401, "invalid_client").await;
        let res = c
            .post(i.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", app.client_id.as_str()),
                ("client_secret", "wrong"),
            ])
            .send()
            .await
            .unwrap();
        oauth_error(res, 401, "invalid_client").await;
        // Unsupported grant, missing grant, bad scope.
        let res = exchange(
            i,
            &app,
            &[
                ("grant_type", "password"),
                ("client_secret", &app.client_secret),
            ],
        )
        .await;
        oauth_error(res, 400, "unsupported_grant_type").await;
        let res = exchange(i, &app, &[("client_secret", &app.client_secret)]).await;
        oauth_error(res, 400, "invalid_request").await;
        let res = exchange(
            i,
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &app.client_secret),
                ("scope", "admin:write"),
            ],
        )
        .await;
        oauth_error(res, 400, "invalid_scope").await;
        // Client credentials work and give an app-only token.
        let res = exchange(
            i,
            &app,
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", &app.client_secret),
                ("scope", "read"),
            ],
        )
        .await;
        assert_eq!(res.status(), 200);
        let t: Value = res.json().await.unwrap();
        let me = c
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(t["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 403, "an app token acts for no user");

        // Scope beyond the app's registration: shown to the person, not redirected.
        let res = c
            .get(i.url("/oauth/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", &app.client_id),
                ("redirect_uri", REDIRECT),
                ("scope", "admin:read"),
                ("state", "s"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("invalid_scope"));
        // Unknown client or unregistered redirect URI: never redirected, shown to the person.
        let res = c
            .get(i.url("/oauth/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", "nope"),
                ("redirect_uri", REDIRECT),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let res = c
            .get(i.url("/oauth/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", app.client_id.as_str()),
                ("redirect_uri", "https://evil.example/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
        // Denying sends access_denied back.
        let request = [
            ("response_type", "code"),
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        let signed = login_page(i, &request).await;
        let res = signed
            .on(c.post(i.url("/oauth/authorize")))
            .form(&[
                ("response_type", "code"),
                ("client_id", app.client_id.as_str()),
                ("redirect_uri", REDIRECT),
                ("decision", "deny"),
                ("csrf", &signed.token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302);
        assert!(res.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=access_denied"));
        // Plain PKCE is refused: Kith supports S256 only.
        let res = c
            .get(i.url("/oauth/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", app.client_id.as_str()),
                ("redirect_uri", REDIRECT),
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.unwrap().contains("invalid_request"));

        // Server metadata (RFC 8414), read by Mastodon.py.
        let meta: Value = c
            .get(i.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(meta["token_endpoint"], i.url("/oauth/token"));
        assert_eq!(meta["code_challenge_methods_supported"][0], "S256");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_registration_validates_and_writes_nothing_on_failure() {
    on_each_backend!(async |i: &Instance| {
        let c = client();
        let apps = || async {
            i.context
                .db
                .read(kith_storage::oauth::count_apps)
                .await
                .unwrap()
        };
        for bad in [
            serde_json::json!({"redirect_uris": REDIRECT}),
            serde_json::json!({"client_name": "x"}),
            serde_json::json!({"client_name": "x", "redirect_uris": "not a uri"}),
            serde_json::json!({"client_name": "x", "redirect_uris": "javascript:alert(1)"}),
            serde_json::json!({"client_name": "x", "redirect_uris": "https://a.example/#frag"}),
            serde_json::json!({"client_name": "x", "redirect_uris": REDIRECT, "scopes": "read everything"}),
            serde_json::json!({"client_name": "x".repeat(61), "redirect_uris": REDIRECT}),
        ] {
            let res = c
                .post(i.url("/api/v1/apps"))
                .json(&bad)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422, "{bad}");
            let body: Value = res.json().await.unwrap();
            assert!(
                body["error"]
                    .as_str()
                    .unwrap()
                    .starts_with("Validation failed"),
                "{body}"
            );
        }
        let res = c
            .post(i.url("/api/v1/apps"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400);
        let huge = "x".repeat(200 * 1024);
        let res = c
            .post(i.url("/api/v1/apps"))
            .form(&[("client_name", huge.as_str()), ("redirect_uris", REDIRECT)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        assert_eq!(apps().await, 0);
        // JSON with an array of redirect URIs, as newer clients send.
        let res = c
            .post(i.url("/api/v1/apps"))
            .json(&serde_json::json!({"client_name": "y", "redirect_uris": [REDIRECT, "urn:ietf:wg:oauth:2.0:oob"], "scopes": "read write follow"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let app: Value = res.json().await.unwrap();
        assert_eq!(app["redirect_uris"].as_array().unwrap().len(), 2);
        assert_eq!(
            app["scopes"],
            serde_json::json!(["follow", "read", "write"])
        );
        assert_eq!(apps().await, 1);
    });
}

async fn token_works(i: &Instance, token: &str) -> u16 {
    client()
        .get(i.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Issue 9, item 5: of 12 simultaneous redemptions of one code exactly one gets a token (on
/// PostgreSQL two or three used to), and a replay afterwards is refused and revokes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_redeemed_once_under_concurrency_and_a_replay_revokes_its_token() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        let app = register(i, "read").await;
        for round in 0..20 {
            let (verifier, challenge) = pkce();
            let code =
                code_from(&login(i, &app, "ana", "correct horse", Some(&challenge), "read").await);
            let form = [
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("code_verifier", verifier.as_str()),
            ];
            let answers =
                futures::future::join_all((0..12).map(|_| exchange(i, &app, &form))).await;
            let mut tokens = Vec::new();
            for res in answers {
                if res.status() == 200 {
                    let t: Value = res.json().await.unwrap();
                    tokens.push(t["access_token"].as_str().unwrap().to_owned());
                } else {
                    oauth_error(res, 400, "invalid_grant").await;
                }
            }
            assert_eq!(tokens.len(), 1, "round {round}: {} tokens", tokens.len());
            // A replay afterwards: refused, and the token the code gave stops working.
            oauth_error(exchange(i, &app, &form).await, 400, "invalid_grant").await;
            assert_eq!(token_works(i, &tokens[0]).await, 401, "round {round}");
        }
        // A code redeemed once, alone, gives a working token until it is replayed.
        let (verifier, challenge) = pkce();
        let code =
            code_from(&login(i, &app, "ana", "correct horse", Some(&challenge), "read").await);
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("code_verifier", verifier.as_str()),
        ];
        let res = exchange(i, &app, &form).await;
        assert_eq!(res.status(), 200);
        let t: Value = res.json().await.unwrap();
        let token = t["access_token"].as_str().unwrap();
        assert_eq!(token_works(i, token).await, 200);
        oauth_error(exchange(i, &app, &form).await, 400, "invalid_grant").await;
        assert_eq!(token_works(i, token).await, 401);
    });
}

/// Issue 9, item 12: the token request must name the redirect URI the code was issued for
/// (RFC 6749 §4.1.3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_exchange_requires_the_matching_redirect_uri() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        let app = register(i, "read").await;
        let (verifier, challenge) = pkce();
        let code =
            code_from(&login(i, &app, "ana", "correct horse", Some(&challenge), "read").await);
        let without = client()
            .post(i.url("/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", app.client_id.as_str()),
                ("code", code.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        oauth_error(without, 400, "invalid_request").await;
        // Refused before the code was taken: the right request still works.
        let res = exchange(
            i,
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("code_verifier", &verifier),
            ],
        )
        .await;
        assert_eq!(res.status(), 200);
        // Another redirect URI: invalid_grant.
        let code =
            code_from(&login(i, &app, "ana", "correct horse", Some(&challenge), "read").await);
        let other = client()
            .post(i.url("/oauth/token"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", app.client_id.as_str()),
                ("redirect_uri", "https://app.example/other"),
                ("code", code.as_str()),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .unwrap();
        oauth_error(other, 400, "invalid_grant").await;
    });
}

/// Issue 9, item 9: an authorization request with an error is answered with a page, never a
/// redirect, even for a client and redirect URI that are registered (anyone can register one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_errors_are_shown_not_redirected() {
    on_each_backend!(async |i: &Instance| {
        let c = client();
        let res = c
            .post(i.url("/api/v1/apps"))
            .form(&[
                ("client_name", "Phish"),
                ("redirect_uris", "https://evil.example/landing"),
                ("scopes", "read"),
            ])
            .send()
            .await
            .unwrap();
        let evil: Value = res.json().await.unwrap();
        let client_id = evil["client_id"].as_str().unwrap();
        for (response_type, scope, method) in [
            ("token", "read", None),
            ("", "read", None),
            ("code id_token", "read", None),
            ("code", "admin:write", None),
            ("code", "read nonsense", None),
            ("code", "read", Some("plain")),
        ] {
            let mut query = vec![
                ("client_id", client_id),
                ("redirect_uri", "https://evil.example/landing"),
                ("scope", scope),
                ("state", "s"),
            ];
            if !response_type.is_empty() {
                query.push(("response_type", response_type));
            }
            if let Some(m) = method {
                query.push(("code_challenge", "x"));
                query.push(("code_challenge_method", m));
            }
            let res = c
                .get(i.url("/oauth/authorize"))
                .query(&query)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 400, "{response_type} {scope}");
            assert!(res.headers().get("location").is_none());
            assert!(res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"));
            // The same through the form's POST.
            let res = c
                .post(i.url("/oauth/authorize"))
                .form(&query)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 400);
            assert!(res.headers().get("location").is_none());
        }
    });
}

/// Login CSRF: the sign-in form is a signed double submit; a POST without its token, with a
/// token not the cookie's, with the sign-up page's token, or from another site signs nobody in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sign_in_form_refuses_a_post_without_its_token() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        let app = register(i, "read").await;
        let request = [
            ("response_type", "code"),
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", REDIRECT),
            ("scope", "read"),
            ("state", "xyz"),
        ];
        let signed = login_page(i, &request).await;
        let other = login_page(i, &request).await;
        let cookie = signed.cookie.clone();
        assert!(cookie.starts_with("kith_oauth_login="));
        let post = |token: Option<&str>, cookie: Option<&str>, headers: &[(&str, &str)]| {
            let mut form = request.to_vec();
            form.extend([
                ("username", "ana"),
                ("password", "correct horse"),
                ("decision", "approve"),
            ]);
            if let Some(t) = token {
                form.push(("csrf", t));
            }
            let mut req = client().post(i.url("/oauth/authorize")).form(&form);
            if let Some(c) = cookie {
                req = req.header("cookie", c);
            }
            for (name, value) in headers {
                req = req.header(*name, *value);
            }
            async move { req.send().await.unwrap() }
        };
        let sign_up = {
            i.context
                .db
                .write(|c| {
                    kith_storage::settings::set(c, kith_core::registrations::MODE_SETTING, "open")
                })
                .await
                .unwrap();
            FormToken::fetch(&i.url("/auth/sign_up")).await
        };
        let moved = sign_up
            .cookie
            .replacen("kith_sign_up", "kith_oauth_login", 1);
        for (what, res) in [
            ("no token", post(None, Some(&cookie), &[]).await),
            ("no cookie", post(Some(&signed.token), None, &[]).await),
            (
                "another token",
                post(Some(&other.token), Some(&cookie), &[]).await,
            ),
            (
                "the sign-up token",
                post(Some(&sign_up.token), Some(&moved), &[]).await,
            ),
            (
                "another site",
                post(
                    Some(&signed.token),
                    Some(&cookie),
                    &[("origin", "https://evil.example")],
                )
                .await,
            ),
            (
                "cross-site fetch",
                post(
                    Some(&signed.token),
                    Some(&cookie),
                    &[("sec-fetch-site", "cross-site")],
                )
                .await,
            ),
        ] {
            assert_eq!(res.status(), 403, "{what}");
            assert!(res.headers().get("location").is_none(), "{what}");
            let page = res.text().await.unwrap();
            assert!(page.contains("not sent from this site"), "{what}");
            assert!(page.contains(r#"name="csrf" value=""#), "{what}");
        }
        assert_eq!(codes(i).await, 0);
        // The page, open for registrations, links to the sign-up page and back.
        let page = client()
            .get(i.url("/oauth/authorize"))
            .query(&request)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains(
            r#"<a href="/auth/sign_up?next=%2Foauth%2Fauthorize%3Fresponse_type%3Dcode"#
        ));
        // With the token, from this site, the same sign-in works.
        let res = post(
            Some(&signed.token),
            Some(&cookie),
            &[("origin", i.base.as_str())],
        )
        .await;
        code_from(&res);
    });
}

/// Moves every recorded failed login `minutes` into the past, as if that time had gone by.
async fn age_login_failures(i: &Instance, minutes: i64) {
    use diesel::prelude::*;
    use kith_storage::schema::login_failures as lf;
    i.context
        .db
        .write(move |c| {
            let rows: Vec<(i64, chrono::NaiveDateTime)> =
                lf::table.select((lf::id, lf::failed_at)).load(c)?;
            for (id, at) in rows {
                diesel::update(lf::table.find(id))
                    .set(lf::failed_at.eq(at - chrono::Duration::minutes(minutes)))
                    .execute(c)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}

async fn login_from(
    i: &Instance,
    app: &App,
    user: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    let request = [
        ("response_type", "code"),
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
    ];
    let signed = login_page(i, &request).await;
    let mut req = signed.on(client().post(i.url("/oauth/authorize"))).form(&[
        ("response_type", "code"),
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
        ("username", user),
        ("password", password),
        ("csrf", &signed.token),
    ]);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap()
}

async fn assert_throttled(res: reqwest::Response) {
    assert_eq!(res.status(), 429);
    let wait: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    let page = res.text().await.unwrap();
    assert!(page.contains("Too many failed login attempts. Try again after"));
}

/// Issue 9, item 10: failed logins are throttled per account name and per address, in the
/// database, until the window has passed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_attempts_are_throttled_per_account_and_per_address() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        i.create_user("bea", "correct horse").await;
        let app = register(i, "read").await;
        // Per account: ten failures, then even the right password is refused.
        for _ in 0..10 {
            let res = login_from(i, &app, "ana", "wrong", None).await;
            assert_eq!(res.status(), 401);
        }
        assert_throttled(login_from(i, &app, "ana", "correct horse", None).await).await;
        assert_throttled(login_from(i, &app, "ANA", "correct horse", None).await).await;
        // Another account from the same address is not held up by ana's name.
        assert_eq!(
            login_from(i, &app, "bea", "correct horse", None)
                .await
                .status(),
            302
        );
        // Once the window has passed, the right password works.
        age_login_failures(i, 16).await;
        assert_eq!(
            login_from(i, &app, "ana", "correct horse", None)
                .await
                .status(),
            302
        );
        // Per address: thirty failures over many names, then every name is refused from here.
        for n in 0..30 {
            let res = login_from(i, &app, &format!("nobody{n}"), "wrong", None).await;
            assert_eq!(res.status(), 401);
        }
        assert_throttled(login_from(i, &app, "bea", "correct horse", None).await).await;
        // X-Forwarded-For is not believed without trusted_proxies configured.
        assert_throttled(login_from(i, &app, "bea", "correct horse", Some("203.0.113.5")).await)
            .await;
        age_login_failures(i, 16).await;
        assert_eq!(
            login_from(i, &app, "bea", "correct horse", None)
                .await
                .status(),
            302
        );
    });
}

/// Behind a trusted proxy the throttle counts the address the proxy names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_forwarded_address_is_throttled() {
    for db in kith_storage::testing::TestDatabase::each_backend() {
        let instance =
            Instance::start_with(&db, |c| c.trusted_proxies = vec!["127.0.0.0/8".into()]).await;
        let i = &instance;
        i.create_user("bea", "correct horse").await;
        let app = register(i, "read").await;
        for n in 0..30 {
            let res =
                login_from(i, &app, &format!("nobody{n}"), "wrong", Some("203.0.113.5")).await;
            assert_eq!(res.status(), 401);
        }
        assert_throttled(login_from(i, &app, "bea", "correct horse", Some("203.0.113.5")).await)
            .await;
        // Another client behind the same proxy logs in.
        assert_eq!(
            login_from(i, &app, "bea", "correct horse", Some("198.51.100.7"))
                .await
                .status(),
            302
        );
        instance.stop().await;
    }
}
