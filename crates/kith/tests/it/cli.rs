//! The command line: `kith admin create-user`, `kith admin token`, `kith migrate`, and clear
//! errors with a non-zero exit for bad input.

use kith_storage::testing::TestDatabase;
use std::process::{Command, Output};

fn kith(db: &TestDatabase, dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kith"));
    cmd.args(args)
        .current_dir(dir)
        .env("KITH_DATABASE_URL", &db.url)
        .env("KITH_DOMAIN", "social.example")
        .env_remove("KITH_CONFIG")
        .env_remove("KITH_DEV_MODE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run kith")
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

#[test]
fn admin_commands_create_users_and_tokens() {
    for db in TestDatabase::each_backend() {
        let dir = tempfile::tempdir().unwrap();
        let out = kith(&db, dir.path(), &["migrate"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));

        let out = kith(
            &db,
            dir.path(),
            &[
                "admin",
                "create-user",
                "ana",
                "--password",
                "correct horse",
                "--email",
                "ana@mail.example",
                "--role",
                "admin",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), "https://social.example/users/ana");

        let out = kith(
            &db,
            dir.path(),
            &["admin", "token", "ana", "--scopes", "read write"],
            &[],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let token = text(&out.stdout);
        let token = token.trim();
        assert!(
            token.len() >= 40 && !token.contains(char::is_whitespace),
            "{token:?}"
        );
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = db.open();
        let auth = rt
            .block_on(kith_core::tokens::authenticate(&store, token))
            .unwrap()
            .expect("token valid");
        assert_eq!(auth.account.unwrap().username, "ana");
        assert!(auth.scopes.allows("write:statuses"));

        // The token belongs to the one "kith admin token" application, which
        // verify_credentials shows; a second token shares it.
        let out = kith(&db, dir.path(), &["admin", "token", "ana"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let second = text(&out.stdout).trim().to_owned();
        let second_auth = rt
            .block_on(kith_core::tokens::authenticate(&store, &second))
            .unwrap()
            .expect("second token valid");
        assert!(auth.token.app_id.is_some());
        assert_eq!(second_auth.token.app_id, auth.token.app_id);
        rt.block_on(async {
            let i = crate::rig::Instance::start_with(&db, |c| {
                c.domain = "social.example".into();
                c.dev_mode = false;
            })
            .await;
            for t in [token, second.as_str()] {
                let res = crate::rig::client()
                    .get(i.url("/api/v1/apps/verify_credentials"))
                    .bearer_auth(t)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 200);
                let app: serde_json::Value = res.json().await.unwrap();
                assert_eq!(app["name"], "kith admin token", "{app}");
            }
            i.stop().await;
        });

        // Bad input: clear message, non-zero exit, nothing written.
        let count = || {
            let store = db.open();
            rt.block_on(store.read(kith_storage::accounts::count_local_people))
                .unwrap()
        };
        for (args, needle) in [
            (
                vec!["admin", "create-user", "ana", "--password", "correct horse"],
                "already taken",
            ),
            (
                vec!["admin", "create-user", "ANA", "--password", "correct horse"],
                "already taken",
            ),
            (
                vec![
                    "admin",
                    "create-user",
                    "bo",
                    "--password",
                    "correct horse",
                    "--email",
                    "ANA@mail.example",
                ],
                "email is already taken",
            ),
            (
                vec!["admin", "create-user", "b@d", "--password", "correct horse"],
                "may only contain",
            ),
            (
                vec!["admin", "create-user", "bo", "--password", "short"],
                "at least 8",
            ),
            (
                vec![
                    "admin",
                    "create-user",
                    "bo",
                    "--password",
                    "correct horse",
                    "--role",
                    "king",
                ],
                "role must be",
            ),
            (
                vec![
                    "admin",
                    "create-user",
                    "bo",
                    "--password",
                    "correct horse",
                    "--email",
                    "nope",
                ],
                "not an email",
            ),
            (vec!["admin", "token", "nobody"], "no local user"),
            (
                vec!["admin", "token", "ana", "--scopes", "root"],
                "unknown scope",
            ),
        ] {
            let out = kith(&db, dir.path(), &args, &[]);
            assert!(!out.status.success(), "{args:?} succeeded");
            let err = text(&out.stderr);
            assert!(err.contains(needle), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
        assert_eq!(count(), 1);
    }
}

#[test]
fn bad_configuration_and_unreachable_databases_fail_cleanly() {
    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    for (env, needle) in [
        (vec![("KITH_BIND", "nowhere")], "invalid bind address"),
        (
            vec![("KITH_DOMAIN", "https://social.example/")],
            "invalid domain",
        ),
        (
            vec![("KITH_DEV_MODE", "sometimes")],
            "invalid configuration",
        ),
        (
            vec![("KITH_DATABASE_URL", "postgres://postgres@127.0.0.1:1/none")],
            "cannot open database",
        ),
    ] {
        let out = kith(&db, dir.path(), &["migrate"], &env);
        assert!(!out.status.success(), "{env:?}");
        let err = text(&out.stderr);
        assert!(err.contains(needle), "{env:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = kith(
        &db,
        dir.path(),
        &["--config", "missing.toml", "migrate"],
        &[],
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("does not exist"));
    let help = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("--help")
        .output()
        .unwrap();
    let help = text(&help.stdout);
    for cmd in ["serve", "migrate", "admin"] {
        assert!(help.contains(cmd), "{help}");
    }
}

#[test]
fn the_base_url_is_fixed_by_the_first_start_and_other_configurations_are_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in TestDatabase::each_backend() {
        let dir = tempfile::tempdir().unwrap();
        let people = || {
            let store = db.open();
            rt.block_on(store.read(kith_storage::accounts::count_local_people))
                .unwrap()
        };
        let create = ["admin", "create-user", "ana", "--password", "correct horse"];
        // A port in use: a `serve` that got past the check would fail there, not hang.
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let bind = taken.local_addr().unwrap().to_string();
        // The first command records https://social.example/ (no dev mode).
        let out = kith(&db, dir.path(), &["migrate"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        for (env, hint) in [
            (
                vec![("KITH_DEV_MODE", "true")],
                "started without KITH_DEV_MODE (https): leave it unset",
            ),
            (
                vec![("KITH_DOMAIN", "other.example")],
                "started with KITH_DOMAIN=social.example",
            ),
        ] {
            let env = [env, vec![("KITH_BIND", bind.as_str())]].concat();
            for args in [&create[..], &["migrate"], &["serve"]] {
                let out = kith(&db, dir.path(), args, &env);
                assert!(!out.status.success(), "{args:?} {env:?} succeeded");
                let err = text(&out.stderr);
                assert!(
                    err.contains(
                        "this database belongs to the instance at https://social.example/"
                    ) && err.contains(hint),
                    "{args:?} {env:?}: {err}"
                );
                assert!(!err.contains("panicked"), "{err}");
            }
        }
        assert_eq!(people(), 0, "nothing was made by a refused command");
        let out = kith(&db, dir.path(), &create, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout).trim(), "https://social.example/users/ana");
    }
}

#[test]
fn a_database_from_before_the_setting_is_judged_by_its_ids() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    for db in TestDatabase::each_backend() {
        let dir = tempfile::tempdir().unwrap();
        // Accounts made with https ids and no recorded base URL, as by an older Kith.
        let store = db.open();
        store.migrate().unwrap();
        let urls = kith_core::InstanceUrls::new("social.example", false).unwrap();
        rt.block_on(kith_core::accounts::create_local_user(
            &store,
            &urls,
            kith_core::accounts::NewLocalUser {
                username: "ana".into(),
                password: "correct horse".into(),
                email: None,
                role: kith_core::accounts::Role::User,
            },
        ))
        .unwrap();
        let out = kith(
            &db,
            dir.path(),
            &["admin", "token", "ana"],
            &[("KITH_DEV_MODE", "true")],
        );
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("belongs to the instance at https://social.example/")
                && err.contains("without KITH_DEV_MODE"),
            "{err}"
        );
        let out = kith(&db, dir.path(), &["admin", "token", "ana"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

#[test]
fn a_new_instance_with_no_accounts_says_how_to_make_the_first() {
    use std::io::BufRead;
    let db = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kith"))
        .arg("serve")
        .current_dir(dir.path())
        .env("KITH_DATABASE_URL", &db.url)
        .env("KITH_DOMAIN", format!("localhost:{port}"))
        .env("KITH_BIND", format!("127.0.0.1:{port}"))
        .env("KITH_DEV_MODE", "true")
        .env("NO_COLOR", "1")
        .env_remove("KITH_CONFIG")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut hint = None;
    // The hint comes before the server listens; stop reading at whichever comes first.
    for line in stderr.lines() {
        let line = line.unwrap();
        if line.contains("no accounts yet") {
            hint = Some(line);
            break;
        }
        if line.contains("Kith is listening") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let hint = hint.expect("a new instance names the next step");
    assert!(
        hint.contains("KITH_DEV_MODE=true cargo run --release -p kith -- admin create-user"),
        "{hint}"
    );
}

/// Issue 10: moderation from the command line, with the same rules and audit log as the API.
#[test]
fn admin_commands_moderate_accounts_reports_and_registrations() {
    for db in TestDatabase::each_backend() {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| kith(&db, dir.path(), args, &[]);
        let ok = |args: &[&str]| {
            let out = run(args);
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
            text(&out.stdout)
        };
        for (name, role) in [("ana", "admin"), ("max", "moderator"), ("bob", "user")] {
            ok(&[
                "admin",
                "create-user",
                name,
                "--password",
                "correct horse",
                "--role",
                role,
            ]);
        }
        ok(&[
            "admin", "account", "suspend", "bob", "--as", "max", "--reason", "spam",
        ]);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = db.open();
        let bob = rt
            .block_on(store.read(|c| kith_storage::accounts::local_by_username(c, "bob")))
            .unwrap();
        let may_sign_in = rt
            .block_on(store.read(move |c| kith_core::moderation::may_sign_in(c, bob.id)))
            .unwrap();
        assert!(!may_sign_in, "a suspended bob may not sign in");
        ok(&["admin", "account", "unsuspend", "bob", "--as", "max"]);
        ok(&["admin", "account", "limit", "bob", "--as", "max"]);

        // A moderator cannot act on an admin; a plain user cannot act at all.
        let out = run(&["admin", "account", "suspend", "ana", "--as", "max"]);
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("cannot act on an admin"),
            "{}",
            text(&out.stderr)
        );
        let out = run(&["admin", "account", "suspend", "max", "--as", "bob"]);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains("not an admin or a moderator"));

        let log = ok(&["admin", "audit-log"]);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 3, "{log}");
        assert!(lines[0].contains("\tmax\tsilence\taccount "), "{log}");
        assert!(lines[1].contains("\tmax\tunsuspend\taccount "), "{log}");
        assert!(
            lines[2].contains("\tmax\tsuspend\taccount ") && lines[2].ends_with("\tspam"),
            "{log}"
        );

        assert_eq!(ok(&["admin", "report", "list"]), "");
        assert_eq!(ok(&["admin", "registrations", "show"]).trim(), "closed");
        ok(&["admin", "registrations", "invite", "--as", "ana"]);
        assert_eq!(ok(&["admin", "registrations", "show"]).trim(), "invite");
        let code = ok(&[
            "admin",
            "invite",
            "--as",
            "ana",
            "--max-uses",
            "2",
            "--expires-in-hours",
            "24",
        ]);
        assert_eq!(code.trim().len(), 16, "{code:?}");

        ok(&["admin", "account", "delete", "bob", "--as", "ana"]);
        let log = ok(&["admin", "audit-log", "--limit", "1"]);
        assert!(log.contains("\tana\tdelete\taccount "), "{log}");
    }
}

#[test]
fn blocklist_and_cohort_commands_act_as_the_named_moderator() {
    for db in TestDatabase::each_backend() {
        let dir = tempfile::tempdir().unwrap();
        let out = kith(
            &db,
            dir.path(),
            &[
                "admin",
                "create-user",
                "modo",
                "--password",
                "correct horse",
                "--role",
                "moderator",
            ],
            &[],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let url = "https://trusted.example/api/v1/instance/domain_blocks";
        let args = [
            "admin",
            "blocklist",
            "subscribe",
            url,
            "--mode",
            "apply",
            "--as",
            "modo",
        ];
        let out = kith(&db, dir.path(), &args, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains(url));
        // The same list twice, a bad mode, or a plain name as actor: refused.
        let out = kith(&db, dir.path(), &args, &[]);
        assert!(!out.status.success());
        let out = kith(
            &db,
            dir.path(),
            &[
                "admin",
                "blocklist",
                "subscribe",
                "https://other.example/list.csv",
                "--mode",
                "ignore",
                "--as",
                "modo",
            ],
            &[],
        );
        assert!(!out.status.success());
        let out = kith(&db, dir.path(), &["admin", "blocklist", "list"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let listed = text(&out.stdout);
        assert!(listed.contains(url) && listed.contains("apply"), "{listed}");
        let id = listed.split('\t').next().unwrap().to_owned();
        let out = kith(&db, dir.path(), &["admin", "audit-log"], &[]);
        assert!(
            text(&out.stdout).contains("create_blocklist_subscription"),
            "{}",
            text(&out.stdout)
        );
        let out = kith(
            &db,
            dir.path(),
            &["admin", "blocklist", "unsubscribe", &id, "--as", "modo"],
            &[],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));

        let out = kith(&db, dir.path(), &["admin", "cohort", "list"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).is_empty());
        // No invitation from there: nothing to accept.
        let out = kith(
            &db,
            dir.path(),
            &[
                "admin",
                "cohort",
                "accept",
                "https://nobody.example/actor",
                "--as",
                "modo",
            ],
            &[],
        );
        assert!(!out.status.success());
    }
}
