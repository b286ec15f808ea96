//! The Mastodon client API endpoints of the first issue: instance, accounts.

use crate::on_each_backend;
use crate::rig::{client, Instance};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_documents_answer_with_and_without_slash() {
    on_each_backend!(async |i: &Instance| {
        let c = client();
        for path in ["/api/v1/instance", "/api/v1/instance/"] {
            let v1: Value = c
                .get(i.url(path))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v1["uri"], i.domain);
            assert!(v1["version"]
                .as_str()
                .unwrap()
                .starts_with("4.3.0 (compatible; Kith "));
        }
        for path in ["/api/v2/instance", "/api/v2/instance/"] {
            let v2: Value = c
                .get(i.url(path))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(v2["domain"], i.domain);
            assert!(v2["api_versions"]["mastodon"].as_i64().unwrap() >= 2);
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_read_and_edited_through_the_api() {
    on_each_backend!(async |i: &Instance| {
        let ana = i.create_user("ana", "correct horse").await;
        let token = i.token(&ana, "read write").await;
        let c = client();

        let me: Value = c
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["id"], ana.id.to_string());
        assert_eq!(me["acct"], "ana");
        assert_eq!(me["url"], i.url("/@ana"));
        assert_eq!(me["source"]["privacy"], "public");
        assert_eq!(me["role"]["permissions"], "65536");

        // Form with Rails-style booleans, as Mastodon.py sends.
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .form(&[
                ("display_name", "Ana B."),
                ("note", "Gardener.\nBirds & bees."),
                ("locked", "1"),
                ("stray", "ignored"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["display_name"], "Ana B.");
        assert_eq!(me["note"], "<p>Gardener.<br>Birds &amp; bees.</p>");
        assert_eq!(me["source"]["note"], "Gardener.\nBirds & bees.");
        assert_eq!(me["locked"], true);
        // JSON, as masto and megalodon send.
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"locked": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.json::<Value>().await.unwrap()["locked"], false);
        // The actor document follows the profile.
        let actor: Value = c
            .get(i.url("/users/ana"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(actor["name"], "Ana B.");
        assert_eq!(actor["summary"], "<p>Gardener.<br>Birds &amp; bees.</p>");

        // Refused edits change nothing.
        let long = "x".repeat(31);
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .form(&[("display_name", long.as_str()), ("note", "changed")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .form(&[("locked", "perhaps")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let me: Value = c
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["display_name"], "Ana B.");
        assert_eq!(me["source"]["note"], "Gardener.\nBirds & bees.");

        // Public reads.
        let shown: Value = c
            .get(i.url(&format!("/api/v1/accounts/{}", ana.id)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(shown["username"], "ana");
        assert!(shown.get("source").is_none(), "private fields stay private");
        for acct in ["ana", "@ana", &format!("ana@{}", i.domain)] {
            let found = c
                .get(i.url("/api/v1/accounts/lookup"))
                .query(&[("acct", acct)])
                .send()
                .await
                .unwrap();
            assert_eq!(found.status(), 200, "{acct}");
        }
        for (path, status) in [
            ("/api/v1/accounts/lookup?acct=nobody".to_owned(), 404),
            ("/api/v1/accounts/lookup".to_owned(), 400),
            ("/api/v1/accounts/123".to_owned(), 404),
            ("/api/v1/accounts/not-a-number".to_owned(), 404),
        ] {
            assert_eq!(
                c.get(i.url(&path)).send().await.unwrap().status(),
                status,
                "{path}"
            );
        }
        // No token, a bad token, the wrong scheme.
        assert_eq!(
            c.get(i.url("/api/v1/accounts/verify_credentials"))
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        assert_eq!(
            c.get(i.url("/api/v1/accounts/verify_credentials"))
                .bearer_auth("nope")
                .send()
                .await
                .unwrap()
                .status(),
            401
        );
        let basic = c
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .header("authorization", "Basic YTpi")
            .send()
            .await
            .unwrap();
        assert_eq!(basic.status(), 401);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_edits_arrive_as_multipart_too() {
    on_each_backend!(async |i: &Instance| {
        let ana = i.create_user("ana", "correct horse").await;
        let token = i.token(&ana, "write:accounts read:accounts").await;
        let c = client();
        let form = reqwest::multipart::Form::new()
            .text("display_name", "Ana (multipart)")
            .text("note", "from masto")
            .text("locked", "true");
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let me: Value = res.json().await.unwrap();
        assert_eq!(me["display_name"], "Ana (multipart)");
        assert_eq!(me["locked"], true);
        // Image uploads need media storage, which Kith does not have yet: refused, nothing changed.
        let part = reqwest::multipart::Part::bytes(vec![0u8; 16])
            .file_name("a.png")
            .mime_str("image/png")
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("display_name", "changed")
            .part("avatar", part);
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let big = reqwest::multipart::Form::new().text("note", "x".repeat(100 * 1024));
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .multipart(big)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 413);
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .header("content-type", "text/plain")
            .body("display_name=x")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415);
        let me: Value = c
            .get(i.url("/api/v1/accounts/verify_credentials"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(me["display_name"], "Ana (multipart)");
    });
}

fn link(res: &reqwest::Response, rel: &str) -> String {
    let header = res.headers()["link"].to_str().unwrap().to_owned();
    let part = header
        .split(", ")
        .find(|p| p.ends_with(&format!("rel=\"{rel}\"")))
        .unwrap()
        .to_owned();
    part.trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timelines_are_chronological_and_paginate_with_link_headers() {
    on_each_backend!(async |i: &Instance| {
        let ana = crate::rig::User::new(i, "ana").await;
        let mut ids = Vec::new();
        for n in 0..5 {
            let s = ana
                .post(
                    "/api/v1/statuses",
                    serde_json::json!({"status": format!("post {n}")}),
                )
                .await;
            ids.push(s["id"].as_str().unwrap().to_owned());
        }
        ids.reverse(); // newest first
        let c = client();
        for path in [
            format!("/api/v1/accounts/{}/statuses", ana.id),
            "/api/v1/timelines/home".to_owned(),
            "/api/v1/timelines/public?local=true".to_owned(),
        ] {
            let first = c
                .get(i.url(&format!(
                    "{path}{}limit=2",
                    if path.contains('?') { "&" } else { "?" }
                )))
                .bearer_auth(&ana.token)
                .send()
                .await
                .unwrap();
            let next = link(&first, "next");
            let page1: Vec<String> = first
                .json::<Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(page1, ids[0..2], "{path}");
            assert!(
                next.contains(&format!("max_id={}", ids[1])) && next.contains("limit=2"),
                "{next}"
            );
            let second = c.get(&next).bearer_auth(&ana.token).send().await.unwrap();
            let prev = link(&second, "prev");
            let page2: Vec<String> = second
                .json::<Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(page2, ids[2..4], "{path}");
            // min_id: the page right after, newest first.
            let back: Vec<String> = c
                .get(&prev)
                .bearer_auth(&ana.token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(back, ids[0..2], "{path} prev");
            let since: Vec<String> = c
                .get(i.url(&format!(
                    "{path}{}since_id={}",
                    if path.contains('?') { "&" } else { "?" },
                    ids[1]
                )))
                .bearer_auth(&ana.token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(since, ids[0..1], "{path} since_id");
        }
        // The ActivityPub outbox pages the same posts as Create activities, newest first.
        let accept = ("accept", "application/activity+json");
        let outbox: Value = c
            .get(i.url("/users/ana/outbox"))
            .header(accept.0, accept.1)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(outbox["totalItems"], 5);
        let page: Value = c
            .get(outbox["first"].as_str().unwrap())
            .header(accept.0, accept.1)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["type"], "OrderedCollectionPage");
        assert_eq!(page["partOf"], i.url("/users/ana/outbox"));
        assert_eq!(page["orderedItems"].as_array().unwrap().len(), 5);
        assert_eq!(page["orderedItems"][0]["type"], "Create");
        assert!(page["orderedItems"][0]["object"]["content"]
            .as_str()
            .unwrap()
            .contains("post 4"));
        assert!(
            page.get("next").is_none(),
            "a page that is not full offers no next"
        );
    });
}

/// Issue 9, item 17: a profile edit and its `Update(Person)` commit together. While recording
/// the activity fails (a trigger refuses outbox rows), the edit fails and leaves the profile as
/// it was; once it succeeds, the edit and exactly one `Update` exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_edit_commits_with_its_update_activity() {
    use diesel::prelude::*;
    on_each_backend!(async |i: &Instance| {
        let ana = crate::rig::User::new(i, "ana").await;
        let follower = crate::delivery::remote(9, 1);
        let ana_id: i64 = ana.id.parse().unwrap();
        i.context
            .db
            .write(move |c| {
                kith_storage::accounts::insert(c, &follower)?;
                kith_storage::follows::insert(
                    c,
                    &kith_storage::follows::Follow {
                        id: kith_storage::id::new_id(),
                        account_id: follower.id,
                        target_account_id: ana_id,
                        ap_id: format!("{}#follow", follower.ap_id),
                        accepted: true,
                        created_at: kith_storage::now(),
                    },
                )
            })
            .await
            .unwrap();
        let updates = || async {
            i.context
                .db
                .read(|c| {
                    use kith_storage::schema::outbox_activities as o;
                    Ok(o::table
                        .filter(o::body.like("%\"Update\"%"))
                        .select(o::body)
                        .load::<String>(c)?)
                })
                .await
                .unwrap()
        };
        let edit = |name: &'static str| {
            client()
                .patch(i.url("/api/v1/accounts/update_credentials"))
                .bearer_auth(&ana.token)
                .form(&[("display_name", name)])
                .send()
        };

        let postgres = i.context.db.backend() == kith_storage::Backend::Postgres;
        i.context
            .db
            .write(move |c| {
                let sql = if postgres {
                    vec![
                        "CREATE FUNCTION refuse_outbox() RETURNS trigger AS $$ \
                         BEGIN RAISE EXCEPTION 'outbox refused'; END $$ LANGUAGE plpgsql",
                        "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox_activities \
                         FOR EACH ROW EXECUTE FUNCTION refuse_outbox()",
                    ]
                } else {
                    vec![
                        "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox_activities \
                         BEGIN SELECT RAISE(ABORT, 'outbox refused'); END",
                    ]
                };
                for s in sql {
                    diesel::sql_query(s).execute(c)?;
                }
                Ok(())
            })
            .await
            .unwrap();
        let res = edit("Ana Refused").await.unwrap();
        assert_eq!(res.status(), 500);
        let me = ana.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["display_name"], "", "the edit was rolled back");
        assert!(updates().await.is_empty());

        i.context
            .db
            .write(|c| {
                diesel::sql_query("DROP TRIGGER refuse_outbox ON outbox_activities")
                    .execute(c)
                    .or_else(|_| diesel::sql_query("DROP TRIGGER refuse_outbox").execute(c))?;
                Ok(())
            })
            .await
            .unwrap();
        let res = edit("Ana Kept").await.unwrap();
        assert_eq!(res.status(), 200);
        let me = ana.json("/api/v1/accounts/verify_credentials").await;
        assert_eq!(me["display_name"], "Ana Kept");
        let sent = updates().await;
        assert_eq!(sent.len(), 1);
        assert!(sent[0].contains("Ana Kept"));
    });
}

/// One mapping from errors to HTTP: what a person may not do is 403 with the reason, whichever
/// endpoint refuses it (following or blocking oneself, boosting a followers-only post used to
/// be 403, 422 and 422).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_actions_answer_403_with_their_reason_on_every_endpoint() {
    on_each_backend!(async |i: &Instance| {
        let ana = crate::rig::User::new(i, "ana").await;
        let private = ana
            .post(
                "/api/v1/statuses",
                serde_json::json!({"status": "for followers", "visibility": "private"}),
            )
            .await;
        let private_id = private["id"].as_str().unwrap();
        for (path, reason) in [
            (
                format!("/api/v1/accounts/{}/follow", ana.id),
                "you cannot follow yourself",
            ),
            (
                format!("/api/v1/accounts/{}/block", ana.id),
                "you cannot block yourself",
            ),
            (
                format!("/api/v1/statuses/{private_id}/reblog"),
                "only public and unlisted posts can be boosted",
            ),
        ] {
            let res = client()
                .post(i.url(&path))
                .bearer_auth(&ana.token)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 403, "{path}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"], reason, "{path}");
        }
    });
}
