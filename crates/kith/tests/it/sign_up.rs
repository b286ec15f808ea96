//! The sign-up page (`/auth/sign_up`): what it shows in each registration mode, an account made
//! there signing in through the OAuth page, refusals shown beside their fields with nothing
//! made, the signed double-submit token and origin check (403, nothing made), invites, and the
//! sign-up rate limit it shares with `POST /api/v1/accounts`.

use crate::on_each_backend;
use crate::rig::{client, urlencode, FormToken, Instance};
use kith_storage::testing::TestDatabase;
use kith_storage::OptionalExt;
use serde_json::Value;

const REDIRECT: &str = "https://app.example/callback";
const PASSWORD: &str = "a long password";

async fn set_mode(i: &Instance, mode: &'static str) {
    i.context
        .db
        .write(move |c| {
            kith_storage::settings::set(c, kith_core::registrations::MODE_SETTING, mode)
        })
        .await
        .unwrap();
}

async fn exists(i: &Instance, name: &str) -> bool {
    let name = name.to_owned();
    i.context
        .db
        .read(move |c| kith_storage::accounts::local_by_username(c, &name).optional())
        .await
        .unwrap()
        .is_some()
}

async fn people(i: &Instance) -> i64 {
    i.context
        .db
        .read(kith_storage::accounts::count_local_people)
        .await
        .unwrap()
}

async fn page(i: &Instance, path: &str) -> (u16, String) {
    let res = client().get(i.url(path)).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Posts the sign-up form with `fields`, the token's cookie and `csrf`.
async fn submit(
    i: &Instance,
    signed: &FormToken,
    fields: &[(&str, &str)],
) -> (u16, String, reqwest::header::HeaderMap) {
    let res = signed
        .on(client().post(i.url("/auth/sign_up")))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, res.text().await.unwrap(), headers)
}

/// A form's fields, as sent.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// The fields of a complete sign-up of `name`.
fn filled<'a>(signed: &'a FormToken, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", signed.token.as_str()),
        ("username", name),
        ("email", "someone@mail.example"),
        ("password", PASSWORD),
        ("password_confirmation", PASSWORD),
        ("agreement", "1"),
    ]
}

/// `fields` with `name` replaced (or left out when `value` is `None`).
fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(n, _)| *n != name);
    if let Some(v) = value {
        fields.push((name, v));
    }
    fields
}

/// Signs in as a browser does through the OAuth page of a new app; the account's
/// `verify_credentials`.
async fn sign_in(i: &Instance, username: &str, password: &str) -> Value {
    let c = client();
    let app: Value = c
        .post(i.url("/api/v1/apps"))
        .form(&[
            ("client_name", "After sign-up"),
            ("redirect_uris", REDIRECT),
            ("scopes", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = app["client_id"].as_str().unwrap();
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", "read"),
        ("state", "s"),
    ];
    let qs: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&query)
        .finish();
    let signed = FormToken::fetch(&i.url(&format!("/oauth/authorize?{qs}"))).await;
    let mut form = query.to_vec();
    form.extend([
        ("username", username),
        ("password", password),
        ("decision", "approve"),
        ("csrf", &signed.token),
    ]);
    let res = signed
        .on(c.post(i.url("/oauth/authorize")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "sign-in of {username}");
    let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let token: Value = c
        .post(i.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client_id),
            ("client_secret", app["client_secret"].as_str().unwrap()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    c.get(i.url("/api/v1/accounts/verify_credentials"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_follows_the_registration_mode() {
    on_each_backend!(async |i: &Instance| {
        // Closed (the default): a sentence, no form, no cookie; no link from the home page.
        let res = client().get(i.url("/auth/sign_up")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("set-cookie").is_none());
        let csp = res.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'none'") && !csp.contains("script"));
        let html = res.text().await.unwrap();
        assert!(html.contains("Sign-ups are closed here"));
        assert!(!html.contains("<form"));
        assert!(!page(i, "/").await.1.contains("/auth/sign_up"));

        // Open: the form, its token in a cookie scoped to /auth, linked from the home page.
        set_mode(i, "open").await;
        let res = client().get(i.url("/auth/sign_up")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("kith_sign_up="), "{cookie}");
        for part in ["HttpOnly", "SameSite=Lax", "Path=/auth"] {
            assert!(cookie.contains(part), "{cookie} lacks {part}");
        }
        assert!(!cookie.contains("Secure"), "dev mode is plain http");
        let html = res.text().await.unwrap();
        for needed in [
            r#"<form method="post" action="/auth/sign_up""#,
            r#"<label for="username">"#,
            r#"<label for="password_confirmation">"#,
            r#"name="agreement""#,
            r#"name="csrf" value=""#,
        ] {
            assert!(html.contains(needed), "{needed}");
        }
        assert!(!html.contains(r#"name="reason""#) && !html.contains(r#"name="invite_code""#));
        assert!(!html.contains("<script"));
        let home = page(i, "/").await.1;
        assert!(home.contains(r#"<a href="/auth/sign_up" class="sign-up">Sign up</a>"#));

        // Approval: a reason is asked for.
        set_mode(i, "approval").await;
        let html = page(i, "/auth/sign_up").await.1;
        assert!(html.contains(r#"name="reason""#) && html.contains("approve each new account"));
        assert!(page(i, "/").await.1.contains("Apply for an account"));

        // Invite-only: a code is asked for, filled in from ?invite=; no link from home.
        set_mode(i, "invite").await;
        let html = page(i, "/auth/sign_up?invite=abc%22def").await.1;
        assert!(html.contains(r#"name="invite_code""#));
        assert!(
            html.contains(r#"value="abc&#34;def""#) || html.contains(r#"value="abc&quot;def""#)
        );
        assert!(!page(i, "/").await.1.contains("/auth/sign_up"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_made_on_the_page_signs_in() {
    on_each_backend!(async |i: &Instance| {
        set_mode(i, "open").await;
        let signed = FormToken::fetch(&i.url("/auth/sign_up")).await;
        let (status, html, _) = submit(i, &signed, &filled(&signed, "wren")).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("Your account exists"));
        assert!(html.contains(&format!("@wren@{}", i.domain)));
        let me = sign_in(i, "wren", PASSWORD).await;
        assert_eq!(me["username"], "wren");

        // Approval: the account waits, with the reason the moderators read.
        set_mode(i, "approval").await;
        let signed = FormToken::fetch(&i.url("/auth/sign_up")).await;
        let fields = with(filled(&signed, "finch"), "email", None);
        let fields = with(fields, "reason", Some("I watch birds"));
        let (status, html, _) = submit(i, &signed, &fields).await;
        assert_eq!(status, 200, "{html}");
        assert!(html.contains("awaits approval"));
        let finch = i
            .context
            .db
            .read(|c| kith_storage::accounts::local_by_username(c, "finch"))
            .await
            .unwrap();
        let state = i
            .context
            .db
            .read(move |c| kith_storage::moderation::state(c, finch.id))
            .await
            .unwrap();
        assert!(!state.approved);
        assert_eq!(state.sign_up_reason.as_deref(), Some("I watch birds"));

        // Coming from an OAuth page, "Sign in" leads back to it.
        set_mode(i, "open").await;
        let back = "/oauth/authorize?client_id=x&scope=read";
        let signed =
            FormToken::fetch(&i.url(&format!("/auth/sign_up?next={}", urlencode(back)))).await;
        let mut fields = with(
            filled(&signed, "robin"),
            "email",
            Some("robin@mail.example"),
        );
        fields.push(("next", back));
        let (status, html, _) = submit(i, &signed, &fields).await;
        assert_eq!(status, 200, "{html}");
        let link = ["&amp;", "&#38;"]
            .map(|amp| format!(r#"<a href="/oauth/authorize?client_id=x{amp}scope=read" class="button">Sign in</a>"#));
        assert!(link.iter().any(|l| html.contains(l)), "{html}");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_show_the_form_again_and_make_nothing() {
    on_each_backend!(async |i: &Instance| {
        set_mode(i, "open").await;
        i.create_user("ana", "correct horse").await;
        let before = people(i).await;
        let signed = FormToken::fetch(&i.url("/auth/sign_up")).await;
        let base = || filled(&signed, "newbie");
        // (fields sent, the id of the message's element, what it says)
        let cases: Vec<(Fields, &str, &str)> = vec![
            (
                with(base(), "username", Some("ana")),
                "username-error",
                "This username is already taken.",
            ),
            (
                with(base(), "username", Some("no spaces")),
                "username-error",
                "may only contain letters",
            ),
            (
                with(
                    with(base(), "password", Some("short")),
                    "password_confirmation",
                    Some("short"),
                ),
                "password-error",
                "Password must be at least 8 characters.",
            ),
            (
                with(base(), "password_confirmation", Some("another password")),
                "confirmation-error",
                "The two passwords are not the same.",
            ),
            (
                with(base(), "agreement", None),
                "agreement-error",
                "Agreement must be accepted.",
            ),
            (
                with(base(), "email", Some("not-an-address")),
                "email-error",
                "is not an email address",
            ),
        ];
        for (fields, field, message) in cases {
            let (status, html, _) = submit(i, &signed, &fields).await;
            assert_eq!(status, 422, "{message}");
            let beside = html
                .split(&format!(r#"id="{field}">"#))
                .nth(1)
                .unwrap_or_else(|| panic!("no {field} in {html}"));
            assert!(
                beside.starts_with(message) || beside.contains(message),
                "{message}"
            );
            assert!(html.contains(r#"aria-invalid="true""#));
            // What was typed comes back, the password never does.
            let name = fields.iter().find(|(n, _)| *n == "username").unwrap().1;
            assert!(html.contains(&format!(r#"value="{name}""#)) || name.contains(' '));
            assert!(html.contains(r#"value="someone@mail.example""#) || field == "email-error");
            assert!(!html.contains(PASSWORD) && !html.contains("another password"));
        }
        // Approval mode without a reason.
        set_mode(i, "approval").await;
        let (status, html, _) = submit(i, &signed, &base()).await;
        assert_eq!(status, 422);
        assert!(html.contains(r#"id="reason-error">Reason is required"#));
        assert_eq!(people(i).await, before);
        assert!(!exists(i, "newbie").await);

        // Closed: no form comes back, and nothing is made.
        set_mode(i, "closed").await;
        let (status, html, _) = submit(i, &signed, &base()).await;
        assert_eq!(status, 403);
        assert!(html.contains("Registrations are closed") && !html.contains("<form"));
        assert_eq!(people(i).await, before);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_sign_ups_are_refused() {
    on_each_backend!(async |i: &Instance| {
        set_mode(i, "open").await;
        let signed = FormToken::fetch(&i.url("/auth/sign_up")).await;
        let other = FormToken::fetch(&i.url("/auth/sign_up")).await;
        let refused = |(status, html, _): (u16, String, _)| {
            assert_eq!(status, 403);
            assert!(html.contains("not sent from this site, so nothing was done"));
            // The form comes back with a fresh token, and the name typed.
            assert!(html.contains(r#"name="csrf" value=""#));
            assert!(html.contains(r#"value="mallory""#));
        };
        // No token in the form; a token not the cookie's; no cookie at all.
        refused(submit(i, &signed, &with(filled(&signed, "mallory"), "csrf", None)).await);
        refused(
            submit(
                i,
                &signed,
                &with(filled(&signed, "mallory"), "csrf", Some(&other.token)),
            )
            .await,
        );
        let res = client()
            .post(i.url("/auth/sign_up"))
            .form(&filled(&signed, "mallory"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        // A cookie and field that agree but were not signed here, or were changed.
        let forged = FormToken {
            cookie: "kith_sign_up=4102444800.nonce.00ff".into(),
            token: "4102444800.nonce.00ff".into(),
        };
        refused(submit(i, &forged, &filled(&forged, "mallory")).await);
        let later = signed
            .token
            .replacen(signed.token.split('.').next().unwrap(), "4102444800", 1);
        let tampered = FormToken {
            cookie: format!("kith_sign_up={later}"),
            token: later,
        };
        refused(submit(i, &tampered, &filled(&tampered, "mallory")).await);
        // The OAuth page's token is for that form only.
        let app: Value = client()
            .post(i.url("/api/v1/apps"))
            .form(&[("client_name", "x"), ("redirect_uris", REDIRECT)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let oauth = FormToken::fetch(&i.url(&format!(
            "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}",
            app["client_id"].as_str().unwrap(),
            urlencode(REDIRECT)
        )))
        .await;
        let moved = FormToken {
            cookie: oauth.cookie.replacen("kith_oauth_login", "kith_sign_up", 1),
            token: oauth.token.clone(),
        };
        refused(submit(i, &moved, &filled(&moved, "mallory")).await);
        // A valid token sent from another site.
        for (name, value) in [
            ("origin", "https://evil.example"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site"),
        ] {
            let res = signed
                .on(client().post(i.url("/auth/sign_up")))
                .header(name, value)
                .form(&filled(&signed, "mallory"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{name}: {value}");
        }
        assert!(!exists(i, "mallory").await);
        // The same token from this site works (Origin of the instance itself).
        let res = signed
            .on(client().post(i.url("/auth/sign_up")))
            .header("origin", i.base.as_str())
            .header("sec-fetch-site", "same-origin")
            .form(&filled(&signed, "mallory"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert!(exists(i, "mallory").await);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_are_honoured_as_by_the_api() {
    on_each_backend!(async |i: &Instance| {
        set_mode(i, "invite").await;
        let admin = i.create_user("root", "correct horse").await;
        let code = i
            .context
            .db
            .write(move |c| {
                let staff = kith_core::moderation::Staff::new(
                    admin.id,
                    Some(kith_core::accounts::Role::Admin),
                )
                .unwrap();
                Ok(kith_core::registrations::create_invite(
                    c,
                    staff,
                    Some(1),
                    None,
                ))
            })
            .await
            .unwrap()
            .unwrap()
            .code;
        let signed = FormToken::fetch(&i.url(&format!("/auth/sign_up?invite={code}"))).await;
        // Without a code, or with a wrong one: refused beside the field.
        let (status, html, _) = submit(i, &signed, &filled(&signed, "guest")).await;
        assert_eq!(status, 403);
        assert!(html.contains(r#"id="invite-error">Registrations need an invite code."#));
        let wrong = with(filled(&signed, "guest"), "invite_code", Some("nope"));
        let (status, html, _) = submit(i, &signed, &wrong).await;
        assert_eq!(status, 422);
        assert!(html.contains("The invite code is invalid, expired or used up."));
        assert!(html.contains(r#"value="nope""#));
        assert!(!exists(i, "guest").await);
        // With it: made; a second use of a one-use invite is refused.
        let good = with(filled(&signed, "guest"), "invite_code", Some(&code));
        let (status, html, _) = submit(i, &signed, &good).await;
        assert_eq!(status, 200, "{html}");
        assert!(exists(i, "guest").await);
        let again = with(filled(&signed, "guest2"), "invite_code", Some(&code));
        let (status, _, _) = submit(i, &signed, &again).await;
        assert_eq!(status, 422);
        assert!(!exists(i, "guest2").await);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shares_the_sign_up_limit_with_the_api() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let i = Instance::start_with(&db, |c| {
            c.rate_limit_sign_ups = "2/30m".into();
            c.rate_limit_exempt_loopback = false;
        })
        .await;
        set_mode(&i, "open").await;
        let signed = FormToken::fetch(&i.url("/auth/sign_up")).await;
        // A forged form does not count; a refused one does, as on the API.
        let forged = with(filled(&signed, "one"), "csrf", None);
        assert_eq!(submit(&i, &signed, &forged).await.0, 403);
        let short = with(filled(&signed, "one"), "password", Some("short"));
        assert_eq!(submit(&i, &signed, &short).await.0, 422);
        assert_eq!(submit(&i, &signed, &filled(&signed, "one")).await.0, 200);
        let (status, html, headers) = submit(&i, &signed, &filled(&signed, "two")).await;
        assert_eq!(status, 429);
        assert!(html.contains("Too many sign-ups from your address"));
        assert!(headers.contains_key("retry-after"));
        assert_eq!(headers["x-ratelimit-limit"], "2");
        assert!(!exists(&i, "two").await);
        // The API's sign-up counts in the same bucket.
        let res = client()
            .post(i.url("/api/v1/accounts"))
            .json(&serde_json::json!({"username": "two", "password": PASSWORD, "agreement": true}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 429);
        assert!(!exists(&i, "two").await);
        i.stop().await;
    }
}

/// A form token is the instance's, not one process's: a page shown by one `kith serve`
/// process is accepted by another on the same database (and the key made by whichever asked
/// first).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_one_process_is_accepted_by_another() {
    if !std::env::var("KITH_TEST_BACKENDS")
        .unwrap_or_else(|_| "postgres".into())
        .contains("postgres")
    {
        return;
    }
    let db = TestDatabase::postgres();
    let first = Instance::start(&db).await;
    set_mode(&first, "open").await;
    let dir = tempfile::tempdir().unwrap();
    let port = crate::delivery::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("serve")
        .current_dir(dir.path())
        .env("KITH_DATABASE_URL", &db.url)
        .env("KITH_DOMAIN", &first.domain)
        .env("KITH_BIND", format!("127.0.0.1:{port}"))
        .env("KITH_DEV_MODE", "true")
        .env("KITH_LOG", "warn")
        .env_remove("KITH_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let second = format!("http://127.0.0.1:{port}");
    crate::rig::eventually("the second process answers", || {
        let url = format!("{second}/health");
        async move {
            reqwest::get(url)
                .await
                .ok()
                .filter(|r| r.status().is_success())
        }
    })
    .await;
    // The second process shows the form first (and so makes the key); the first takes it.
    let signed = FormToken::fetch(&format!("{second}/auth/sign_up")).await;
    let (status, html, _) = submit(&first, &signed, &filled(&signed, "wren")).await;
    assert_eq!(status, 200, "{html}");
    // And the other way round.
    let signed = FormToken::fetch(&first.url("/auth/sign_up")).await;
    let fields = with(filled(&signed, "finch"), "email", None);
    let res = signed
        .on(client().post(format!("{second}/auth/sign_up")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(exists(&first, "wren").await && exists(&first, "finch").await);
    child.kill().unwrap();
    let _ = child.wait();
    first.stop().await;
}
