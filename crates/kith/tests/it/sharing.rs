//! Moderation shared across instances: blocklist subscriptions (another Kith's public list,
//! and a CSV served by a small local HTTP server) with provenance, review, confirmation,
//! retraction and an unreachable source; and a moderation cohort of three Kith instances
//! (one on PostgreSQL when it is tested): shared reports without the reporter, decisions
//! applied or held per member policy, their Undo, and refusals (a non-member, a decision about
//! a local account) in the audit log.

use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{eventually, urlencode, Instance, User};
use kith_core::accounts::Role;
use kith_storage::testing::TestDatabase;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MOD_SCOPES: &str = "read write admin:read admin:write";

async fn blocks(m: &User) -> Vec<Value> {
    m.json("/api/v1/admin/domain_blocks")
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn block_for(m: &User, domain: &str) -> Option<Value> {
    blocks(m).await.into_iter().find(|b| b["domain"] == domain)
}

async fn entries(m: &User, query: &str) -> Vec<Value> {
    m.json(&format!("/api/v1/admin/kith/shared_entries?{query}"))
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn refresh(m: &User, id: &str) -> Value {
    m.post(
        &format!("/api/v1/admin/kith/blocklist_subscriptions/{id}/refresh"),
        json!({}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_follows_another_kiths_public_list() {
    for db in TestDatabase::each_backend() {
        eprintln!("--- backend {:?}", db.backend);
        let db_src = TestDatabase::sqlite();
        let src = Instance::start(&db_src).await;
        let here = Instance::start(&db).await;
        let src_mod = User::with_role(&src, "srcmod", Role::Moderator, MOD_SCOPES).await;
        let modo = User::with_role(&here, "modo", Role::Moderator, MOD_SCOPES).await;
        src_mod
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": "spam.example", "severity": "suspend", "public_comment": "Spam"}),
            )
            .await;
        src_mod
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": "strict.example", "severity": "silence"}),
            )
            .await;
        // A stricter local decision is never overridden.
        modo.post(
            "/api/v1/admin/domain_blocks",
            json!({"domain": "strict.example", "severity": "suspend"}),
        )
        .await;

        let list_url = src.url("/api/v1/instance/domain_blocks");
        let sub = modo
            .post(
                "/api/v1/admin/kith/blocklist_subscriptions",
                json!({"url": list_url, "mode": "apply"}),
            )
            .await;
        let id = sub["id"].as_str().unwrap().to_owned();
        let after = refresh(&modo, &id).await;
        assert!(after["last_error"].is_null(), "{after}");

        let spam = block_for(&modo, "spam.example").await.expect("applied");
        assert_eq!(spam["severity"], "suspend");
        assert_eq!(spam["public_comment"], "Spam");
        assert!(
            spam["private_comment"]
                .as_str()
                .unwrap()
                .contains(&list_url),
            "{spam}"
        );
        let e = entries(&modo, "target=spam.example").await;
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0]["state"], "applied");
        assert_eq!(e[0]["source"]["type"], "subscription");
        assert_eq!(
            e[0]["source"]["label"],
            format!("blocklist {list_url}").as_str()
        );
        let strict = entries(&modo, "target=strict.example").await;
        assert_eq!(strict[0]["state"], "covered", "{strict:?}");
        assert_eq!(
            block_for(&modo, "strict.example").await.unwrap()["severity"],
            "suspend"
        );
        // The audit log names the subscription.
        let log = modo.json("/api/v1/admin/audit_log").await;
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|l| l["action"] == "create_domain_block"
                    && l["target_id"] == "spam.example"
                    && l["reason"].as_str().unwrap_or("").contains(&list_url)),
            "{log}"
        );

        // A new entry at the source, and one confirmed here.
        let loud = src_mod
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": "loud.example", "severity": "silence"}),
            )
            .await;
        refresh(&modo, &id).await;
        assert_eq!(
            block_for(&modo, "loud.example").await.expect("new entry")["severity"],
            "silence"
        );
        let loud_entry = entries(&modo, "target=loud.example").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let confirmed = modo
            .post(
                &format!("/api/v1/admin/kith/shared_entries/{loud_entry}/confirm"),
                json!({}),
            )
            .await;
        assert_eq!(confirmed["state"], "confirmed");

        // Retraction: the unconfirmed entry goes, the confirmed one stays.
        let spam_at_src = src_mod.json("/api/v1/admin/domain_blocks").await;
        for b in spam_at_src.as_array().unwrap() {
            let bid = b["id"].as_str().unwrap();
            assert_eq!(
                src_mod
                    .status_code(
                        reqwest::Method::DELETE,
                        &format!("/api/v1/admin/domain_blocks/{bid}")
                    )
                    .await,
                200
            );
        }
        let _ = loud;
        src_mod
            .post(
                "/api/v1/admin/domain_blocks",
                json!({"domain": "kept.example", "severity": "suspend"}),
            )
            .await;
        refresh(&modo, &id).await;
        assert!(block_for(&modo, "spam.example").await.is_none());
        assert!(block_for(&modo, "loud.example").await.is_some());
        assert!(block_for(&modo, "kept.example").await.is_some());
        assert_eq!(
            block_for(&modo, "strict.example").await.unwrap()["severity"],
            "suspend"
        );

        // The source goes away: its entries are kept and the error recorded.
        src.stop().await;
        let after = refresh(&modo, &id).await;
        assert!(after["last_error"].is_string(), "{after}");
        assert!(block_for(&modo, "kept.example").await.is_some());
        here.stop().await;
    }
}

/// A one-route HTTP server answering every request with the current `body` as CSV.
async fn csv_server(body: Arc<Mutex<String>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let body = body.lock().unwrap().clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://127.0.0.1:{port}/blocklist.csv")
}

const HEADER: &str = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_subscription_in_review_mode_holds_entries_for_moderators() {
    on_each_backend!(async |i: &Instance| {
        let body = Arc::new(Mutex::new(format!(
            "{HEADER}bad.example,suspend,true,false,Bad,false\nmeh.example,silence,false,false,,false\nb*d.example,suspend,false,false,,true\n"
        )));
        let url = csv_server(body.clone()).await;
        let modo = User::with_role(i, "modo", Role::Moderator, MOD_SCOPES).await;
        let sub = modo
            .post(
                "/api/v1/admin/kith/blocklist_subscriptions",
                json!({"url": url, "mode": "review"}),
            )
            .await;
        let id = sub["id"].as_str().unwrap().to_owned();
        let after = refresh(&modo, &id).await;
        assert!(after["last_error"].is_null(), "{after}");
        // The obfuscated row is skipped with a note.
        assert!(
            after["last_note"].as_str().unwrap().contains("skipped"),
            "{after}"
        );
        let pending = entries(&modo, "state=pending").await;
        assert_eq!(pending.len(), 2, "{pending:?}");
        assert!(blocks(&modo).await.is_empty());
        let id_of = |target: &str| {
            pending.iter().find(|e| e["target"] == target).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let approved = modo
            .post(
                &format!(
                    "/api/v1/admin/kith/shared_entries/{}/approve",
                    id_of("bad.example")
                ),
                json!({}),
            )
            .await;
        assert_eq!(approved["state"], "applied");
        assert_eq!(
            approved["source"]["label"],
            format!("blocklist {url}").as_str()
        );
        let rejected = modo
            .post(
                &format!(
                    "/api/v1/admin/kith/shared_entries/{}/reject",
                    id_of("meh.example")
                ),
                json!({}),
            )
            .await;
        assert_eq!(rejected["state"], "rejected");
        let bad = block_for(&modo, "bad.example").await.expect("approved");
        assert_eq!(bad["severity"], "suspend");
        assert_eq!(bad["reject_media"], true);
        assert!(block_for(&modo, "meh.example").await.is_none());

        // The list changes: the approved entry is retracted, a new one waits for review.
        *body.lock().unwrap() =
            format!("{HEADER}meh.example,silence,false,false,,false\nnew.example,suspend,false,false,,false\n");
        refresh(&modo, &id).await;
        assert!(block_for(&modo, "bad.example").await.is_none());
        let pending = entries(&modo, "state=pending").await;
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0]["target"], "new.example");
        assert_eq!(
            entries(&modo, "target=meh.example").await[0]["state"],
            "rejected"
        );

        // The refresh job claims a due subscription once, whichever process asks first.
        let sid: i64 = id.parse().unwrap();
        let (first, second) = i
            .context
            .db
            .write(move |c| {
                // Later than any claim the hourly job may have made meanwhile.
                let now = kith_storage::now() + chrono::Duration::hours(2);
                let next = now + chrono::Duration::hours(1);
                let first = kith_storage::sharing::claim_subscription(c, sid, now, next)?;
                let second = kith_storage::sharing::claim_subscription(c, sid, now, next)?;
                Ok((first, second))
            })
            .await
            .unwrap();
        assert!(first && !second);

        // A plain user may not see any of it.
        let user = User::new(i, "plain").await;
        assert_eq!(
            user.status_code(reqwest::Method::GET, "/api/v1/admin/kith/shared_entries")
                .await,
            403
        );
    });
}

async fn join(inviter: &User, invitee: &User, invitee_i: &Instance, policy: &str) {
    inviter
        .post(
            "/api/v1/admin/kith/cohort/invite",
            json!({"actor": invitee_i.url("/actor"), "policy": "apply"}),
        )
        .await;
    let invitation = eventually("the invitation arrives", || async {
        let list = invitee.json("/api/v1/admin/kith/cohort").await;
        list.as_array()
            .unwrap()
            .iter()
            .find(|m| m["state"] == "invitation")
            .cloned()
    })
    .await;
    let id = invitation["id"].as_str().unwrap();
    let m = invitee
        .post(
            &format!("/api/v1/admin/kith/cohort/{id}/accept"),
            json!({"policy": policy}),
        )
        .await;
    assert_eq!(m["state"], "member");
}

async fn is_member(m: &User, domain: &str) -> bool {
    m.json("/api/v1/admin/kith/cohort")
        .await
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["domain"] == domain && x["state"] == "member")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cohort_of_three_shares_reports_and_decisions() {
    // A on PostgreSQL when it is tested (the last backend), the others on SQLite.
    let db_a = TestDatabase::each_backend().pop().unwrap();
    let (db_b, db_c, db_d) = (
        TestDatabase::sqlite(),
        TestDatabase::sqlite(),
        TestDatabase::sqlite(),
    );
    eprintln!("--- A on {:?}", db_a.backend);
    let a = Instance::start(&db_a).await;
    let b = Instance::start(&db_b).await;
    let c = Instance::start(&db_c).await;
    let d = Instance::start(&db_d).await;
    let ma = User::with_role(&a, "moda", Role::Admin, MOD_SCOPES).await;
    let mb = User::with_role(&b, "modb", Role::Admin, MOD_SCOPES).await;
    let mc = User::with_role(&c, "modc", Role::Admin, MOD_SCOPES).await;
    join(&ma, &mb, &b, "apply").await;
    join(&ma, &mc, &c, "review").await;
    eventually("A sees both members", || async {
        (is_member(&ma, &b.domain).await && is_member(&ma, &c.domain).await).then_some(())
    })
    .await;

    // A report on A about a third party's account reaches B and C without the reporter.
    let _troll = User::new(&d, "troll").await;
    let reporter = User::new(&a, "reporter").await;
    let troll_at_a = reporter.resolve(&format!("@troll@{}", d.domain)).await;
    reporter
        .post(
            "/api/v1/reports",
            json!({"account_id": troll_at_a, "comment": "dogpiling our members"}),
        )
        .await;
    for m in [&mb, &mc] {
        let got = eventually("the shared report lands in the queue", || async {
            let open = m.json("/api/v1/admin/reports").await;
            open.as_array().unwrap().first().cloned()
        })
        .await;
        assert_eq!(got["via_cohort"], true, "{got}");
        assert_eq!(got["comment"], "dogpiling our members");
        assert_eq!(got["origin_domain"], a.domain.as_str());
        assert_eq!(
            got["account"]["account"]["uri"],
            format!("{}/actor", a.base).as_str()
        );
        assert_eq!(
            got["target_account"]["account"]["uri"],
            format!("{}/users/troll", d.base).as_str(),
            "{got}"
        );
        assert!(!got.to_string().contains("reporter"), "{got}");
        assert!(!got.to_string().contains(&reporter.id), "{got}");
    }

    // A decision on A: applied on B (apply), held on C (review), with provenance.
    let block = ma
        .post(
            "/api/v1/admin/domain_blocks",
            json!({"domain": "harass.example", "severity": "suspend", "public_comment": "Harassment"}),
        )
        .await;
    let on_b = eventually("B applies the decision", || async {
        block_for(&mb, "harass.example").await
    })
    .await;
    assert_eq!(on_b["severity"], "suspend");
    assert_eq!(on_b["public_comment"], "Harassment");
    let e = entries(&mb, "target=harass.example").await;
    assert_eq!(e[0]["state"], "applied");
    assert_eq!(e[0]["source"]["type"], "cohort");
    assert_eq!(
        e[0]["source"]["label"],
        format!("the moderators of {}", a.domain).as_str()
    );
    let held = eventually("C holds the decision", || async {
        entries(&mc, "target=harass.example").await.first().cloned()
    })
    .await;
    assert_eq!(held["state"], "pending");
    assert!(block_for(&mc, "harass.example").await.is_none());

    // Its Undo is honoured on both.
    let bid = block["id"].as_str().unwrap();
    assert_eq!(
        ma.status_code(
            reqwest::Method::DELETE,
            &format!("/api/v1/admin/domain_blocks/{bid}")
        )
        .await,
        200
    );
    eventually("B lifts it", || async {
        block_for(&mb, "harass.example")
            .await
            .is_none()
            .then_some(())
    })
    .await;
    eventually("C forgets it", || async {
        entries(&mc, "target=harass.example")
            .await
            .is_empty()
            .then_some(())
    })
    .await;

    // A decision about a third party's account: suspended on B, held on C, lifted by its Undo.
    let troll_uri = d.url("/users/troll");
    ma.post(
        &format!("/api/v1/admin/accounts/{troll_at_a}/action"),
        json!({"type": "suspend", "text": "dogpiling"}),
    )
    .await;
    let troll_at_b = eventually("B suspends the troll", || async {
        let e = entries(&mb, &format!("target={}", urlencode(&troll_uri))).await;
        e.first().filter(|e| e["state"] == "applied").cloned()
    })
    .await;
    assert_eq!(troll_at_b["target_type"], "account");
    let suspended = mb
        .json("/api/v1/admin/accounts?remote=true&suspended=true&username=troll")
        .await;
    assert_eq!(suspended.as_array().unwrap().len(), 1, "{suspended}");
    eventually("C holds it", || async {
        let e = entries(&mc, &format!("target={}", urlencode(&troll_uri))).await;
        e.first().filter(|e| e["state"] == "pending").cloned()
    })
    .await;
    ma.post(
        &format!("/api/v1/admin/accounts/{troll_at_a}/unsuspend"),
        json!({}),
    )
    .await;
    eventually("B lifts the suspension", || async {
        let s = mb
            .json("/api/v1/admin/accounts?remote=true&suspended=true&username=troll")
            .await;
        s.as_array().unwrap().is_empty().then_some(())
    })
    .await;

    // A decision about one of B's own accounts is not sent to B; one that a member sends
    // anyway (made here in A's outbox, signed and delivered by A) is refused and logged.
    let bo = User::new(&b, "bo").await;
    let bo_at_a = ma.resolve(&format!("@bo@{}", b.domain)).await;
    ma.post(
        &format!("/api/v1/admin/accounts/{bo_at_a}/action"),
        json!({"type": "suspend", "text": "not yours to decide"}),
    )
    .await;
    let (b_actor, bo_uri) = (b.url("/actor"), b.url("/users/bo"));
    let urls = a.context.urls.clone();
    a.context
        .db
        .write(move |conn| {
            let me = kith_storage::accounts::instance_actor(conn)?.unwrap();
            let to = kith_storage::accounts::by_ap_id(conn, &b_actor)?;
            let activity = json!({
                "id": urls.activity("Block").to_string(), "type": "Block", "actor": me.ap_id,
                "object": bo_uri, "to": [to.ap_id],
                "cohortDecision": {"targetType": "account", "severity": "suspend"},
            });
            kith_federation::outbound::send_with_context(
                conn,
                &urls,
                &me,
                activity,
                &kith_federation::outbound::Audience::to(to),
                kith_federation::cohort::cohort_context(),
            )
        })
        .await
        .unwrap();
    a.context.delivery_wakeup.notify_one();
    let refused = eventually("B refuses and logs it", || async {
        let log = mb.json("/api/v1/admin/audit_log").await;
        log.as_array()
            .unwrap()
            .iter()
            .find(|l| l["action"] == "refuse_cohort_message")
            .cloned()
    })
    .await;
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("local account"),
        "{refused}"
    );
    let bo_admin = mb.json(&format!("/api/v1/admin/accounts/{}", bo.id)).await;
    assert_eq!(bo_admin["suspended"], false, "{bo_admin}");

    // A cohort decision from a server that is not a member is refused and logged.
    let fake = Fake::start().await;
    let k = key();
    let actor = format!("{}/actor", fake.base);
    let key_id = format!("{actor}#main-key");
    fake.serve(&actor, actor_doc(&actor, &key_id, &k.public_pem));
    let forged = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"kith": "urn:kith:ns#", "cohortDecision": "kith:cohortDecision"}],
        "id": format!("{}/activities/1", fake.base), "type": "Block", "actor": actor,
        "object": "https://victim.example/",
        "cohortDecision": {"targetType": "domain", "domain": "victim.example", "severity": "suspend"},
    });
    let code = post_signed(
        &c.url("/actor/inbox"),
        forged.to_string().as_bytes(),
        &key_id,
        &k,
        Spoil::None,
    )
    .await;
    assert!((200..300).contains(&code), "{code}");
    let log = mc.json("/api/v1/admin/audit_log").await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|l| l["action"] == "refuse_cohort_message" && l["target_id"] == actor.as_str()),
        "{log}"
    );
    assert!(block_for(&mc, "victim.example").await.is_none());
    assert!(
        entries(&mc, &format!("target={}", urlencode("victim.example")))
            .await
            .is_empty()
    );
    fake.stop().await;
    for i in [a, b, c, d] {
        i.stop().await;
    }
}
