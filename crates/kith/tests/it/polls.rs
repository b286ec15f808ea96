//! Polls: made through the API (JSON and form bodies), Mastodon's limits, voting rules, the
//! visibility rule on polls, hidden totals, closing at expiry with `poll` notifications; and
//! across two Kith instances (SQLite and PostgreSQL when both run), both ways: the `Question`
//! arrives with its options, a remote vote is counted and never shown as a reply, the author's
//! `Update(Question)` brings new counts and the close.

use crate::on_each_backend;
use crate::rig::{client, eventually, Instance, User};
use kith_storage::testing::TestDatabase;
use serde_json::{json, Value};

async fn send(u: &User, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
    let res = client()
        .request(method, format!("{}{path}", u.base))
        .bearer_auth(&u.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn poll_body(options: &[&str], expires_in: i64) -> Value {
    json!({"status": "which one?", "poll": {"options": options, "expires_in": expires_in}})
}

/// Ends a poll now, as if its time had passed (the poll job closes it on its next round).
async fn expire(i: &Instance, poll_id: &str) {
    let id: i64 = poll_id.parse().unwrap();
    let past = kith_storage::now() - chrono::Duration::seconds(1);
    i.context
        .db
        .write(move |c| kith_storage::polls::set_expires_at(c, id, Some(past)))
        .await
        .unwrap();
}

async fn has_poll_notification(u: &User, status_id: &str) -> bool {
    let notes = u.json("/api/v1/notifications").await;
    notes
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["type"] == "poll" && n["status"]["id"] == status_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_are_made_voted_in_and_closed() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bo = User::new(i, "bo").await;
        let cy = User::new(i, "cy").await;

        let status = ana
            .post(
                "/api/v1/statuses",
                poll_body(&["tea", "coffee", "water"], 600),
            )
            .await;
        let poll = &status["poll"];
        assert_eq!(poll["options"][1]["title"], "coffee", "{status}");
        assert_eq!(poll["options"][1]["votes_count"], 0);
        assert_eq!(poll["multiple"], false);
        assert_eq!(poll["expired"], false);
        assert_eq!(poll["voted"], true, "the author counts as having voted");
        assert!(poll["expires_at"].is_string());
        let poll_id = poll["id"].as_str().unwrap().to_owned();
        let status_id = status["id"].as_str().unwrap().to_owned();

        // Mastodon's limits, each a 422 with a message.
        for body in [
            poll_body(&["a", "b", "c", "d", "e"], 600),
            poll_body(&["a"], 600),
            poll_body(&["a", &"x".repeat(51)], 600),
            poll_body(&["a", "b"], 299),
            poll_body(&["a", "b"], 40 * 24 * 3600),
            poll_body(&["a", "a"], 600),
            json!({"status": "x", "poll": {"options": ["a", "b"]}}),
        ] {
            let (code, err) = send(&ana, reqwest::Method::POST, "/api/v1/statuses", body).await;
            assert_eq!(code, 422, "{err}");
            assert!(err["error"].is_string());
        }

        // A form body, as Mastodon.py and toot send it.
        let res = client()
            .post(i.url("/api/v1/statuses"))
            .bearer_auth(&ana.token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("status=form&poll%5Boptions%5D%5B%5D=yes&poll%5Boptions%5D%5B%5D=no&poll%5Bexpires_in%5D=300&poll%5Bmultiple%5D=true&poll%5Bhide_totals%5D=1")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let hidden: Value = res.json().await.unwrap();
        assert_eq!(hidden["poll"]["multiple"], true);
        assert_eq!(hidden["poll"]["options"][0]["title"], "yes");
        assert_eq!(
            hidden["poll"]["options"][0]["votes_count"],
            Value::Null,
            "hide_totals"
        );
        let hidden_id = hidden["poll"]["id"].as_str().unwrap().to_owned();

        // Voting.
        let voted = bo
            .post(
                &format!("/api/v1/polls/{poll_id}/votes"),
                json!({"choices": ["1"]}),
            )
            .await;
        assert_eq!(voted["voted"], true);
        assert_eq!(voted["own_votes"], json!([1]));
        assert_eq!(voted["options"][1]["votes_count"], 1);
        assert_eq!(voted["votes_count"], 1);
        assert_eq!(voted["voters_count"], 1);
        for (who, choices) in [
            (&bo, json!([0])),    // twice
            (&ana, json!([0])),   // own poll
            (&cy, json!([3])),    // no such option
            (&cy, json!([0, 1])), // single choice
            (&cy, json!([])),
        ] {
            let (code, err) = send(
                who,
                reqwest::Method::POST,
                &format!("/api/v1/polls/{poll_id}/votes"),
                json!({"choices": choices}),
            )
            .await;
            assert_eq!(code, 422, "{choices}: {err}");
        }
        let multi = cy
            .post(
                &format!("/api/v1/polls/{hidden_id}/votes"),
                json!({"choices": [0, 1]}),
            )
            .await;
        assert_eq!(multi["own_votes"], json!([0, 1]));
        assert_eq!(multi["votes_count"], 2);
        assert_eq!(multi["options"][0]["votes_count"], Value::Null);

        // Anonymous readers of a public poll see it without `voted`; the status carries it.
        let res = client()
            .get(i.url(&format!("/api/v1/polls/{poll_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let anon: Value = res.json().await.unwrap();
        assert!(anon.get("voted").is_none(), "{anon}");
        let seen = cy.json(&format!("/api/v1/statuses/{status_id}")).await;
        assert_eq!(seen["poll"]["id"], poll_id.as_str());
        assert_eq!(seen["poll"]["voted"], false);
        assert_eq!(seen["poll"]["own_votes"], json!([]));

        // A followers-only poll: someone who may not see it gets 404, for reading and voting.
        let mut private = poll_body(&["x", "y"], 600);
        private["visibility"] = json!("private");
        let private = ana.post("/api/v1/statuses", private).await;
        let private_poll = private["poll"]["id"].as_str().unwrap();
        assert_eq!(
            cy.status_code(
                reqwest::Method::GET,
                &format!("/api/v1/polls/{private_poll}")
            )
            .await,
            404
        );
        let (code, _) = send(
            &cy,
            reqwest::Method::POST,
            &format!("/api/v1/polls/{private_poll}/votes"),
            json!({"choices": [0]}),
        )
        .await;
        assert_eq!(code, 404);
        assert_eq!(
            cy.status_code(reqwest::Method::GET, "/api/v1/polls/12345")
                .await,
            404
        );

        // At its end the poll job closes it: voters and the author hear of it, and no one can
        // vote any more.
        expire(i, &poll_id).await;
        eventually("poll notification to the voter", || async {
            has_poll_notification(&bo, &status_id).await.then_some(())
        })
        .await;
        eventually("poll notification to the author", || async {
            has_poll_notification(&ana, &status_id).await.then_some(())
        })
        .await;
        assert!(
            !has_poll_notification(&cy, &status_id).await,
            "cy did not vote"
        );
        let closed = ana.json(&format!("/api/v1/polls/{poll_id}")).await;
        assert_eq!(closed["expired"], true);
        let (code, _) = send(
            &cy,
            reqwest::Method::POST,
            &format!("/api/v1/polls/{poll_id}/votes"),
            json!({"choices": [0]}),
        )
        .await;
        assert_eq!(code, 422);
        // Hidden totals show once the poll has ended.
        expire(i, &hidden_id).await;
        let shown = eventually("hidden poll closed", || async {
            let p = cy.json(&format!("/api/v1/polls/{hidden_id}")).await;
            (p["expired"] == true).then_some(p)
        })
        .await;
        assert_eq!(shown["options"][0]["votes_count"], 1);
        // An edit that sends the same options keeps the poll and its votes; as on Mastodon,
        // an edit without `poll` removes it.
        let path = format!("/api/v1/statuses/{status_id}");
        let before = ana.json(&format!("/api/v1/polls/{poll_id}")).await;
        let (code, edited) = send(
            &ana,
            reqwest::Method::PUT,
            &path,
            json!({"status": "edited", "poll": {"options": ["tea", "coffee", "water"], "expires_in": 600}}),
        )
        .await;
        assert_eq!(code, 200, "{edited}");
        assert_eq!(edited["poll"]["id"], poll_id.as_str(), "{edited}");
        assert_eq!(edited["poll"]["options"], before["options"], "{edited}");
        assert_eq!(edited["poll"]["votes_count"], 1, "{edited}");
        assert_eq!(
            edited["poll"]["expired"], true,
            "an ended poll stays ended: {edited}"
        );
        let (code, _) = send(
            &ana,
            reqwest::Method::PUT,
            &path,
            json!({"status": "edited", "media_ids": [], "poll": {"options": ["a"], "expires_in": 600}}),
        )
        .await;
        assert_eq!(code, 422, "an edited poll keeps the limits");
        let (code, edited) = send(
            &ana,
            reqwest::Method::PUT,
            &path,
            json!({"status": "no poll"}),
        )
        .await;
        assert_eq!(code, 200);
        assert_eq!(edited["poll"], Value::Null, "{edited}");
        let (code, _) = send(
            &cy,
            reqwest::Method::POST,
            &format!("/api/v1/polls/{poll_id}/votes"),
            json!({"choices": [0]}),
        )
        .await;
        assert_eq!(code, 404, "the removed poll is gone");
    });
}

fn two_databases() -> (TestDatabase, TestDatabase) {
    let mut dbs = TestDatabase::each_backend();
    let b = if dbs.len() > 1 {
        dbs.pop().unwrap()
    } else {
        TestDatabase::sqlite()
    };
    (dbs.pop().unwrap(), b)
}

/// The local copy, on `viewer`'s instance, of the post with this uri once it is in its home.
async fn arrives_home(viewer: &User, uri: &str) -> Value {
    eventually(&format!("{uri} in home"), || async {
        let home = viewer.json("/api/v1/timelines/home?limit=40").await;
        home.as_array()
            .unwrap()
            .iter()
            .find(|s| s["uri"] == uri)
            .cloned()
    })
    .await
}

/// Follows `handle` and waits for the Accept.
async fn follow(u: &User, handle: &str) -> String {
    let id = u.resolve(handle).await;
    u.post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .await;
    eventually("accepted", || async {
        let rels = u
            .json(&format!("/api/v1/accounts/relationships?id[]={id}"))
            .await;
        (rels[0]["following"] == true).then_some(())
    })
    .await;
    id
}

/// Ana (on `a`) posts a poll that bo (on `b`, a follower) votes in, with cy (on `a`) voting too.
async fn poll_across(a: &Instance, b: &Instance, ana: &User, cy: &User, bo: &User) {
    let status = ana
        .post("/api/v1/statuses", poll_body(&["left", "right"], 600))
        .await;
    let local_poll = status["poll"]["id"].as_str().unwrap().to_owned();
    let status_id = status["id"].as_str().unwrap().to_owned();
    let uri = status["uri"].as_str().unwrap();
    let there = arrives_home(bo, uri).await;
    assert_eq!(there["poll"]["options"][1]["title"], "right", "{there}");
    assert_eq!(there["poll"]["expired"], false);
    assert_eq!(there["poll"]["multiple"], false);
    let remote_poll = there["poll"]["id"].as_str().unwrap().to_owned();
    let remote_status = there["id"].as_str().unwrap().to_owned();

    // Bo votes on his instance; it is counted there at once and sent to ana's.
    let voted = bo
        .post(
            &format!("/api/v1/polls/{remote_poll}/votes"),
            json!({"choices": [1]}),
        )
        .await;
    assert_eq!(voted["own_votes"], json!([1]));
    assert_eq!(voted["options"][1]["votes_count"], 1);
    eventually("bo's vote counted by the author's instance", || async {
        let p = ana.json(&format!("/api/v1/polls/{local_poll}")).await;
        (p["options"][1]["votes_count"] == 1).then_some(())
    })
    .await;
    // The vote is no reply: not in the thread, not counted as one, no mention.
    let ctx = ana
        .json(&format!("/api/v1/statuses/{status_id}/context"))
        .await;
    assert_eq!(ctx["descendants"], json!([]), "{ctx}");
    let st = ana.json(&format!("/api/v1/statuses/{status_id}")).await;
    assert_eq!(st["replies_count"], 0);
    let notes = ana.json("/api/v1/notifications").await;
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["type"] != "mention"),
        "{notes}"
    );

    // Cy votes on the author's instance: the Update(Question) brings the count to bo's.
    cy.post(
        &format!("/api/v1/polls/{local_poll}/votes"),
        json!({"choices": [0]}),
    )
    .await;
    eventually("the new count reaches bo's instance", || async {
        let p = bo.json(&format!("/api/v1/polls/{remote_poll}")).await;
        (p["options"][0]["votes_count"] == 1 && p["options"][1]["votes_count"] == 1).then_some(())
    })
    .await;
    // Counts are no edit.
    let st = bo.json(&format!("/api/v1/statuses/{remote_status}")).await;
    assert_eq!(st["edited_at"], Value::Null, "{st}");

    // The poll ends on the author's instance: its close reaches bo's, which tells bo.
    expire(a, &local_poll).await;
    eventually("bo told of the end", || async {
        has_poll_notification(bo, &remote_status)
            .await
            .then_some(())
    })
    .await;
    let p = bo.json(&format!("/api/v1/polls/{remote_poll}")).await;
    assert_eq!(p["expired"], true);
    assert!(has_poll_notification(cy, &status_id).await);
    assert!(has_poll_notification(ana, &status_id).await);
    let _ = b;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polls_federate_both_ways() {
    let (db_a, db_b) = two_databases();
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let cy = User::new(&a, "cy").await;
    let bo = User::new(&b, "bo").await;
    let di = User::new(&b, "di").await;
    follow(&bo, &format!("@ana@{}", a.domain)).await;
    follow(&ana, &format!("@bo@{}", b.domain)).await;

    // A poll on a, voted from b; then one on b, voted from a.
    poll_across(&a, &b, &ana, &cy, &bo).await;
    poll_across(&b, &a, &bo, &di, &ana).await;
    // Edited polls, both ways.
    poll_edited_across(&ana, &bo).await;
    poll_edited_across(&bo, &ana).await;

    a.stop().await;
    b.stop().await;
}

/// The post with this uri on `viewer`'s instance once `check` holds for it.
async fn copy_where(viewer: &User, id: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    eventually(what, || async {
        let st = viewer.json(&format!("/api/v1/statuses/{id}")).await;
        check(&st).then_some(st)
    })
    .await
}

/// `author` edits a poll that `voter` (a follower on the other instance) voted in: the same
/// options keep the votes, new options reset them on both instances, the history shows each
/// version's options, and polls can be removed and added by an edit.
async fn poll_edited_across(author: &User, voter: &User) {
    let status = author
        .post("/api/v1/statuses", poll_body(&["red", "blue"], 600))
        .await;
    let id = status["id"].as_str().unwrap().to_owned();
    let poll = status["poll"]["id"].as_str().unwrap().to_owned();
    let there = arrives_home(voter, status["uri"].as_str().unwrap()).await;
    let there_id = there["id"].as_str().unwrap().to_owned();
    let there_poll = there["poll"]["id"].as_str().unwrap().to_owned();
    voter
        .post(
            &format!("/api/v1/polls/{there_poll}/votes"),
            json!({"choices": [0]}),
        )
        .await;
    eventually("the vote counted at the author's", || async {
        let p = author.json(&format!("/api/v1/polls/{poll}")).await;
        (p["options"][0]["votes_count"] == 1).then_some(())
    })
    .await;
    let path = format!("/api/v1/statuses/{id}");
    let edit = |text: &str, options: &[&str]| json!({"status": text, "poll": {"options": options, "expires_in": 900}});

    // The same options: the vote stays, here and there.
    let (code, kept) = send(
        author,
        reqwest::Method::PUT,
        &path,
        edit("which colour?", &["red", "blue"]),
    )
    .await;
    assert_eq!(code, 200, "{kept}");
    assert_eq!(kept["poll"]["options"][0]["votes_count"], 1, "{kept}");
    let st = copy_where(voter, &there_id, "the text edit arrives", |s| {
        s["content"]
            .as_str()
            .unwrap_or("")
            .contains("which colour?")
    })
    .await;
    assert_eq!(st["poll"]["options"][0]["votes_count"], 1, "{st}");
    assert_eq!(st["poll"]["own_votes"], json!([0]), "{st}");

    // New options: the votes are void, here and there, and the voter may vote again.
    let (code, reset) = send(
        author,
        reqwest::Method::PUT,
        &path,
        edit("which colour?", &["red", "green", "blue"]),
    )
    .await;
    assert_eq!(code, 200, "{reset}");
    assert_eq!(reset["poll"]["id"], poll.as_str());
    assert_eq!(reset["poll"]["votes_count"], 0, "{reset}");
    assert_eq!(reset["poll"]["options"].as_array().unwrap().len(), 3);
    let st = copy_where(voter, &there_id, "the new options arrive", |s| {
        s["poll"]["options"]
            .as_array()
            .is_some_and(|o| o.len() == 3)
    })
    .await;
    assert_eq!(st["poll"]["options"][1]["title"], "green", "{st}");
    for n in 0..3 {
        assert_eq!(st["poll"]["options"][n]["votes_count"], 0, "{st}");
    }
    assert_eq!(st["poll"]["voted"], false, "{st}");
    assert_eq!(st["poll"]["own_votes"], json!([]), "{st}");
    voter
        .post(
            &format!("/api/v1/polls/{there_poll}/votes"),
            json!({"choices": [1]}),
        )
        .await;

    // The history shows each version's options, on both instances.
    let titles = |version: &Value| -> Vec<String> {
        version["poll"]["options"]
            .as_array()
            .map(|o| {
                o.iter()
                    .map(|t| t["title"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let history = author.json(&format!("{path}/history")).await;
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 3, "{history}");
    assert_eq!(titles(&versions[0]), ["red", "blue"], "{history}");
    assert_eq!(titles(&versions[1]), ["red", "blue"], "{history}");
    assert_eq!(titles(&versions[2]), ["red", "green", "blue"], "{history}");
    let history = voter
        .json(&format!("/api/v1/statuses/{there_id}/history"))
        .await;
    let versions = history.as_array().unwrap();
    assert_eq!(
        titles(versions.last().unwrap()),
        ["red", "green", "blue"],
        "{history}"
    );
    assert_eq!(titles(&versions[0]), ["red", "blue"], "{history}");

    // Removed by an edit, then added again.
    let (code, removed) = send(
        author,
        reqwest::Method::PUT,
        &path,
        json!({"status": "no more poll"}),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(removed["poll"], Value::Null, "{removed}");
    copy_where(voter, &there_id, "the removal arrives", |s| {
        s["poll"].is_null()
    })
    .await;
    let history = author.json(&format!("{path}/history")).await;
    assert!(
        history
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .get("poll")
            .is_none(),
        "{history}"
    );
    let (code, added) = send(
        author,
        reqwest::Method::PUT,
        &path,
        edit("a poll again", &["yes", "no"]),
    )
    .await;
    assert_eq!(code, 200, "{added}");
    assert_eq!(added["poll"]["options"][0]["title"], "yes", "{added}");
    let st = copy_where(voter, &there_id, "the new poll arrives", |s| {
        s["poll"]["options"][0]["title"] == "yes"
    })
    .await;
    assert_eq!(st["poll"]["votes_count"], 0, "{st}");
}
