//! Issue 10, moderation inside an instance: reports and the report queue, account actions
//! (warn, limit, suspend, unsuspend, delete) and their effects, the audit log, staff-only
//! admin endpoints, and registration modes.

use crate::rig::{client, eventually, Instance, User};
use crate::{on_each_backend, on_each_backend_with};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use kith_api::scopes::{Access, ENDPOINTS};
use kith_core::accounts::{create_local_user, NewLocalUser, Role};
use reqwest::Method;
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A local user with `role`, signed in with every scope an admin tool asks for.
async fn staff(i: &Instance, name: &str, role: Role) -> User {
    let account = create_local_user(
        &i.context.db,
        &i.context.urls,
        NewLocalUser {
            username: name.into(),
            password: "correct horse".into(),
            email: None,
            role,
        },
    )
    .await
    .unwrap();
    let token = i
        .token(&account, "read write follow admin:read admin:write")
        .await;
    User::with_token(i, account.id, token)
}

async fn send(
    i: &Instance,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = client().request(method, i.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.json(&body).send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_endpoint_refuses_a_plain_user_and_a_missing_token() {
    on_each_backend!(async |i: &Instance| {
        let plain = staff(i, "plain", Role::User).await;
        let staff_routes: Vec<_> = ENDPOINTS
            .iter()
            .filter(|(_, _, a)| matches!(a, Access::Staff(_)))
            .collect();
        assert!(
            staff_routes.len() >= 20,
            "the admin API is declared staff-only"
        );
        for (method, pattern, _) in staff_routes {
            assert!(pattern.contains("/admin/"), "{pattern} is an admin path");
            let path = pattern.replace("{id}", "1");
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let (status, body) =
                send(i, method.clone(), &path, Some(&plain.token), json!({})).await;
            assert_eq!(status, 403, "{method} {pattern} as a plain user: {body}");
            let (status, _) = send(i, method.clone(), &path, None, json!({})).await;
            assert_eq!(status, 401, "{method} {pattern} without a token");
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_reaches_the_queue_and_every_step_is_audited() {
    on_each_backend!(async |i: &Instance| {
        let admin = staff(i, "root", Role::Admin).await;
        let moderator = staff(i, "mod", Role::Moderator).await;
        let bob = User::new(i, "bob").await;
        let carl = User::new(i, "carl").await;
        let post = bob
            .post("/api/v1/statuses", json!({"status": "buy my stuff"}))
            .await;
        let status_id = post["id"].as_str().unwrap();

        // Someone else's status cannot be named in a report about bob.
        let carls = carl.post("/api/v1/statuses", json!({"status": "hi"})).await;
        let (status, _) = send(
            i,
            Method::POST,
            "/api/v1/reports",
            Some(&carl.token),
            json!({"account_id": bob.id, "status_ids": [carls["id"]]}),
        )
        .await;
        assert_eq!(status, 422);

        let report = carl
            .post(
                "/api/v1/reports",
                json!({"account_id": bob.id, "status_ids": [status_id],
                       "comment": "spam", "category": "spam", "forward": false}),
            )
            .await;
        assert_eq!(report["category"], "spam");
        assert_eq!(report["action_taken"], false);
        assert_eq!(report["target_account"]["id"], bob.id);
        assert_eq!(report["status_ids"], json!([status_id]));
        let report_id = report["id"].as_str().unwrap().to_owned();

        // Both staff members are told; the plain users are not.
        for who in [&admin, &moderator] {
            let n = who.json("/api/v1/notifications").await;
            assert_eq!(n[0]["type"], "admin.report", "{n}");
            assert_eq!(n[0]["account"]["id"], carl.id);
            // The report itself, as Mastodon's Notification carries it.
            assert_eq!(n[0]["report"]["id"], report_id.as_str(), "{n}");
            assert_eq!(n[0]["report"]["category"], "spam");
            assert_eq!(n[0]["report"]["target_account"]["id"], bob.id);
            assert_eq!(n[0]["report"]["status_ids"], json!([status_id]));
            assert!(n[0].get("moderation_warning").is_none(), "{n}");
        }
        assert_eq!(bob.json("/api/v1/notifications").await, json!([]));

        let open = moderator.json("/api/v1/admin/reports").await;
        assert_eq!(open.as_array().unwrap().len(), 1);
        assert_eq!(open[0]["id"], report_id);
        assert_eq!(open[0]["account"]["id"], carl.id);
        assert_eq!(open[0]["target_account"]["id"], bob.id);
        assert_eq!(open[0]["statuses"][0]["id"], status_id);
        let by_target = moderator
            .json(&format!(
                "/api/v1/admin/reports?target_account_id={}",
                carl.id
            ))
            .await;
        assert_eq!(by_target, json!([]));

        let r = moderator
            .post(
                &format!("/api/v1/admin/reports/{report_id}/assign_to_self"),
                json!({}),
            )
            .await;
        assert_eq!(r["assigned_account"]["id"], moderator.id);
        let note = moderator
            .post(
                &format!("/api/v1/admin/reports/{report_id}/notes"),
                json!({"content": "looks like spam"}),
            )
            .await;
        assert_eq!(note["content"], "looks like spam");
        let notes = admin
            .json(&format!("/api/v1/admin/reports/{report_id}/notes"))
            .await;
        assert_eq!(notes[0]["content"], "looks like spam");
        let r = moderator
            .post(
                &format!("/api/v1/admin/reports/{report_id}/resolve"),
                json!({}),
            )
            .await;
        assert_eq!(r["action_taken"], true);
        assert_eq!(r["action_taken_by_account"]["id"], moderator.id);
        assert_eq!(moderator.json("/api/v1/admin/reports").await, json!([]));
        let resolved = moderator.json("/api/v1/admin/reports?resolved=true").await;
        assert_eq!(resolved[0]["id"], report_id);
        let r = moderator
            .post(
                &format!("/api/v1/admin/reports/{report_id}/reopen"),
                json!({}),
            )
            .await;
        assert_eq!(r["action_taken"], false);
        moderator
            .post(
                &format!("/api/v1/admin/reports/{report_id}/unassign"),
                json!({}),
            )
            .await;

        // A moderator cannot act on an admin.
        let (status, _) = send(
            i,
            Method::POST,
            &format!("/api/v1/admin/accounts/{}/action", admin.id),
            Some(&moderator.token),
            json!({"type": "suspend"}),
        )
        .await;
        assert_eq!(status, 403);
        let (status, _) = send(
            i,
            Method::DELETE,
            &format!("/api/v1/admin/accounts/{}", admin.id),
            Some(&moderator.token),
            json!({}),
        )
        .await;
        assert_eq!(status, 403);

        // Warn with the report: the report is resolved and bob is told.
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/action", bob.id),
                json!({"type": "none", "report_id": report_id, "text": "no ads here"}),
            )
            .await;
        let n = bob.json("/api/v1/notifications").await;
        assert_eq!(n[0]["type"], "moderation_warning", "{n}");
        // The warning, as Mastodon's AccountWarning (no appeals in Kith).
        let w = &n[0]["moderation_warning"];
        assert_eq!(w["action"], "none", "{n}");
        assert_eq!(w["text"], "no ads here");
        assert_eq!(w["target_account"]["id"], bob.id);
        assert_eq!(w["status_ids"], json!([status_id]));
        assert_eq!(w["appeal"], Value::Null);
        assert!(w["id"].as_str().is_some_and(|id| !id.is_empty()));
        assert!(n[0].get("report").is_none(), "{n}");
        let r = admin
            .json(&format!("/api/v1/admin/reports/{report_id}"))
            .await;
        assert_eq!(r["action_taken"], true);

        let m = moderator.id.clone();
        let log: Vec<Value> = admin
            .json("/api/v1/admin/audit_log")
            .await
            .as_array()
            .unwrap()
            .clone();
        let got: Vec<(String, String, String)> = log
            .iter()
            .filter(|e| e["account_id"] == m.as_str())
            .map(|e| {
                (
                    e["action"].as_str().unwrap().to_owned(),
                    e["target_type"].as_str().unwrap().to_owned(),
                    e["target_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let r = |a: &str| (a.to_owned(), "report".to_owned(), report_id.clone());
        // Newest first.
        assert_eq!(
            got,
            vec![
                r("resolve"),
                ("none".into(), "account".into(), bob.id.clone()),
                r("unassign"),
                r("reopen"),
                r("resolve"),
                r("create_note"),
                r("assign_to_self"),
            ]
        );
        assert_eq!(log[1]["reason"], "no ads here");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspension_hides_the_account_and_stops_its_tokens_until_lifted() {
    on_each_backend!(async |i: &Instance| {
        let moderator = staff(i, "mod", Role::Moderator).await;
        let bob = User::new(i, "bob").await;
        let carl = User::new(i, "carl").await;
        let post = bob
            .post("/api/v1/statuses", json!({"status": "hello"}))
            .await;
        let status_path = format!("/api/v1/statuses/{}", post["id"].as_str().unwrap());
        let actor = || {
            client()
                .get(i.url("/users/bob"))
                .header("accept", "application/activity+json")
                .send()
        };
        assert_eq!(actor().await.unwrap().status(), 200);

        moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/action", bob.id),
                json!({"type": "suspend", "text": "spam wave"}),
            )
            .await;
        assert_eq!(actor().await.unwrap().status(), 410);
        assert_eq!(
            bob.status_code(Method::GET, "/api/v1/accounts/verify_credentials")
                .await,
            401
        );
        assert_eq!(carl.status_code(Method::GET, &status_path).await, 404);
        let public = carl.json("/api/v1/timelines/public").await;
        assert_eq!(public, json!([]));
        let a = moderator
            .json(&format!("/api/v1/admin/accounts/{}", bob.id))
            .await;
        assert_eq!(a["suspended"], true);
        let listed = moderator
            .json("/api/v2/admin/accounts?origin=local&status=suspended")
            .await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], bob.id);

        let a = moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/unsuspend", bob.id),
                json!({}),
            )
            .await;
        assert_eq!(a["suspended"], false);
        assert_eq!(actor().await.unwrap().status(), 200);
        assert_eq!(
            bob.status_code(Method::GET, "/api/v1/accounts/verify_credentials")
                .await,
            200
        );
        assert_eq!(carl.status_code(Method::GET, &status_path).await, 200);
        // Disabling stops the login alone; the posts stay visible.
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/action", bob.id),
                json!({"type": "disable"}),
            )
            .await;
        assert_eq!(
            bob.status_code(Method::GET, "/api/v1/accounts/verify_credentials")
                .await,
            401
        );
        assert_eq!(carl.status_code(Method::GET, &status_path).await, 200);
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/enable", bob.id),
                json!({}),
            )
            .await;
        assert_eq!(
            bob.status_code(Method::GET, "/api/v1/accounts/verify_credentials")
                .await,
            200
        );
        let log = moderator.json("/api/v1/admin/audit_log").await;
        assert_eq!(log[0]["action"], "enable");
        assert_eq!(log[1]["action"], "disable");
        assert_eq!(log[2]["action"], "unsuspend");
        assert_eq!(log[3]["action"], "suspend");
        assert_eq!(log[3]["reason"], "spam wave");
        assert_eq!(log[3]["target_id"], bob.id);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_account_reaches_only_its_followers() {
    on_each_backend!(async |i: &Instance| {
        let moderator = staff(i, "mod", Role::Moderator).await;
        let bob = User::new(i, "bob").await;
        let fan = User::new(i, "fan").await;
        let stranger = User::new(i, "stranger").await;
        fan.post(&format!("/api/v1/accounts/{}/follow", bob.id), json!({}))
            .await;
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/action", bob.id),
                json!({"type": "silence"}),
            )
            .await;
        let post = bob
            .post("/api/v1/statuses", json!({"status": "limited"}))
            .await;
        let id = post["id"].as_str().unwrap().to_owned();
        let ids = |v: Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert!(ids(fan.json("/api/v1/timelines/public").await).contains(&id));
        assert!(ids(fan.json("/api/v1/timelines/home").await).contains(&id));
        assert!(!ids(stranger.json("/api/v1/timelines/public").await).contains(&id));
        let anonymous: Value = client()
            .get(i.url("/api/v1/timelines/public"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(!ids(anonymous).contains(&id));
        assert_eq!(
            stranger
                .status_code(Method::GET, &format!("/api/v1/statuses/{id}"))
                .await,
            404
        );
        // Lifting the limit shows the post to everyone again.
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/unsilence", bob.id),
                json!({}),
            )
            .await;
        assert!(ids(stranger.json("/api/v1/timelines/public").await).contains(&id));
        let log = moderator.json("/api/v1/admin/audit_log").await;
        assert_eq!(log[0]["action"], "unsilence");
        assert_eq!(log[1]["action"], "silence");
    });
}

type Inbox = Arc<Mutex<Vec<Value>>>;

/// A fake remote server that keeps every activity posted to it.
async fn fake_inbox() -> (u16, Inbox, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got: Inbox = Arc::default();
    let g = got.clone();
    let server = HttpServer::new(move || {
        let g = g.clone();
        App::new().default_service(web::to(move |_: HttpRequest, body: web::Bytes| {
            let g = g.clone();
            async move {
                if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                    g.lock().unwrap().push(v);
                }
                HttpResponse::Accepted().finish()
            }
        }))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (port, got, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_an_account_sends_delete_of_the_actor_and_removes_its_data() {
    on_each_backend!(async |i: &Instance| {
        let admin = staff(i, "root", Role::Admin).await;
        let bob = User::new(i, "bob").await;
        bob.post("/api/v1/statuses", json!({"status": "soon gone #tea"}))
            .await;
        // Profile fields and a featured tag, which go with the rest.
        let res = client()
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&bob.token)
            .json(&json!({"fields_attributes": [{"name": "Site", "value": "bob.example"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        bob.post("/api/v1/featured_tags", json!({"name": "tea"}))
            .await;
        let (port, inbox, handle) = fake_inbox().await;
        let follower = crate::delivery::remote_account(port, "far");
        let bob_id: i64 = bob.id.parse().unwrap();
        i.context
            .db
            .write(move |c| {
                kith_storage::accounts::insert(c, &follower)?;
                kith_storage::follows::insert(
                    c,
                    &kith_storage::follows::Follow {
                        id: kith_storage::id::new_id(),
                        account_id: follower.id,
                        target_account_id: bob_id,
                        ap_id: format!("{}#follow", follower.ap_id),
                        accepted: true,
                        created_at: kith_storage::now(),
                    },
                )?;
                Ok(())
            })
            .await
            .unwrap();

        let (status, body) = send(
            i,
            Method::DELETE,
            &format!("/api/v1/admin/accounts/{}", bob.id),
            Some(&admin.token),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let bob_ap = format!("{}/users/bob", i.base);
        let delete = eventually("Delete of bob reaches the follower's server", || {
            let got = inbox.lock().unwrap().clone();
            let bob_ap = bob_ap.clone();
            async move {
                got.into_iter()
                    .find(|a| a["type"] == "Delete" && a["object"] == bob_ap.as_str())
            }
        })
        .await;
        assert_eq!(delete["actor"], bob_ap.as_str());
        // Its data is gone, its token too, and its actor answers 410.
        assert_eq!(
            bob.status_code(Method::GET, "/api/v1/accounts/verify_credentials")
                .await,
            401
        );
        let left = i
            .context
            .db
            .read(move |c| kith_storage::statuses::count_by_account(c, bob_id))
            .await
            .unwrap();
        assert_eq!(left, 0);
        let (fields, featured) = i
            .context
            .db
            .read(move |c| {
                Ok((
                    kith_storage::accounts::by_id(c, bob_id)?.profile_fields(),
                    kith_storage::profiles::featured(c, bob_id)?,
                ))
            })
            .await
            .unwrap();
        assert!(fields.is_empty() && featured.is_empty());
        let res = client()
            .get(i.url("/users/bob"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 410);
        let log = admin.json("/api/v1/admin/audit_log").await;
        assert_eq!(log[0]["action"], "delete");
        assert_eq!(log[0]["target_id"], bob.id);
        handle.stop(false).await;
    });
}

/// An app's token, as a registering client holds before it has an account.
async fn app_token(i: &Instance) -> String {
    kith_core::tokens::issue(
        &i.context.db,
        None,
        None,
        &kith_core::Scopes::parse("read write").unwrap(),
    )
    .await
    .unwrap()
    .0
}

async fn sign_up(i: &Instance, app: &str, form: Value) -> (u16, Value) {
    send(i, Method::POST, "/api/v1/accounts", Some(app), form).await
}

/// More sign-ups from one address than the default rate limit lets through are made below
/// (`rate_limits` tests that limit).
fn no_sign_up_limit(c: &mut kith::config::Config) {
    c.rate_limit_sign_ups = "off".into();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_modes_decide_who_may_join() {
    on_each_backend_with!(no_sign_up_limit, async |i: &Instance| {
        let admin = staff(i, "root", Role::Admin).await;
        let app = app_token(i).await;
        let form = |name: &str| {
            json!({"username": name, "password": "long enough pw", "agreement": true,
                   "locale": "en", "reason": "I like it here"})
        };
        // Closed until an admin opens it.
        assert_eq!(
            admin.json("/api/v1/admin/registrations").await["mode"],
            "closed"
        );
        let (status, _) = sign_up(i, &app, form("early")).await;
        assert_eq!(status, 403);
        let (status, _) = send(i, Method::POST, "/api/v1/accounts", None, form("early")).await;
        assert_eq!(status, 401);

        // Open: the token works at once; staff hear of the sign-up.
        let (s, _) = send(
            i,
            Method::PUT,
            "/api/v1/admin/registrations",
            Some(&admin.token),
            json!({"mode": "open"}),
        )
        .await;
        assert_eq!(s, 200);
        let (status, body) = sign_up(i, &app, form("olga")).await;
        assert_eq!(status, 200, "{body}");
        let olga = body["access_token"].as_str().unwrap().to_owned();
        let (s, me) = send(
            i,
            Method::GET,
            "/api/v1/accounts/verify_credentials",
            Some(&olga),
            json!({}),
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(me["username"], "olga");
        let n = admin.json("/api/v1/notifications").await;
        assert_eq!(n[0]["type"], "admin.sign_up");
        assert_eq!(n[0]["account"]["username"], "olga");
        let (status, _) = sign_up(
            i,
            &app,
            json!({"username": "nope", "password": "long enough pw", "agreement": false}),
        )
        .await;
        assert_eq!(status, 422);

        // Approval: a reason is needed; the token waits for a moderator.
        let (s, _) = send(
            i,
            Method::PUT,
            "/api/v1/admin/registrations",
            Some(&admin.token),
            json!({"mode": "approval"}),
        )
        .await;
        assert_eq!(s, 200);
        let (status, _) = sign_up(
            i,
            &app,
            json!({"username": "paul", "password": "long enough pw", "agreement": true}),
        )
        .await;
        assert_eq!(status, 422);
        let (status, body) = sign_up(i, &app, form("paul")).await;
        assert_eq!(status, 200, "{body}");
        let paul = body["access_token"].as_str().unwrap().to_owned();
        let (s, _) = send(
            i,
            Method::GET,
            "/api/v1/accounts/verify_credentials",
            Some(&paul),
            json!({}),
        )
        .await;
        assert_eq!(s, 401);
        let pending = admin.json("/api/v1/admin/accounts?pending=true").await;
        assert_eq!(pending.as_array().unwrap().len(), 1);
        assert_eq!(pending[0]["username"], "paul");
        assert_eq!(pending[0]["invite_request"], "I like it here");
        assert_eq!(pending[0]["approved"], false);
        let paul_id = pending[0]["id"].as_str().unwrap().to_owned();
        let a = admin
            .post(
                &format!("/api/v1/admin/accounts/{paul_id}/approve"),
                json!({}),
            )
            .await;
        assert_eq!(a["approved"], true);
        let (s, _) = send(
            i,
            Method::GET,
            "/api/v1/accounts/verify_credentials",
            Some(&paul),
            json!({}),
        )
        .await;
        assert_eq!(s, 200);
        // A rejected applicant is removed.
        let (_, _) = sign_up(i, &app, form("quinn")).await;
        let pending = admin.json("/api/v2/admin/accounts?status=pending").await;
        let quinn_id = pending[0]["id"].as_str().unwrap().to_owned();
        admin
            .post(
                &format!("/api/v1/admin/accounts/{quinn_id}/reject"),
                json!({}),
            )
            .await;
        let (s, _) = send(
            i,
            Method::GET,
            &format!("/api/v1/admin/accounts/{quinn_id}"),
            Some(&admin.token),
            json!({}),
        )
        .await;
        assert_eq!(s, 404);

        // Invite-only: a code is needed, and one with one use serves once.
        let (s, _) = send(
            i,
            Method::PUT,
            "/api/v1/admin/registrations",
            Some(&admin.token),
            json!({"mode": "invite"}),
        )
        .await;
        assert_eq!(s, 200);
        let (status, _) = sign_up(i, &app, form("rita")).await;
        assert_eq!(status, 403);
        let invite = admin
            .post(
                "/api/v1/admin/invites",
                json!({"max_uses": 1, "expires_in": 3600}),
            )
            .await;
        let code = invite["code"].as_str().unwrap();
        let mut with_code = form("rita");
        with_code["invite_code"] = json!(code);
        let (status, body) = sign_up(i, &app, with_code).await;
        assert_eq!(status, 200, "{body}");
        let mut again = form("sam");
        again["invite_code"] = json!(code);
        let (status, _) = sign_up(i, &app, again).await;
        assert_eq!(status, 422);
        let mut wrong = form("sam");
        wrong["invite_code"] = json!("not-a-code");
        let (status, _) = sign_up(i, &app, wrong).await;
        assert_eq!(status, 422);

        let log = admin.json("/api/v1/admin/audit_log").await;
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            vec![
                "create_invite",
                "set_registrations_mode",
                "reject",
                "approve",
                "set_registrations_mode",
                "set_registrations_mode",
            ]
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_actions_and_marking_an_account_sensitive() {
    on_each_backend!(async |i: &Instance| {
        let moderator = staff(i, "mod", Role::Moderator).await;
        let bob = User::new(i, "bob").await;
        let first = bob.post("/api/v1/statuses", json!({"status": "one"})).await;
        let first_id = first["id"].as_str().unwrap().to_owned();
        assert_eq!(first["sensitive"], false);
        moderator
            .post(
                &format!("/api/v1/admin/statuses/{first_id}/sensitive"),
                json!({}),
            )
            .await;
        let shown = bob.json(&format!("/api/v1/statuses/{first_id}")).await;
        assert_eq!(shown["sensitive"], true);
        moderator
            .post(
                &format!("/api/v1/admin/accounts/{}/action", bob.id),
                json!({"type": "sensitive"}),
            )
            .await;
        let later = bob.post("/api/v1/statuses", json!({"status": "two"})).await;
        assert_eq!(later["sensitive"], true);
        let (status, _) = send(
            i,
            Method::DELETE,
            &format!("/api/v1/admin/statuses/{first_id}"),
            Some(&moderator.token),
            json!({}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            bob.status_code(Method::GET, &format!("/api/v1/statuses/{first_id}"))
                .await,
            404
        );
        let log = moderator.json("/api/v1/admin/audit_log").await;
        let got: Vec<(&str, &str)> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["action"].as_str().unwrap(),
                    e["target_type"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("delete", "status"),
                ("sensitive", "account"),
                ("mark_sensitive", "status"),
            ]
        );
    });
}
