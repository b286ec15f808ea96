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
