//! Grouped notifications (`/api/v2/notifications`) on both backends: favourites of one post
//! and follows grouped, mentions alone; `grouped_types[]`, `types[]`, `exclude_types[]`,
//! `account_id`; one group, its accounts, dismissing it; the unread count in groups; paging by
//! groups; and the v1 list's handling of unknown type names (ignored, as Mastodon does).
//!
//! Groups span an hour of the clock, so the expected groups are read from the v1 list's
//! `group_key`s (the same keys) rather than assumed: a run across the hour stays correct.

use crate::on_each_backend;
use crate::rig::{Instance, User};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The v1 notifications' count per group key.
async fn v1_groups(user: &User) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for n in user
        .json("/api/v1/notifications?limit=80")
        .await
        .as_array()
        .unwrap()
    {
        *out.entry(n["group_key"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    out
}

fn groups(body: &Value) -> &Vec<Value> {
    body["notification_groups"]
        .as_array()
        .unwrap_or_else(|| panic!("groups: {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_come_grouped() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let fans = [
            User::new(i, "bob").await,
            User::new(i, "carl").await,
            User::new(i, "dora").await,
        ];
        let post = ana
            .post("/api/v1/statuses", json!({"status": "like me"}))
            .await;
        let post_id = post["id"].as_str().unwrap().to_owned();
        for fan in &fans {
            fan.post(&format!("/api/v1/statuses/{post_id}/favourite"), json!({}))
                .await;
        }
        for fan in &fans[..2] {
            fan.post(&format!("/api/v1/accounts/{}/follow", ana.id), json!({}))
                .await;
        }
        fans[2]
            .post("/api/v1/statuses", json!({"status": "@ana hi"}))
            .await;

        let expected = v1_groups(&ana).await;
        assert_eq!(expected.values().sum::<usize>(), 6);
        let res = ana.get("/api/v2/notifications").await;
        assert_eq!(res.status(), 200);
        let link = res.headers()["link"].to_str().unwrap().to_owned();
        let body: Value = res.json().await.unwrap();
        let got: BTreeMap<String, usize> = groups(&body)
            .iter()
            .map(|g| {
                (
                    g["group_key"].as_str().unwrap().to_owned(),
                    g["notifications_count"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        assert_eq!(got, expected, "{body}");
        // Newest group first; each group names its newest notification, the page's bounds,
        // its sample accounts (all in `accounts`) and its post (in `statuses`, once).
        let first = &groups(&body)[0];
        assert_eq!(first["type"], "mention");
        assert!(first["group_key"]
            .as_str()
            .unwrap()
            .starts_with("ungrouped-"));
        let accounts: Vec<&str> = body["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        for g in groups(&body) {
            assert!(g["most_recent_notification_id"].is_i64(), "{g}");
            assert!(g["page_min_id"].is_string() && g["page_max_id"].is_string());
            assert!(g["latest_page_notification_at"].is_string());
            for id in g["sample_account_ids"].as_array().unwrap() {
                assert!(accounts.contains(&id.as_str().unwrap()), "{body}");
            }
        }
        let favourites: Vec<&Value> = groups(&body)
            .iter()
            .filter(|g| g["type"] == "favourite")
            .collect();
        for g in &favourites {
            assert_eq!(g["status_id"], post_id.as_str());
            assert!(g["group_key"]
                .as_str()
                .unwrap()
                .starts_with(&format!("favourite-{post_id}-")));
        }
        let liked = body["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["id"] == post_id.as_str())
            .count();
        assert_eq!(liked, 1, "{body}");
        let newest = groups(&body)[0]["page_max_id"].as_str().unwrap().to_owned();
        assert!(link.contains(&format!("min_id={newest}")), "{link}");

        // The first favourite group, alone: count, accounts, then dismissed.
        let key = favourites[0]["group_key"].as_str().unwrap().to_owned();
        let one = ana.json(&format!("/api/v2/notifications/{key}")).await;
        assert_eq!(groups(&one).len(), 1, "{one}");
        assert_eq!(
            groups(&one)[0]["notifications_count"],
            favourites[0]["notifications_count"]
        );
        assert!(groups(&one)[0].get("page_min_id").is_none());
        let who = ana
            .json(&format!("/api/v2/notifications/{key}/accounts"))
            .await;
        assert_eq!(
            who.as_array().unwrap().len() as u64,
            favourites[0]["notifications_count"].as_u64().unwrap()
        );

        // Only follows grouped: favourites come one by one.
        let follows_only = ana
            .json("/api/v2/notifications?grouped_types[]=follow")
            .await;
        let singles = groups(&follows_only)
            .iter()
            .filter(|g| g["type"] == "favourite")
            .inspect(|g| {
                assert!(g["group_key"].as_str().unwrap().starts_with("ungrouped-"));
                assert_eq!(g["notifications_count"], 1);
            })
            .count();
        assert_eq!(singles, 3);
        // Types, exclusions and one sender.
        let only = ana.json("/api/v2/notifications?types[]=follow").await;
        assert!(groups(&only).iter().all(|g| g["type"] == "follow"));
        assert!(!groups(&only).is_empty());
        let without = ana
            .json("/api/v2/notifications?exclude_types[]=favourite&exclude_types[]=follow")
            .await;
        assert_eq!(groups(&without).len(), 1);
        let from = ana
            .json(&format!("/api/v2/notifications?account_id={}", fans[2].id))
            .await;
        let kinds: Vec<&str> = groups(&from)
            .iter()
            .map(|g| g["type"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["mention", "favourite"], "{from}");

        // Paging by groups: one group per page, all of them in turn.
        let mut seen = 0;
        let mut max_id: Option<String> = None;
        loop {
            let path = match &max_id {
                Some(m) => format!("/api/v2/notifications?limit=1&max_id={m}"),
                None => "/api/v2/notifications?limit=1".to_owned(),
            };
            let page = ana.json(&path).await;
            let Some(g) = groups(&page).first() else {
                break;
            };
            assert_eq!(groups(&page).len(), 1);
            seen += g["notifications_count"].as_u64().unwrap();
            max_id = Some(g["page_min_id"].as_str().unwrap().to_owned());
        }
        assert_eq!(seen, 6);

        // Unread: groups after the marker.
        let unread = ana.json("/api/v2/notifications/unread_count").await;
        assert_eq!(unread["count"], expected.len(), "{unread}");
        ana.post(
            "/api/v1/markers",
            json!({"notifications": {"last_read_id": newest}}),
        )
        .await;
        assert_eq!(
            ana.json("/api/v2/notifications/unread_count").await["count"],
            0
        );

        // Dismissing a group removes all of it.
        let dismissed = ana
            .post(&format!("/api/v2/notifications/{key}/dismiss"), json!({}))
            .await;
        assert_eq!(dismissed, json!({}));
        assert_eq!(
            ana.status_code(Method::GET, &format!("/api/v2/notifications/{key}"))
                .await,
            404
        );
        let left: usize = v1_groups(&ana).await.values().sum();
        assert_eq!(
            left as u64,
            6 - favourites[0]["notifications_count"].as_u64().unwrap()
        );
        // Unknown keys and other people's groups are not found.
        for bad in ["nonsense", "ungrouped-1", "favourite-1-1", "mention-1-1"] {
            assert_eq!(
                ana.status_code(Method::GET, &format!("/api/v2/notifications/{bad}"))
                    .await,
                404,
                "{bad}"
            );
        }
        let mention_key = groups(&body)[0]["group_key"].as_str().unwrap().to_owned();
        assert_eq!(
            fans[0]
                .status_code(Method::GET, &format!("/api/v2/notifications/{mention_key}"))
                .await,
            404
        );
        assert_eq!(
            ana.json(&format!("/api/v2/notifications/{mention_key}"))
                .await["notification_groups"][0]["type"],
            "mention"
        );

        // v1: unknown type names are ignored, as Mastodon does (`types & TYPES`): alone they
        // match nothing; excluded, they exclude nothing.
        let bogus = ana.json("/api/v1/notifications?types[]=bogus").await;
        assert_eq!(bogus, json!([]));
        let mixed = ana
            .json("/api/v1/notifications?types[]=bogus&types[]=mention")
            .await;
        assert_eq!(mixed.as_array().unwrap().len(), 1);
        let excluded = ana
            .json("/api/v1/notifications?exclude_types[]=bogus")
            .await;
        assert_eq!(excluded.as_array().unwrap().len() as u64, left as u64);
        // v1 notifications carry the same group keys as v2.
        let v1 = ana.json("/api/v1/notifications?types[]=follow").await;
        assert!(v1[0]["group_key"].as_str().unwrap().starts_with("follow-"));
    });
}
