//! The moderators' web console (`/admin`): signing in (staff only, the login token, the
//! throttle's page), role checks on every page and form (anonymous visitors sent to the login
//! page, plain users 403), CSRF refusals that change nothing, each form's effect with its audit
//! entry, and hostile remote content shown escaped or sanitized.

use crate::delivery::remote_account;
use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use kith_core::accounts::{create_local_user, NewLocalUser, Role};
use kith_storage::accounts::Account;
use kith_storage::moderation as rows;
use serde_json::json;
use std::collections::HashMap;

/// A browser, as far as the console cares: it keeps the cookies it is given, does not follow
/// redirects, and sends forms.
struct Browser {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    /// `Origin` sent with every POST (a browser always sends one on a form).
    origin: Option<String>,
}

/// One answer: status, headers, body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .map_or("", |v| v.to_str().unwrap())
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map_or_else(String::new, |v| v.to_str().unwrap().to_owned())
    }

    /// The value of the first hidden field `name` on the page.
    fn field(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self
            .body
            .find(&marker)
            .unwrap_or_else(|| panic!("no {name} field in {}", self.body))
            + marker.len();
        let end = start + self.body[start..].find('"').unwrap();
        self.body[start..end].to_owned()
    }
}

impl Browser {
    fn new(i: &Instance) -> Browser {
        Browser {
            base: i.base.clone(),
            client: client(),
            cookies: HashMap::new(),
            origin: Some(i.base.clone()),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, res: reqwest::Response) -> Answer {
        for set in res.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        Answer {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body: res.text().await.unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(res).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .form(fields);
        if let Some(o) = &self.origin {
            req = req.header("origin", o);
        }
        let res = req.send().await.unwrap();
        self.keep(res).await
    }

    /// Signs in through the login form; returns the answer to the POST.
    async fn sign_in(&mut self, username: &str, password: &str) -> Answer {
        let form = self.get("/admin/login?next=%2Fadmin%2Freports").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let token = form.field("token");
        self.post(
            "/admin/login",
            &[
                ("username", username),
                ("password", password),
                ("token", &token),
                ("next", "/admin/reports"),
            ],
        )
        .await
    }

    /// The CSRF token of the forms on `path`.
    async fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status, 200, "GET {path}: {}", page.body);
        page.field("csrf")
    }

    /// Posts a console form with the session's token (read from `page`).
    async fn submit(&mut self, page: &str, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf(page).await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }
}

/// Whether `body` shows `raw` only as escaped text (as askama escapes it), never as markup.
fn shows_escaped(body: &str, raw: &str) -> bool {
    let escaped = raw
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    !body.contains(raw) && body.contains(&escaped)
}

async fn person(i: &Instance, name: &str, role: Role) -> Account {
    create_local_user(
        &i.context.db,
        &i.context.urls,
        NewLocalUser {
            username: name.into(),
            password: "correct horse".into(),
            email: Some(format!("{name}@mail.example")),
            role,
        },
    )
    .await
    .unwrap()
}

/// A moderator signed in to the console.
async fn moderator(i: &Instance, name: &str) -> (Account, Browser) {
    let account = person(i, name, Role::Moderator).await;
    let mut b = Browser::new(i);
    let res = b.sign_in(name, "correct horse").await;
    assert_eq!(res.status, 303, "{}", res.body);
    (account, b)
}

/// The audit log as (actor, action, target type, target id), newest first.
async fn audit(i: &Instance) -> Vec<(i64, String, String, String)> {
    i.context
        .db
        .read(|c| rows::audit_entries(c, None, None, 200))
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.account_id, e.action, e.target_type, e.target_id))
        .collect()
}

async fn policies(i: &Instance) -> Vec<kith_storage::domain_policies::DomainPolicy> {
    i.context
        .db
        .read(kith_storage::domain_policies::list)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_signed_in_staff_get_in() {
    on_each_backend!(async |i: &Instance| {
        // Anonymous: every page sends to the login page, and a form does nothing.
        let mut anon = Browser::new(i);
        let res = anon.get("/admin/reports?resolved=1").await;
        assert_eq!(res.status, 303);
        assert_eq!(
            res.location(),
            "/admin/login?next=%2Fadmin%2Freports%3Fresolved%3D1"
        );
        let res = anon
            .post("/admin/domains", &[("domain", "x.example"), ("csrf", "")])
            .await;
        assert_eq!(res.status, 303);
        assert!(res.location().starts_with("/admin/login"));
        assert!(policies(i).await.is_empty());

        // The login page: the console's headers, no script anywhere.
        let login = anon.get("/admin/login").await;
        assert_eq!(login.status, 200);
        let csp = login.header("content-security-policy");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("form-action 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("script-src"));
        assert_eq!(login.header("x-frame-options"), "DENY");
        assert!(!login.body.to_lowercase().contains("<script"));

        person(i, "plain", Role::User).await;
        let admin = person(i, "root", Role::Admin).await;
        person(i, "mod", Role::Moderator).await;

        // Without the login form's token (another site posting it), no session.
        let mut b = Browser::new(i);
        let res = b
            .post(
                "/admin/login",
                &[("username", "mod"), ("password", "correct horse")],
            )
            .await;
        assert_eq!(res.status, 403);
        assert!(!b.cookies.contains_key("kith_console"));

        let res = b.sign_in("mod", "wrong password").await;
        assert_eq!(res.status, 401);
        assert!(res.body.contains("Wrong username or password"));
        assert!(!b.cookies.contains_key("kith_console"));

        // A plain user's right password gives a 403 page and no session.
        let mut plain = Browser::new(i);
        let res = plain.sign_in("plain", "correct horse").await;
        assert_eq!(res.status, 403, "{}", res.body);
        assert!(!plain.cookies.contains_key("kith_console"));

        // A moderator gets in, with a cookie scripts and other sites cannot use.
        let mut m = Browser::new(i);
        let res = m.sign_in("mod", "correct horse").await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert_eq!(res.location(), "/admin/reports");
        let set = res
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("kith_console="))
            .unwrap();
        assert!(set.contains("HttpOnly"), "{set}");
        assert!(set.contains("SameSite=Lax"), "{set}");
        assert!(set.contains("Path=/admin"), "{set}");
        // Development mode serves plain http; elsewhere the cookie is Secure.
        assert!(!set.contains("Secure"), "{set}");
        for path in [
            "/admin/reports",
            "/admin/accounts",
            "/admin/domains",
            "/admin/registrations",
            "/admin/audit",
            &format!("/admin/accounts/{}", admin.id),
        ] {
            let page = m.get(path).await;
            assert_eq!(page.status, 200, "{path}: {}", page.body);
            assert!(page.body.contains("@mod (moderator)"), "{path}");
            assert!(!page.body.to_lowercase().contains("<script"), "{path}");
            assert_eq!(page.header("cache-control"), "no-store", "{path}");
        }
        // Signed in already: the login page sends on.
        assert_eq!(m.get("/admin/login").await.status, 303);

        // The role is read on every request: a session of someone who is (no longer) staff
        // opens nothing.
        let plain_id = i
            .context
            .db
            .read(|c| kith_storage::accounts::local_by_username(c, "plain"))
            .await
            .unwrap()
            .id;
        let secret = i
            .context
            .db
            .write(move |c| kith_core::console_sessions::start(c, plain_id))
            .await
            .unwrap();
        let mut demoted = Browser::new(i);
        demoted.cookies.insert("kith_console".into(), secret);
        let res = demoted.get("/admin/reports").await;
        assert_eq!(res.status, 403);
        assert!(res.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));

        // Signing out ends the session in the database: the old cookie opens nothing.
        let old = m.cookies["kith_console"].clone();
        let res = m.submit("/admin/reports", "/admin/logout", &[]).await;
        assert_eq!(res.status, 303);
        assert!(!m.cookies.contains_key("kith_console"));
        m.cookies.insert("kith_console".into(), old);
        assert_eq!(m.get("/admin/reports").await.status, 303);
        assert!(
            audit(i).await.is_empty(),
            "signing in is not a moderation action"
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_form_refuses_a_missing_or_wrong_token_and_other_origins() {
    on_each_backend!(async |i: &Instance| {
        let (mod_account, mut m) = moderator(i, "mod").await;
        let csrf = m.csrf("/admin/domains").await;
        let forms = [
            "/admin/logout",
            "/admin/reports/1/step",
            "/admin/reports/1/note",
            "/admin/reports/1/action",
            "/admin/reports/1/status",
            "/admin/accounts/1/action",
            "/admin/accounts/1/delete",
            "/admin/domains",
            "/admin/domains/1",
            "/admin/domains/1/delete",
            "/admin/domains/import",
            "/admin/domains/allow",
            "/admin/domains/allow/1/delete",
            "/admin/registrations/mode",
            "/admin/registrations/1/decide",
            "/admin/invites",
            "/admin/invites/1/delete",
        ];
        for path in forms {
            let fields = [("domain", "evil.example"), ("mode", "open")];
            let res = m.post(path, &fields).await;
            assert_eq!(res.status, 403, "{path} without a token: {}", res.body);
            let mut wrong = vec![("csrf", "not-the-token")];
            wrong.extend_from_slice(&fields);
            let res = m.post(path, &wrong).await;
            assert_eq!(res.status, 403, "{path} with a wrong token");
        }
        // The right token from another site's page.
        m.origin = Some("http://evil.example".into());
        let res = m
            .post(
                "/admin/domains",
                &[("csrf", &csrf), ("domain", "evil.example")],
            )
            .await;
        assert_eq!(res.status, 403);
        m.origin = Some("null".into());
        let res = m
            .post(
                "/admin/registrations/mode",
                &[("csrf", &csrf), ("mode", "open")],
            )
            .await;
        assert_eq!(res.status, 403);
        // Nothing changed, nothing was audited, and the session still works.
        assert!(policies(i).await.is_empty());
        assert!(audit(i).await.is_empty());
        let mode = i
            .context
            .db
            .read(kith_core::registrations::mode)
            .await
            .unwrap();
        assert_eq!(mode, kith_core::registrations::Mode::Closed);
        m.origin = Some(i.base.clone());
        let res = m
            .post(
                "/admin/domains",
                &[("csrf", &csrf), ("domain", "evil.example")],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert_eq!(policies(i).await.len(), 1);
        let entries = audit(i).await;
        assert_eq!(entries.len(), 1);
        assert_eq!(
            entries[0],
            (
                mod_account.id,
                "create_domain_block".into(),
                "domain".into(),
                "evil.example".into()
            )
        );
    });
}

/// Stores a remote account with a hostile name and a hostile post by it.
async fn hostile_remote(i: &Instance) -> (Account, i64) {
    let mut remote = remote_account(9, "troll");
    remote.display_name = "<img src=x onerror=alert(1)>Troll".into();
    let now = kith_storage::now();
    let status = kith_storage::statuses::Status {
        id: kith_storage::id::new_id(),
        ap_id: "http://localhost:9/notes/1".into(),
        url: Some("javascript:alert(1)".into()),
        account_id: remote.id,
        local: false,
        visibility: "public".into(),
        in_reply_to_id: None,
        in_reply_to_ap_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: None,
        content: "<p>hello<script>alert(2)</script><a href=\"javascript:alert(3)\">x</a></p>"
            .into(),
        source_text: None,
        spoiler_text: "<b>cw</b>".into(),
        sensitive: false,
        language: None,
        conversation: None,
        attachments: "[]".into(),
        created_at: now,
        edited_at: None,
    };
    let (r, s) = (remote.clone(), status.clone());
    i.context
        .db
        .write(move |c| {
            kith_storage::accounts::insert(c, &r)?;
            kith_storage::statuses::insert(c, &s, &[], &[])
        })
        .await
        .unwrap();
    (remote, status.id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_forms_act_and_are_audited() {
    on_each_backend!(async |i: &Instance| {
        let (me, mut m) = moderator(i, "mod").await;
        let carl = User::new(i, "carl").await;
        let (troll, post_id) = hostile_remote(i).await;
        let report = carl
            .post(
                "/api/v1/reports",
                json!({"account_id": troll.id.to_string(), "status_ids": [post_id.to_string()],
                       "comment": "<script>alert(4)</script> spam", "category": "spam"}),
            )
            .await;
        let id = report["id"].as_str().unwrap().to_owned();
        let page_path = format!("/admin/reports/{id}");

        let queue = m.get("/admin/reports").await;
        assert!(queue.body.contains(&page_path), "{}", queue.body);
        assert!(queue.body.contains("troll@localhost:9"));
        assert!(
            shows_escaped(&queue.body, "<script>alert(4)</script>"),
            "{}",
            queue.body
        );

        // The report's page: hostile content escaped or sanitized, never live.
        let page = m.get(&page_path).await;
        assert_eq!(page.status, 200);
        let body = &page.body;
        assert!(body.contains("hello"), "{body}");
        assert!(!body.contains("<script"), "{body}");
        assert!(!body.contains("<img src=x"), "{body}");
        assert!(!body.contains("javascript:"), "{body}");
        assert!(shows_escaped(body, "<b>cw</b>"), "{body}");

        let step = |s: &'static str| [("step", s)];
        let res = m
            .submit(&page_path, &format!("{page_path}/step"), &step("assign"))
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert_eq!(res.location(), page_path);
        let shown = m.get(&page_path).await;
        assert!(
            shown.body.contains("Assigned to you."),
            "the notice shows once"
        );
        assert!(!m.get(&page_path).await.body.contains("Assigned to you."));

        let res = m
            .submit(
                &page_path,
                &format!("{page_path}/note"),
                &[("content", "looked <at> it")],
            )
            .await;
        assert_eq!(res.status, 303);
        let page = m.get(&page_path).await;
        assert!(shows_escaped(&page.body, "looked <at> it"), "{}", page.body);
        let res = m
            .submit(
                &page_path,
                &format!("{page_path}/note"),
                &[("content", " ")],
            )
            .await;
        assert_eq!(res.status, 422, "an empty note is refused");

        let res = m
            .submit(
                &page_path,
                &format!("{page_path}/status"),
                &[("status_id", &post_id.to_string()), ("op", "sensitive")],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        let post = i
            .context
            .db
            .read(move |c| kith_storage::statuses::by_id(c, post_id))
            .await
            .unwrap();
        assert!(post.sensitive);

        // Limiting the account answers the report.
        let res = m
            .submit(
                &page_path,
                &format!("{page_path}/action"),
                &[("type", "silence"), ("text", "stop spamming")],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        let troll_id = troll.id;
        let state = i
            .context
            .db
            .read(move |c| rows::state(c, troll_id))
            .await
            .unwrap();
        assert!(state.silenced_at.is_some());
        let report_id: i64 = id.parse().unwrap();
        let stored = i
            .context
            .db
            .read(move |c| rows::report(c, report_id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.action_taken_by_account_id, Some(me.id));
        assert!(m
            .get("/admin/reports")
            .await
            .body
            .contains("No open reports"));

        for s in ["reopen", "unassign", "resolve"] {
            let res = m
                .submit(&page_path, &format!("{page_path}/step"), &step(s))
                .await;
            assert_eq!(res.status, 303, "{s}");
        }
        let res = m
            .submit(&page_path, &format!("{page_path}/step"), &step("explode"))
            .await;
        assert_eq!(res.status, 422);

        // Deleting the reported post.
        let res = m
            .submit(
                &page_path,
                &format!("{page_path}/status"),
                &[("status_id", &post_id.to_string()), ("op", "delete")],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        let gone = i
            .context
            .db
            .read(move |c| kith_storage::statuses::by_ids(c, &[post_id]))
            .await
            .unwrap();
        assert!(gone.is_empty());

        let mine: Vec<(String, String, String)> = audit(i)
            .await
            .into_iter()
            .rev()
            .map(|(who, action, t, target)| {
                assert_eq!(who, me.id, "{action} is the moderator's");
                (action, t, target)
            })
            .collect();
        let rid = id.clone();
        let expected: Vec<(String, String, String)> = [
            ("assign_to_self", "report", rid.clone()),
            ("create_note", "report", rid.clone()),
            ("mark_sensitive", "status", post_id.to_string()),
            ("silence", "account", troll.id.to_string()),
            ("resolve", "report", rid.clone()),
            ("reopen", "report", rid.clone()),
            ("unassign", "report", rid.clone()),
            ("resolve", "report", rid.clone()),
            ("delete", "status", post_id.to_string()),
        ]
        .into_iter()
        .map(|(a, t, x)| (a.to_owned(), t.to_owned(), x))
        .collect();
        assert_eq!(mine, expected);
        let reason = i
            .context
            .db
            .read(|c| rows::audit_entries(c, None, None, 200))
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "silence")
            .unwrap()
            .reason;
        assert_eq!(reason.as_deref(), Some("stop spamming"));
        let log = m.get("/admin/audit").await;
        assert!(log.body.contains("assign_to_self") && log.body.contains("stop spamming"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_forms_act_as_the_api_does() {
    on_each_backend!(async |i: &Instance| {
        let (me, mut m) = moderator(i, "mod").await;
        let bob = person(i, "bob", Role::User).await;
        let admin = person(i, "root", Role::Admin).await;
        let found = m.get("/admin/accounts?q=bo").await;
        assert!(found.body.contains(&format!("/admin/accounts/{}", bob.id)));
        assert!(!found
            .body
            .contains(&format!("/admin/accounts/{}", admin.id)));
        let by_domain = m.get("/admin/accounts?q=%40elsewhere.example").await;
        assert!(by_domain.body.contains("No accounts match"));

        let bob_page = format!("/admin/accounts/{}", bob.id);
        let act = format!("{bob_page}/action");
        let state = |id: i64| async move {
            i.context
                .db
                .read(move |c| rows::state(c, id))
                .await
                .unwrap()
        };
        for (kind, check) in [
            ("none", None),
            ("silence", Some("silenced")),
            ("unsilence", None),
            ("suspend", Some("suspended")),
            ("unsuspend", None),
            ("sensitive", Some("sensitized")),
            ("disable", Some("disabled")),
            ("enable", None),
        ] {
            let res = m
                .submit(
                    &bob_page,
                    &act,
                    &[("type", kind), ("text", "read the rules"), ("notify", "1")],
                )
                .await;
            assert_eq!(res.status, 303, "{kind}: {}", res.body);
            let s = state(bob.id).await;
            match check {
                Some("silenced") => assert!(s.silenced_at.is_some()),
                Some("suspended") => assert!(s.suspended_at.is_some()),
                Some("sensitized") => assert!(s.sensitized_at.is_some()),
                Some("disabled") => assert!(s.disabled_at.is_some()),
                _ => assert!(s.silenced_at.is_none() && s.suspended_at.is_none()),
            }
        }
        let warnings = i
            .context
            .db
            .read(move |c| rows::warnings_for(c, bob.id))
            .await
            .unwrap();
        assert!(warnings
            .iter()
            .any(|w| w.action == "none" && w.text == "read the rules"));
        let res = m.submit(&bob_page, &act, &[("type", "banish")]).await;
        assert_eq!(res.status, 422);

        // A moderator cannot act on an admin: 403, nothing done, nothing audited.
        let before = audit(i).await.len();
        let admin_page = format!("/admin/accounts/{}", admin.id);
        let shown = m.get(&admin_page).await;
        assert!(shown.body.contains("You cannot act on this account"));
        let res = m
            .submit(
                "/admin/accounts",
                &format!("{admin_page}/action"),
                &[("type", "suspend")],
            )
            .await;
        assert_eq!(res.status, 403, "{}", res.body);
        let res = m
            .submit(
                "/admin/accounts",
                &format!("{admin_page}/delete"),
                &[("confirm", "1")],
            )
            .await;
        assert_eq!(res.status, 403);
        assert!(state(admin.id).await.suspended_at.is_none());
        assert_eq!(audit(i).await.len(), before);

        // Deleting needs the box ticked.
        let res = m
            .submit(
                &bob_page,
                &format!("{bob_page}/delete"),
                &[("reason", "spam")],
            )
            .await;
        assert_eq!(res.status, 422);
        assert!(state(bob.id).await.deleted_at.is_none());
        let res = m
            .submit(
                &bob_page,
                &format!("{bob_page}/delete"),
                &[("reason", "spam"), ("confirm", "1")],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        assert!(state(bob.id).await.deleted_at.is_some());

        let actions: Vec<String> = audit(i)
            .await
            .into_iter()
            .rev()
            .map(|(who, action, t, target)| {
                assert_eq!(
                    (who, t.as_str(), target),
                    (me.id, "account", bob.id.to_string())
                );
                action
            })
            .collect();
        assert_eq!(
            actions,
            [
                "none",
                "silence",
                "unsilence",
                "suspend",
                "unsuspend",
                "sensitive",
                "disable",
                "enable",
                "delete"
            ]
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn domain_forms_and_the_blocklist_csv() {
    on_each_backend!(async |i: &Instance| {
        let (me, mut m) = moderator(i, "mod").await;
        let res = m
            .submit(
                "/admin/domains",
                "/admin/domains",
                &[
                    ("domain", "Spam.Example."),
                    ("severity", "suspend"),
                    ("reject_reports", "1"),
                    ("public_comment", "spam <b>waves</b>"),
                    ("private_comment", "seen in #12"),
                ],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        let list = m.get("/admin/domains").await;
        assert!(list.body.contains("spam.example is suspended."));
        assert!(
            shows_escaped(&list.body, "spam <b>waves</b>"),
            "{}",
            list.body
        );
        let p = policies(i).await.remove(0);
        assert_eq!(
            (p.domain.as_str(), p.severity.as_str()),
            ("spam.example", "suspend")
        );
        assert!(p.reject_reports && !p.reject_media);
        let refused = {
            let db = i.context.db.clone();
            db.read(|c| kith_core::domain_policy::refuses(c, "spam.example", false))
                .await
                .unwrap()
        };
        assert!(refused, "a suspension takes effect at once");

        let bad = m
            .submit(
                "/admin/domains",
                "/admin/domains",
                &[("domain", "not a domain")],
            )
            .await;
        assert_eq!(bad.status, 422);

        let edit = format!("/admin/domains/{}", p.id);
        let res = m
            .submit(
                &edit,
                &edit,
                &[("severity", "silence"), ("reject_media", "on")],
            )
            .await;
        assert_eq!(res.status, 303, "{}", res.body);
        let p = policies(i).await.remove(0);
        assert_eq!(p.severity, "silence");
        assert!(p.reject_media && !p.reject_reports);

        let csv = m.get("/admin/domains/export.csv").await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").starts_with("text/csv"));
        assert!(csv.header("content-disposition").starts_with("attachment"));
        assert!(csv.body.starts_with("#domain,#severity"));
        assert!(csv.body.contains("spam.example,silence,true,false"));
        assert!(!csv.body.contains("seen in #12"), "private notes stay here");

        // A bad import names its lines and applies nothing.
        let bad_csv =
            "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                       good.example,suspend,false,false,,false\n\
                       bad example,suspend,false,false,,false\n";
        let res = m
            .submit(
                "/admin/domains",
                "/admin/domains/import",
                &[("csv", bad_csv)],
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.body);
        assert!(res.body.contains("line 3"), "{}", res.body);
        assert_eq!(policies(i).await.len(), 1);
        // A file upload, as the form sends it.
        let csrf = m.csrf("/admin/domains").await;
        let good_csv =
            "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
                        good.example,suspend,false,false,,false\n\
                        quiet.example,silence,false,false,loud,true\n";
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("csv", "")
            .part(
                "file",
                reqwest::multipart::Part::bytes(good_csv.as_bytes().to_vec())
                    .file_name("blocklist.csv")
                    .mime_str("text/csv")
                    .unwrap(),
            );
        let res = m
            .client
            .post(i.url("/admin/domains/import"))
            .header("cookie", m.cookie_header())
            .header("origin", i.base.clone())
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 303);
        assert!(m
            .get("/admin/domains")
            .await
            .body
            .contains("Imported 2 domain policies."));
        assert_eq!(policies(i).await.len(), 3);

        let res = m.submit(&edit, &format!("{edit}/delete"), &[]).await;
        assert_eq!(res.status, 303);
        assert_eq!(policies(i).await.len(), 2);

        let res = m
            .submit(
                "/admin/domains",
                "/admin/domains/allow",
                &[("domain", "friends.example")],
            )
            .await;
        assert_eq!(res.status, 303);
        let allows = i
            .context
            .db
            .read(kith_storage::domain_policies::allows)
            .await
            .unwrap();
        assert_eq!(allows[0].domain, "friends.example");
        let res = m
            .submit(
                "/admin/domains",
                &format!("/admin/domains/allow/{}/delete", allows[0].id),
                &[],
            )
            .await;
        assert_eq!(res.status, 303);

        let actions: Vec<(String, String)> = audit(i)
            .await
            .into_iter()
            .rev()
            .map(|(who, action, t, target)| {
                assert_eq!((who, t.as_str()), (me.id, "domain"));
                (action, target)
            })
            .collect();
        let expected: Vec<(String, String)> = [
            ("create_domain_block", "spam.example"),
            ("update_domain_block", "spam.example"),
            ("create_domain_block", "good.example"),
            ("create_domain_block", "quiet.example"),
            ("destroy_domain_block", "spam.example"),
            ("create_domain_allow", "friends.example"),
            ("destroy_domain_allow", "friends.example"),
        ]
        .into_iter()
        .map(|(a, d)| (a.to_owned(), d.to_owned()))
        .collect();
        assert_eq!(actions, expected);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_forms_and_invites() {
    on_each_backend!(async |i: &Instance| {
        let (me, mut m) = moderator(i, "mod").await;
        let page = "/admin/registrations";
        let res = m
            .submit(page, "/admin/registrations/mode", &[("mode", "approval")])
            .await;
        assert_eq!(res.status, 303);
        let res = m
            .submit(page, "/admin/registrations/mode", &[("mode", "anarchy")])
            .await;
        assert_eq!(res.status, 422);
        let sign_up = |name: &'static str| kith_core::registrations::SignUp {
            username: name.into(),
            password: "correct horse".into(),
            email: None,
            reason: Some("I knit <b>socks</b>".into()),
            invite_code: None,
            agreement: true,
        };
        let (eve, _) =
            kith_core::registrations::sign_up(&i.context.db, &i.context.urls, sign_up("eve"))
                .await
                .unwrap();
        let (zed, _) =
            kith_core::registrations::sign_up(&i.context.db, &i.context.urls, sign_up("zed"))
                .await
                .unwrap();
        let shown = m.get(page).await;
        assert!(
            shows_escaped(&shown.body, "I knit <b>socks</b>"),
            "{}",
            shown.body
        );
        let decide = |id: i64| format!("/admin/registrations/{id}/decide");
        let res = m
            .submit(page, &decide(eve.id), &[("decision", "approve")])
            .await;
        assert_eq!(res.status, 303);
        let res = m
            .submit(page, &decide(zed.id), &[("decision", "reject")])
            .await;
        assert_eq!(res.status, 303);
        let res = m
            .submit(page, &decide(zed.id), &[("decision", "approve")])
            .await;
        assert_eq!(res.status, 404, "a rejected sign-up is gone");
        let eve_id = eve.id;
        assert!(i
            .context
            .db
            .read(move |c| kith_core::moderation::may_sign_in(c, eve_id))
            .await
            .unwrap());

        let res = m
            .submit(
                page,
                "/admin/invites",
                &[("max_uses", "3"), ("expires_in", "86400")],
            )
            .await;
        assert_eq!(res.status, 303);
        let res = m
            .submit(
                page,
                "/admin/invites",
                &[("max_uses", "0"), ("expires_in", "")],
            )
            .await;
        assert_eq!(res.status, 422);
        let invites = i.context.db.read(rows::list_invites).await.unwrap();
        assert_eq!(invites.len(), 1);
        assert_eq!(invites[0].max_uses, Some(3));
        assert!(invites[0].expires_at.is_some());
        assert!(m.get(page).await.body.contains(&invites[0].code));
        let res = m
            .submit(
                page,
                &format!("/admin/invites/{}/delete", invites[0].id),
                &[],
            )
            .await;
        assert_eq!(res.status, 303);
        assert!(i
            .context
            .db
            .read(rows::list_invites)
            .await
            .unwrap()
            .is_empty());

        let actions: Vec<(String, String)> = audit(i)
            .await
            .into_iter()
            .rev()
            .map(|(who, action, t, _)| {
                assert_eq!(who, me.id);
                (action, t)
            })
            .collect();
        let expected: Vec<(String, String)> = [
            ("set_registrations_mode", "registrations"),
            ("approve", "account"),
            ("reject", "account"),
            ("create_invite", "invite"),
            ("delete_invite", "invite"),
        ]
        .into_iter()
        .map(|(a, t)| (a.to_owned(), t.to_owned()))
        .collect();
        assert_eq!(actions, expected);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_expire_failed_logins_are_throttled_and_public_cookies_are_secure() {
    for db in kith_storage::testing::TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        // As a public instance runs (development mode off): the session cookie is Secure.
        let i = Instance::start_public(&db).await;
        let mod_account = person(&i, "mod", Role::Moderator).await;
        let mut b = Browser::new(&i);
        let res = b.sign_in("mod", "correct horse").await;
        assert_eq!(res.status, 303, "{}", res.body);
        let set = res
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("kith_console="))
            .unwrap();
        assert!(set.contains("Secure") && set.contains("HttpOnly"), "{set}");

        // An expired session opens nothing.
        let secret = kith_core::tokens::random_secret();
        let row = kith_storage::console_sessions::ConsoleSession {
            secret_hash: kith_core::tokens::digest(&secret),
            account_id: mod_account.id,
            csrf_token: kith_core::tokens::random_secret(),
            flash: None,
            created_at: kith_storage::now() - chrono::Duration::hours(13),
            expires_at: kith_storage::now() - chrono::Duration::hours(1),
        };
        i.context
            .db
            .write(move |c| {
                kith_storage::console_sessions::insert(
                    c,
                    &row,
                    kith_storage::now() - chrono::Duration::days(1),
                )
            })
            .await
            .unwrap();
        let mut expired = Browser::new(&i);
        expired.cookies.insert("kith_console".into(), secret);
        let res = expired.get("/admin/reports").await;
        assert_eq!(res.status, 303);
        assert!(res.location().starts_with("/admin/login"));

        // A suspended moderator's live session opens nothing either.
        let live = b.cookies["kith_console"].clone();
        let admin = person(&i, "root", Role::Admin).await;
        let staff = kith_core::moderation::Staff::new(admin.id, Some(Role::Admin)).unwrap();
        let target = mod_account.id;
        i.context
            .db
            .write(move |c| {
                Ok(kith_core::moderation::act(
                    c,
                    staff,
                    target,
                    kith_core::moderation::AccountAction::Suspend,
                    &kith_core::moderation::ActionDetails::default(),
                ))
            })
            .await
            .unwrap()
            .unwrap();
        let mut suspended = Browser::new(&i);
        suspended.cookies.insert("kith_console".into(), live);
        assert_eq!(suspended.get("/admin/reports").await.status, 303);

        // The login throttle is the OAuth page's: after 10 failures for a name, even the right
        // password waits.
        person(&i, "mod2", Role::Moderator).await;
        let mut t = Browser::new(&i);
        for _ in 0..kith_api::throttle::PER_ACCOUNT {
            assert_eq!(t.sign_in("mod2", "wrong").await.status, 401);
        }
        let res = t.sign_in("mod2", "correct horse").await;
        assert_eq!(res.status, 429, "{}", res.body);
        assert!(!res.header("retry-after").is_empty());
        assert!(!t.cookies.contains_key("kith_console"));
        i.stop().await;
    }
}
