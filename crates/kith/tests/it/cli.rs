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
