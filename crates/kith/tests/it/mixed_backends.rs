//! Issue 10 across two Kith instances on different databases: A on SQLite, B on PostgreSQL
//! (the other tests pair A on each backend with B on SQLite). Reports forwarded both ways
//! arrive as `Flag`s from the instance actor with no trace of the reporter and land in the
//! other side's queue; a limited server reaches only its followers; a suspension severs
//! follows both ways, refuses what the suspended server sends and queues nothing for it.

use crate::domain_policies::{follow, moderator, pending_deliveries, queued_to};
use crate::rig::{eventually, urlencode, Instance, User};
use kith_storage::testing::TestDatabase;
use serde_json::{json, Value};

/// Reports `target` (a local id at `reporter`'s instance) with `status`, forwarded; waits for
/// it in `queue_of`'s queue and returns it there.
async fn forward_and_find(reporter: &User, target: &str, status: &str, queue_of: &User) -> Value {
    let comment = format!("forwarded by someone about {target}");
    let report = reporter
        .post(
            "/api/v1/reports",
            json!({"account_id": target, "status_ids": [status], "comment": comment,
                   "forward": true}),
        )
        .await;
    assert_eq!(report["forwarded"], true, "{report}");
    eventually("the Flag in the other queue", || async {
        let open = queue_of.json("/api/v1/admin/reports").await;
        open.as_array()
            .unwrap()
            .iter()
            .find(|r| r["comment"] == comment.as_str())
            .cloned()
    })
    .await
}

/// The id of the post with `uri` as `who` finds it (resolving it).
async fn find_post(who: &User, uri: &str) -> String {
    let found = who
        .json(&format!(
            "/api/v2/search?q={}&resolve=true&type=statuses",
            urlencode(uri)
        ))
        .await;
    found["statuses"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{uri} not found: {found}"))
        .to_owned()
}

fn has(list: &Value, uri: &str) -> bool {
    list.as_array().unwrap().iter().any(|s| s["uri"] == uri)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_and_a_postgres_instance_moderate_each_other() {
    if !std::env::var("KITH_TEST_BACKENDS")
        .unwrap_or_else(|_| "sqlite,postgres".into())
        .contains("postgres")
    {
        return;
    }
    let (db_a, db_b) = (TestDatabase::sqlite(), TestDatabase::postgres());
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let ana = User::new(&a, "ana").await;
    let dee = User::new(&a, "dee").await; // follows nobody
    let bo = User::new(&b, "bo").await;
    let cy = User::new(&b, "cy").await; // follows nobody
    let (mod_a, mod_b) = (moderator(&a).await, moderator(&b).await);
    let bo_at_a = follow(&ana, &format!("@bo@{}", b.domain)).await;
    let ana_at_b = follow(&bo, &format!("@ana@{}", a.domain)).await;

    // Reports forwarded both ways: from the instance actor, naming nobody else.
    let bos = bo
        .post(
            "/api/v1/statuses",
            json!({"status": "bo's reportable post", "visibility": "public"}),
        )
        .await;
    let bos_at_a = find_post(&ana, bos["uri"].as_str().unwrap()).await;
    let got = forward_and_find(&ana, &bo_at_a, &bos_at_a, &mod_b).await;
    assert_eq!(
        got["account"]["account"]["uri"],
        format!("{}/actor", a.base).as_str()
    );
    assert_eq!(got["origin_domain"], a.domain.as_str());
    assert_eq!(got["target_account"]["id"], bo.id);
    assert_eq!(got["statuses"][0]["id"], bos["id"]);
    assert!(!got.to_string().contains("/users/ana"), "{got}");
    let anas = ana
        .post(
            "/api/v1/statuses",
            json!({"status": "ana's reportable post", "visibility": "public"}),
        )
        .await;
    let anas_at_b = find_post(&bo, anas["uri"].as_str().unwrap()).await;
    let got = forward_and_find(&bo, &ana_at_b, &anas_at_b, &mod_a).await;
    assert_eq!(
        got["account"]["account"]["uri"],
        format!("{}/actor", b.base).as_str()
    );
    assert_eq!(got["origin_domain"], b.domain.as_str());
    assert_eq!(got["target_account"]["id"], ana.id);
    assert!(!got.to_string().contains("/users/bo"), "{got}");
    let n = mod_a.json("/api/v1/notifications").await;
    assert_eq!(n[0]["type"], "admin.report", "{n}");
    assert_eq!(n[0]["report"]["id"], got["id"], "{n}");

    // B limits A: ana's public post reaches bo, who follows her, not cy.
    mod_b
        .post(
            "/api/v1/admin/domain_blocks",
            json!({"domain": a.domain, "severity": "silence"}),
        )
        .await;
    let limited = ana
        .post(
            "/api/v1/statuses",
            json!({"status": "from a limited server", "visibility": "public"}),
        )
        .await;
    let uri = limited["uri"].as_str().unwrap().to_owned();
    eventually("ana's post in bo's home", || async {
        has(&bo.json("/api/v1/timelines/home").await, &uri).then_some(())
    })
    .await;
    assert!(!has(&cy.json("/api/v1/timelines/public").await, &uri));

    // A suspends B: follows severed both ways, nothing queued for B, nothing taken from it.
    mod_a
        .post(
            "/api/v1/admin/domain_blocks",
            json!({"domain": b.domain, "severity": "suspend"}),
        )
        .await;
    let me = ana.json("/api/v1/accounts/verify_credentials").await;
    assert_eq!(
        (&me["followers_count"], &me["following_count"]),
        (&json!(0), &json!(0)),
        "{me}"
    );
    ana.post(
        "/api/v1/statuses",
        json!({"status": format!("hello @bo@{}", b.domain), "visibility": "public"}),
    )
    .await;
    assert_eq!(queued_to(&a, &b.domain).await, 0);
    let refused = bo
        .post(
            "/api/v1/statuses",
            json!({"status": "from a suspended server", "visibility": "public"}),
        )
        .await;
    eventually("B's delivery to A ends", || async {
        (pending_deliveries(&b).await == 0).then_some(())
    })
    .await;
    let found = ana
        .json(&format!(
            "/api/v2/search?resolve=false&type=statuses&q={}",
            urlencode(refused["uri"].as_str().unwrap())
        ))
        .await;
    assert_eq!(found["statuses"], json!([]), "{found}");
    assert!(!ana
        .json("/api/v1/timelines/home")
        .await
        .to_string()
        .contains("from a suspended server"));
    assert!(!dee
        .json("/api/v1/timelines/public")
        .await
        .to_string()
        .contains("bo's reportable post"));
    a.stop().await;
    b.stop().await;
}
