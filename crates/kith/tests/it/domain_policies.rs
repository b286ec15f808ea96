//! Domain policies across two real instances: a suspension refuses everything from the domain,
//! fetches nothing from it, delivers nothing to it (queued deliveries dropped) and severs
//! follows both ways; a limited (silenced) domain's public posts stay off the public timeline
//! but reach followers; allow-list mode refuses everyone else; the admin API's permissions;
//! blocklist CSV export/import between instances, and a malformed CSV refused whole with line
//! numbers. Each scenario runs with instance A on each backend (B on SQLite).

use crate::on_each_backend;
use crate::rig::{eventually, urlencode, Instance, User};
use kith_core::accounts::Role;
use kith_storage::testing::TestDatabase;
use serde_json::{json, Value};

const MOD_SCOPES: &str = "read write follow admin:read admin:write";

pub async fn moderator(i: &Instance) -> User {
    User::with_role(i, "modo", Role::Moderator, MOD_SCOPES).await
}

/// Follows `handle` from `who` and waits for the Accept; returns the remote account's local id.
pub async fn follow(who: &User, handle: &str) -> String {
    let id = who.resolve(handle).await;
    who.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .await;
    eventually(&format!("Accept of {handle}"), || async {
        let rels = who
            .json(&format!("/api/v1/accounts/relationships?id[]={id}"))
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    id
}

pub async fn pending_deliveries(i: &Instance) -> i64 {
    i.context
        .db
        .read(kith_storage::outbox::pending)
        .await
        .unwrap()
}

pub async fn queued_to(i: &Instance, host: &str) -> usize {
    let host = host.to_owned();
    i.context
        .db
        .read(move |c| {
            use diesel::prelude::*;
            use kith_storage::schema::deliveries;
            let n: i64 = deliveries::table
                .filter(deliveries::host.eq(host))
                .count()
                .get_result(c)?;
            Ok(n as usize)
        })
        .await
        .unwrap()
}

fn search_accounts(found: &Value) -> usize {
    found["accounts"].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspension_refuses_everything_drops_deliveries_and_severs_follows() {
    for db_a in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db_a.backend);
        let db_b = TestDatabase::sqlite();
        let a = Instance::start(&db_a).await;
        let b = Instance::start(&db_b).await;
        let ana = User::new(&a, "ana").await;
        let bo = User::new(&b, "bo").await;
        let _cy = User::new(&b, "cy").await;
        let modo = moderator(&a).await;

        // Follows both ways.
        let bo_at_a = follow(&ana, &format!("@bo@{}", b.domain)).await;
        follow(&bo, &format!("@ana@{}", a.domain)).await;
        let me = ana.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["followers_count"], 1);
        assert_eq!(me["following_count"], 1);

        // A delivery queued for a server that is down stays queued (retried later) …
        let ana_id: i64 = ana.id.parse().unwrap();
        a.context
            .db
            .write(move |c| {
                kith_storage::outbox::enqueue(
                    c,
                    "http://localhost:1/activities/x",
                    ana_id,
                    "{}",
                    &[("http://localhost:1/inbox".into(), "localhost:1".into())],
                )
            })
            .await
            .unwrap();
        assert_eq!(queued_to(&a, "localhost:1").await, 1);

        // … and suspending that server drops it.
        let res = modo
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": "localhost:1", "severity": "suspend"}),
            )
            .await;
        assert_eq!(res["severity"], "suspend");
        assert_eq!(queued_to(&a, "localhost:1").await, 0);

        // Suspend B.
        let block = modo
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": b.domain, "severity": "suspend", "private_comment": "spam"}),
            )
            .await;
        assert_eq!(block["domain"], b.domain.as_str());
        assert_eq!(block["private_comment"], "spam");

        // Follows are severed both ways, at once.
        let me = ana.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["followers_count"], 0, "{me}");
        assert_eq!(me["following_count"], 0, "{me}");
        let rels = ana
            .json(&format!("/api/v1/accounts/relationships?id[]={bo_at_a}"))
            .await;
        assert_eq!(rels[0]["following"], false);
        assert_eq!(rels[0]["followed_by"], false);

        // Nothing is enqueued for B: a post mentioning bo queues no delivery to it.
        ana.post(
            "/api/v1/statuses",
            json!({"status": format!("hello @bo@{}", b.domain), "visibility": "public"}),
        )
        .await;
        assert_eq!(queued_to(&a, &b.domain).await, 0);

        // Nothing from B is accepted: bo still has ana as a follower on B, so B delivers his
        // post to A, which refuses it (B gives the delivery up on the 403).
        let post = bo
            .post(
                "/api/v1/statuses",
                json!({"status": "from a suspended server", "visibility": "public"}),
            )
            .await;
        eventually("B's delivery to A ends", || async {
            (pending_deliveries(&b).await == 0).then_some(())
        })
        .await;
        let uri = post["uri"].as_str().unwrap().to_owned();
        let found = ana
            .json(&format!(
                "/api/v2/search?resolve=false&type=statuses&q={}",
                urlencode(&uri)
            ))
            .await;
        assert_eq!(found["statuses"].as_array().unwrap().len(), 0, "{found}");
        let home = ana.json("/api/v1/timelines/home").await;
        assert!(
            !home.to_string().contains("from a suspended server"),
            "{home}"
        );
        let public = ana.json("/api/v1/timelines/public").await;
        assert!(!public.to_string().contains("from a suspended server"));

        // Nothing is fetched from B: WebFinger and fetches are refused, so cy is never found.
        let found = ana
            .json(&format!(
                "/api/v2/search?resolve=true&type=accounts&q={}",
                urlencode(&format!("@cy@{}", b.domain))
            ))
            .await;
        assert_eq!(search_accounts(&found), 0, "{found}");

        // A signed activity straight to the inbox is refused before any signature work.
        let res = crate::rig::client()
            .post(a.url("/inbox"))
            .header("content-type", "application/activity+json")
            .body(
                json!({
                    "id": format!("{}/x", b.base), "type": "Follow",
                    "actor": format!("{}/users/bo", b.base), "object": format!("{}/users/ana", a.base)
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);

        // Lifting the suspension lets B's accounts be found again.
        let id = block["id"].as_str().unwrap();
        let res = crate::rig::client()
            .delete(a.url(&format!("/api/v1/admin/domain_blocks/{id}")))
            .bearer_auth(&modo.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let found = ana
            .json(&format!(
                "/api/v2/search?resolve=true&type=accounts&q={}",
                urlencode(&format!("@cy@{}", b.domain))
            ))
            .await;
        assert_eq!(search_accounts(&found), 1, "{found}");

        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limited_domain_reaches_followers_but_not_the_public_timeline() {
    for db_a in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db_a.backend);
        let db_b = TestDatabase::sqlite();
        let a = Instance::start(&db_a).await;
        let b = Instance::start(&db_b).await;
        let ana = User::new(&a, "ana").await;
        let dee = User::new(&a, "dee").await; // follows nobody
        let bo = User::new(&b, "bo").await;
        let modo = moderator(&a).await;
        follow(&ana, &format!("@bo@{}", b.domain)).await;

        let block = modo
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": b.domain, "severity": "silence", "public_comment": "noisy"}),
            )
            .await;
        assert_eq!(block["severity"], "silence");

        let post = bo
            .post(
                "/api/v1/statuses",
                json!({
                    "status": format!("limited hello @ana@{} @dee@{}", a.domain, a.domain),
                    "visibility": "public"
                }),
            )
            .await;
        let uri = post["uri"].as_str().unwrap().to_owned();
        // Followers get it …
        eventually("bo's post in ana's home", || async {
            let home = ana.json("/api/v1/timelines/home").await;
            home.as_array()
                .unwrap()
                .iter()
                .any(|s| s["uri"] == uri.as_str())
                .then_some(())
        })
        .await;
        // … and ana, who follows bo, is notified of the mention; dee, who does not, is not.
        eventually("ana's mention notification", || async {
            let n = ana.json("/api/v1/notifications").await;
            (!n.as_array().unwrap().is_empty()).then_some(())
        })
        .await;
        let n = dee.json("/api/v1/notifications").await;
        assert_eq!(n.as_array().unwrap().len(), 0, "{n}");
        // … but it is not on the public timeline (neither the whole one nor the remote one).
        for path in [
            "/api/v1/timelines/public",
            "/api/v1/timelines/public?remote=true",
        ] {
            let public = dee.json(path).await;
            assert!(
                !public.to_string().contains(&uri),
                "{path} shows a limited domain's post: {public}"
            );
        }

        // Lifting the limit puts it back.
        let id = block["id"].as_str().unwrap().to_owned();
        let res = crate::rig::client()
            .put(a.url(&format!("/api/v1/admin/domain_blocks/{id}")))
            .bearer_auth(&modo.token)
            .json(&json!({"severity": "noop"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let public = dee.json("/api/v1/timelines/public").await;
        assert!(public.to_string().contains(&uri), "{public}");

        // The public list (open to all by default) shows limits and suspensions, not noops.
        let listed = dee.json("/api/v1/instance/domain_blocks").await;
        assert_eq!(listed.as_array().unwrap().len(), 0, "{listed}");

        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_list_mode_refuses_everyone_else() {
    for db_a in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db_a.backend);
        let db_b = TestDatabase::sqlite();
        let a = Instance::start_with(&db_a, |c| c.federation_mode = "allowlist".into()).await;
        let b = Instance::start(&db_b).await;
        let ana = User::new(&a, "ana").await;
        let bo = User::new(&b, "bo").await;
        let modo = moderator(&a).await;

        // A fetches nothing from B …
        let found = ana
            .json(&format!(
                "/api/v2/search?resolve=true&type=accounts&q={}",
                urlencode(&format!("@bo@{}", b.domain))
            ))
            .await;
        assert_eq!(search_accounts(&found), 0, "{found}");
        // … and B gets nothing from A: B's signed fetch of ana names a key on B, which A will
        // not fetch, so ana cannot be found from B …
        let found = bo
            .json(&format!(
                "/api/v2/search?resolve=true&type=accounts&q={}",
                urlencode(&format!("@ana@{}", a.domain))
            ))
            .await;
        assert_eq!(search_accounts(&found), 0, "{found}");
        // … and A's inbox refuses B's activities before looking at signatures.
        let res = crate::rig::client()
            .post(a.url("/inbox"))
            .header("content-type", "application/activity+json")
            .body(
                json!({
                    "id": format!("{}/x", b.base), "type": "Follow",
                    "actor": format!("{}/users/bo", b.base), "object": format!("{}/users/ana", a.base)
                })
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);

        // Once B is allowed it federates.
        let allowed = modo
            .post("/api/v1/admin/domain_allows", json!({"domain": b.domain}))
            .await;
        assert_eq!(allowed["domain"], b.domain.as_str());
        let listed = modo.json("/api/v1/admin/domain_allows").await;
        assert_eq!(listed.as_array().unwrap().len(), 1);
        follow(&ana, &format!("@bo@{}", b.domain)).await;
        let ana_at_b = bo.resolve(&format!("@ana@{}", a.domain)).await;
        bo.post(&format!("/api/v1/accounts/{ana_at_b}/follow"), json!({}))
            .await;
        eventually("bo's follow reaches A", || async {
            let me = ana.json("/api/v1/accounts/verify_credentials").await;
            (me["followers_count"] == 1).then_some(())
        })
        .await;

        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_domain_endpoints_need_a_moderator() {
    on_each_backend!(async |i: &Instance| {
        let plain = User::new(i, "plain").await;
        for (method, path) in [
            (reqwest::Method::GET, "/api/v1/admin/domain_blocks"),
            (reqwest::Method::POST, "/api/v1/admin/domain_blocks"),
            (reqwest::Method::GET, "/api/v1/admin/domain_blocks/export"),
            (reqwest::Method::GET, "/api/v1/admin/domain_allows"),
        ] {
            let no_token = crate::rig::client()
                .request(method.clone(), i.url(path))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(no_token, 401, "{method} {path} without a token");
        }
        // A plain user whose token has the admin scopes is still refused.
        let account = i.create_user("sneaky", "correct horse").await;
        let sneaky = i.token(&account, MOD_SCOPES).await;
        for path in [
            "/api/v1/admin/domain_blocks",
            "/api/v1/admin/domain_blocks/export",
            "/api/v1/admin/domain_allows",
        ] {
            let res = crate::rig::client()
                .get(i.url(path))
                .bearer_auth(&sneaky)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "GET {path} as a plain user");
        }
        let res = crate::rig::client()
            .post(i.url("/api/v1/admin/domain_blocks"))
            .bearer_auth(&sneaky)
            .json(&json!({"domain": "x.example", "severity": "suspend"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        // A plain token (no admin scope) gets 403 from the scope gate.
        assert_eq!(
            plain
                .status_code(reqwest::Method::GET, "/api/v1/admin/domain_blocks")
                .await,
            403
        );
        let listed = i
            .context
            .db
            .read(kith_storage::domain_policies::list)
            .await
            .unwrap();
        assert!(listed.is_empty());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocklist_csv_moves_between_instances_and_bad_rows_apply_nothing() {
    for db_a in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db_a.backend);
        let db_b = TestDatabase::sqlite();
        let a = Instance::start(&db_a).await;
        let b = Instance::start(&db_b).await;
        let mod_a = moderator(&a).await;
        let mod_b = moderator(&b).await;
        for body in [
            json!({"domain": "spam.example", "severity": "suspend", "public_comment": "spam, \"lots\"",
                   "private_comment": "not exported"}),
            json!({"domain": "loud.example", "severity": "silence", "reject_media": true, "obfuscate": true}),
            json!({"domain": "pics.example", "severity": "noop", "reject_media": true, "reject_reports": true}),
        ] {
            mod_a.post("/api/v1/admin/domain_blocks", body).await;
        }
        let csv = mod_a
            .get("/api/v1/admin/domain_blocks/export")
            .await
            .text()
            .await
            .unwrap();
        assert!(csv.starts_with(
            "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate"
        ));
        assert!(!csv.contains("not exported"));

        // A malformed file: every bad line named, nothing applied.
        let bad = format!(
            "{csv}ok.example,suspend,false,false,,false\nbad domain!,suspend\nx.example,banish\n"
        );
        let res = crate::rig::client()
            .post(b.url("/api/v1/admin/domain_blocks/import"))
            .bearer_auth(&mod_b.token)
            .json(&json!({ "csv": bad }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let err = res.text().await.unwrap();
        assert!(err.contains("line 6") && err.contains("line 7"), "{err}");
        assert!(!err.contains("line 5"), "{err}");
        let listed = mod_b.json("/api/v1/admin/domain_blocks").await;
        assert_eq!(listed.as_array().unwrap().len(), 0, "{listed}");

        // The good file gives B the same policies …
        mod_b
            .post("/api/v1/admin/domain_blocks/import", json!({ "csv": csv }))
            .await;
        let shape = |list: Value| {
            let mut rows: Vec<Value> = list
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    json!([
                        p["domain"],
                        p["severity"],
                        p["reject_media"],
                        p["reject_reports"],
                        p["public_comment"],
                        p["obfuscate"]
                    ])
                })
                .collect();
            rows.sort_by_key(|r| r[0].as_str().unwrap().to_owned());
            rows
        };
        let on_a = shape(mod_a.json("/api/v1/admin/domain_blocks").await);
        let on_b = shape(mod_b.json("/api/v1/admin/domain_blocks").await);
        assert_eq!(on_a, on_b);
        // … with the same effect.
        for (domain, refused) in [
            ("spam.example", true),
            ("sub.spam.example", true),
            ("loud.example", false),
        ] {
            let d = domain.to_owned();
            let on_b = b
                .context
                .db
                .read(move |c| kith_core::domain_policy::refuses(c, &d, false))
                .await
                .unwrap();
            assert_eq!(on_b, refused, "{domain}");
        }
        a.stop().await;
        b.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_domain_block_change_is_in_the_audit_log_as_the_moderator() {
    on_each_backend!(async |i: &Instance| {
        let modo = moderator(i).await;
        let block = modo
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": "spam.example", "severity": "silence",
                       "private_comment": "spam wave"}),
            )
            .await;
        let id = block["id"].as_str().unwrap().to_owned();
        let res = crate::rig::client()
            .put(i.url(&format!("/api/v1/admin/domain_blocks/{id}")))
            .bearer_auth(&modo.token)
            .json(&json!({"severity": "suspend"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = crate::rig::client()
            .delete(i.url(&format!("/api/v1/admin/domain_blocks/{id}")))
            .bearer_auth(&modo.token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);

        let log = modo.json("/api/v1/admin/audit_log").await;
        let actions: Vec<&str> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "destroy_domain_block",
                "update_domain_block",
                "create_domain_block"
            ],
            "{log}"
        );
        for e in log.as_array().unwrap() {
            assert_eq!(e["account_id"], modo.id, "{e}");
            assert_eq!(e["target_type"], "domain", "{e}");
            assert_eq!(e["target_id"], "spam.example", "{e}");
        }
        assert_eq!(log[2]["reason"], "spam wave", "{log}");
    });
}

fn kith_cli(db: &TestDatabase, dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kith"))
        .args(args)
        .current_dir(dir)
        .env("KITH_DATABASE_URL", &db.url)
        .env("KITH_DOMAIN", "social.example")
        .env_remove("KITH_CONFIG")
        .env_remove("KITH_DEV_MODE")
        .output()
        .expect("run kith")
}

#[test]
fn the_cli_exports_and_imports_blocklists_all_or_nothing() {
    for db in TestDatabase::each_backend() {
        let other = TestDatabase::sqlite();
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.csv");
        std::fs::write(
            &good,
            "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
             spam.example,suspend,false,false,\"Spam, lots\",false\n\
             loud.example,limit,true,false,,true\n",
        )
        .unwrap();
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "#domain,#severity\nfine.example,suspend\nnot a domain,suspend\nx.example,banish\n",
        )
        .unwrap();

        for d in [&db, &other] {
            let out = kith_cli(
                d,
                dir.path(),
                &[
                    "admin",
                    "create-user",
                    "root",
                    "--password",
                    "long enough",
                    "--role",
                    "admin",
                ],
            );
            assert!(out.status.success(), "{out:?}");
        }
        // An import needs a staff member to act as.
        let out = kith_cli(
            &db,
            dir.path(),
            &["admin", "domain-blocks", "import", "good.csv"],
        );
        assert!(!out.status.success());
        let out = kith_cli(
            &db,
            dir.path(),
            &[
                "admin",
                "domain-blocks",
                "import",
                "bad.csv",
                "--as",
                "root",
            ],
        );
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("line 3") && err.contains("line 4"), "{err}");
        let out = kith_cli(&db, dir.path(), &["admin", "domain-blocks", "export", "-"]);
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            1,
            "nothing applied"
        );

        let out = kith_cli(
            &db,
            dir.path(),
            &[
                "admin",
                "domain-blocks",
                "import",
                "good.csv",
                "--as",
                "root",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = kith_cli(
            &db,
            dir.path(),
            &["admin", "domain-blocks", "export", "out.csv"],
        );
        assert!(out.status.success());
        let out = kith_cli(
            &other,
            dir.path(),
            &[
                "admin",
                "domain-blocks",
                "import",
                "out.csv",
                "--as",
                "root",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let first = kith_cli(&db, dir.path(), &["admin", "domain-blocks", "export", "-"]).stdout;
        let second = kith_cli(
            &other,
            dir.path(),
            &["admin", "domain-blocks", "export", "-"],
        )
        .stdout;
        let sorted = |b: Vec<u8>| {
            let mut l: Vec<String> = String::from_utf8(b)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect();
            l.sort();
            l
        };
        let (first, second) = (sorted(first), sorted(second));
        assert_eq!(first, second);
        assert_eq!(first.len(), 3);
        // Each imported block is in the audit log, as root's.
        let out = kith_cli(&other, dir.path(), &["admin", "audit-log"]);
        let log = String::from_utf8_lossy(&out.stdout);
        assert_eq!(log.matches("create_domain_block").count(), 2, "{log}");
        assert!(log.contains("root"), "{log}");
        assert!(first
            .iter()
            .any(|l| l.starts_with("loud.example,silence,true")));
    }
}
