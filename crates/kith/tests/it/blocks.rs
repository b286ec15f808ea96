//! Blocks and the notification gate: nobody is notified of their own actions or by someone on
//! the other side of a block; posts on the other side of a block vanish from every read; and a
//! remote actor whom a local author blocks cannot like or boost the author's posts.

use crate::inbox::{actor_doc, key, post_signed, Fake, Spoil};
use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use kith_core::notifications::{notify, NotificationKind};
use kith_storage::{accounts, activity, statuses};
use serde_json::{json, Value};

/// Kinds of the notifications `user` has.
async fn kinds(user: &User) -> Vec<String> {
    user.json("/api/v1/notifications")
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_owned())
        .collect()
}

/// Ids of the statuses in a list (boosts count by the id of the post they boost).
fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let shown = if s["reblog"].is_object() {
                &s["reblog"]
            } else {
                s
            };
            shown["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

async fn post_code(user: &User, path: &str, body: Value) -> u16 {
    client()
        .post(format!("{}{path}", user.base))
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_drops_self_and_blocked_notifications_of_every_kind() {
    on_each_backend!(async |i: &Instance| {
        let ana = i.create_user("ana", "correct horse").await;
        let bo = i.create_user("bo", "correct horse").await;
        let cy = i.create_user("cy", "correct horse").await;
        let (a, b, c_) = (ana.id, bo.id, cy.id);
        let stored = i
            .context
            .db
            .write(move |c| {
                // Bo blocks ana; cy blocks nobody.
                kith_storage::follows::block(c, kith_storage::id::new_id(), b, a, "urn:block")?;
                let mut out = Vec::new();
                for kind in NotificationKind::ALL {
                    out.push((
                        kind,
                        notify(c, b, a, kind, None)?,  // to the blocker
                        notify(c, a, b, kind, None)?,  // from the blocker
                        notify(c, a, a, kind, None)?,  // to oneself
                        notify(c, c_, a, kind, None)?, // an ordinary one
                    ));
                }
                Ok(out)
            })
            .await
            .unwrap();
        for (kind, to_blocker, from_blocker, to_self, ordinary) in stored {
            assert!(!to_blocker, "{kind}: the blocked sender is dropped");
            assert!(!from_blocker, "{kind}: the blocking sender is dropped");
            // A poll's author hears that it ended, as in Mastodon; nothing else to oneself.
            assert_eq!(
                to_self,
                kind == NotificationKind::Poll,
                "{kind}: a notification to oneself is dropped"
            );
            assert!(ordinary, "{kind}: others go through");
        }
        let counts = i
            .context
            .db
            .read(move |c| {
                Ok((
                    activity::notifications_for(
                        c,
                        a,
                        None,
                        kith_storage::statuses::Page {
                            limit: 80,
                            ..Default::default()
                        },
                    )?
                    .len(),
                    activity::notifications_for(
                        c,
                        b,
                        None,
                        kith_storage::statuses::Page {
                            limit: 80,
                            ..Default::default()
                        },
                    )?
                    .len(),
                    activity::notifications_for(
                        c,
                        c_,
                        None,
                        kith_storage::statuses::Page {
                            limit: 80,
                            ..Default::default()
                        },
                    )?
                    .len(),
                ))
            })
            .await
            .unwrap();
        // Ana's one: the `poll` notification to herself.
        assert_eq!(counts, (1, 0, NotificationKind::ALL.len()));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_and_self_actions_notify_nobody() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bo = User::new(i, "bo").await;
        let cy = User::new(i, "cy").await;
        let bo_post = bo.post("/api/v1/statuses", json!({"status": "bo's"})).await;
        let bo_post = bo_post["id"].as_str().unwrap();
        let ana_post = ana
            .post("/api/v1/statuses", json!({"status": "ana's"}))
            .await;
        let ana_post = ana_post["id"].as_str().unwrap();
        // Bo boosts ana's post while they get on, so he would hear of its edits.
        bo.post(&format!("/api/v1/statuses/{ana_post}/reblog"), json!({}))
            .await;
        let before = kinds(&ana).await;
        assert_eq!(before, ["reblog"], "{before:?}");

        // Self-actions: a mention, a favourite and a boost of one's own post.
        let own = bo
            .post("/api/v1/statuses", json!({"status": "note to self @bo"}))
            .await;
        let own = own["id"].as_str().unwrap();
        bo.post(&format!("/api/v1/statuses/{own}/favourite"), json!({}))
            .await;
        bo.post(&format!("/api/v1/statuses/{own}/reblog"), json!({}))
            .await;
        assert!(kinds(&bo).await.is_empty(), "{:?}", kinds(&bo).await);

        // Bo blocks ana. Nothing she does reaches him.
        bo.post(&format!("/api/v1/accounts/{}/block", ana.id), json!({}))
            .await;
        assert_eq!(
            post_code(
                &ana,
                &format!("/api/v1/accounts/{}/follow", bo.id),
                json!({})
            )
            .await,
            403
        );
        ana.post("/api/v1/statuses", json!({"status": "hello @bo"}))
            .await;
        for action in ["favourite", "reblog"] {
            assert_eq!(
                post_code(
                    &ana,
                    &format!("/api/v1/statuses/{bo_post}/{action}"),
                    json!({})
                )
                .await,
                404,
                "{action} of a post by someone who blocks you"
            );
        }
        assert_eq!(
            post_code(
                &ana,
                "/api/v1/statuses",
                json!({"status": "a reply", "in_reply_to_id": bo_post})
            )
            .await,
            404,
            "a reply to a post by someone who blocks you"
        );
        let edited = client()
            .put(format!("{}/api/v1/statuses/{ana_post}", ana.base))
            .bearer_auth(&ana.token)
            .json(&json!({"status": "ana's, edited"}))
            .send()
            .await
            .unwrap();
        assert_eq!(edited.status(), 200);
        assert!(kinds(&bo).await.is_empty(), "{:?}", kinds(&bo).await);

        // And what bo does reaches ana no more either.
        bo.post("/api/v1/statuses", json!({"status": "hello @ana"}))
            .await;
        assert_eq!(kinds(&ana).await, ["reblog"]);

        // The same actions by someone unblocked do notify: the gate lets them through.
        cy.post(&format!("/api/v1/accounts/{}/follow", bo.id), json!({}))
            .await;
        cy.post("/api/v1/statuses", json!({"status": "hello @bo"}))
            .await;
        cy.post(&format!("/api/v1/statuses/{bo_post}/favourite"), json!({}))
            .await;
        cy.post(&format!("/api/v1/statuses/{bo_post}/reblog"), json!({}))
            .await;
        assert_eq!(
            kinds(&bo).await,
            ["reblog", "favourite", "mention", "follow"]
        );
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_across_a_block_vanish_from_every_read_both_ways() {
    on_each_backend!(async |i: &Instance| {
        let vi = User::new(i, "vi").await;
        let au = User::new(i, "au").await;
        let cy = User::new(i, "cy").await;
        vi.post(&format!("/api/v1/accounts/{}/follow", cy.id), json!({}))
            .await;
        let root = vi
            .post("/api/v1/statuses", json!({"status": "a thread"}))
            .await;
        let root = root["id"].as_str().unwrap().to_owned();
        let reply = au
            .post(
                "/api/v1/statuses",
                json!({"status": "au answers", "in_reply_to_id": root}),
            )
            .await;
        let reply = reply["id"].as_str().unwrap().to_owned();
        let post = au
            .post("/api/v1/statuses", json!({"status": "au's post"}))
            .await;
        let post = post["id"].as_str().unwrap().to_owned();
        // Cy, whom vi follows, boosts au's post into vi's home feed.
        cy.post(&format!("/api/v1/statuses/{post}/reblog"), json!({}))
            .await;

        let reads = async || {
            let home = ids(&vi.json("/api/v1/timelines/home").await);
            let public = ids(&vi.json("/api/v1/timelines/public").await);
            let local = ids(&vi.json("/api/v1/timelines/public?local=true").await);
            let context =
                ids(&vi.json(&format!("/api/v1/statuses/{root}/context")).await["descendants"]);
            let account = ids(&vi
                .json(&format!("/api/v1/accounts/{}/statuses", au.id))
                .await);
            let shown = vi
                .status_code(reqwest::Method::GET, &format!("/api/v1/statuses/{post}"))
                .await;
            (home, public, local, context, account, shown)
        };
        let (home, public, local, context, account, shown) = reads().await;
        assert!(home.contains(&post), "{home:?}");
        assert!(public.contains(&post) && public.contains(&reply));
        assert!(local.contains(&post));
        assert_eq!(context, vec![reply.clone()]);
        assert_eq!(account.len(), 2);
        assert_eq!(shown, 200);

        for (blocker, target) in [(&vi, &au), (&au, &vi)] {
            blocker
                .post(&format!("/api/v1/accounts/{}/block", target.id), json!({}))
                .await;
            let (home, public, local, context, account, shown) = reads().await;
            let who = if blocker.id == vi.id {
                "vi blocks au"
            } else {
                "au blocks vi"
            };
            assert!(!home.contains(&post), "{who}: home {home:?}");
            assert!(
                !public.contains(&post) && !public.contains(&reply),
                "{who}: public {public:?}"
            );
            assert!(public.contains(&root), "{who}: the rest stays: {public:?}");
            assert!(!local.contains(&post), "{who}: local {local:?}");
            assert!(context.is_empty(), "{who}: context {context:?}");
            assert!(account.is_empty(), "{who}: account {account:?}");
            assert_eq!(shown, 404, "{who}: the post itself");
            blocker
                .post(
                    &format!("/api/v1/accounts/{}/unblock", target.id),
                    json!({}),
                )
                .await;
            let (_, public, ..) = reads().await;
            assert!(public.contains(&post), "unblocked, it shows again");
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_remote_actor_cannot_like_boost_or_reach_by_reply() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let post = ana
            .post("/api/v1/statuses", json!({"status": "ana's post"}))
            .await;
        let post_id: i64 = post["id"].as_str().unwrap().parse().unwrap();
        let post_uri = post["uri"].as_str().unwrap().to_owned();
        let fake = Fake::start().await;
        let (eve_k, fred_k) = (key(), key());
        let eve = format!("{}/users/eve", fake.base);
        let fred = format!("{}/users/fred", fake.base);
        fake.serve(
            &eve,
            actor_doc(&eve, &format!("{eve}#main-key"), &eve_k.public_pem),
        );
        fake.serve(
            &fred,
            actor_doc(&fred, &format!("{fred}#main-key"), &fred_k.public_pem),
        );
        let inbox = i.url("/users/ana/inbox");
        let send = async |actor: &str, k: &crate::inbox::Key, body: Value| {
            post_signed(
                &inbox,
                body.to_string().as_bytes(),
                &format!("{actor}#main-key"),
                k,
                Spoil::None,
            )
            .await
        };
        // Eve introduces herself with a post, and ana blocks her.
        let hello = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{eve}/notes/1/activity"), "type": "Create", "actor": eve,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": { "id": format!("{eve}/notes/1"), "type": "Note", "attributedTo": eve,
                        "content": "hi", "to": ["https://www.w3.org/ns/activitystreams#Public"] }
        });
        assert_eq!(send(&eve, &eve_k, hello).await, 202);
        let eve_ap = eve.clone();
        let eve_id = i
            .context
            .db
            .read(move |c| accounts::by_ap_id(c, &eve_ap))
            .await
            .unwrap()
            .id;
        ana.post(&format!("/api/v1/accounts/{eve_id}/block"), json!({}))
            .await;

        let like = |actor: &str, n: u32| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}/likes/{n}"), "type": "Like", "actor": actor, "object": post_uri
            })
        };
        let announce = |actor: &str, n: u32| {
            json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": format!("{actor}/boosts/{n}"), "type": "Announce", "actor": actor,
                "object": post_uri,
                "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [format!("{actor}/followers")]
            })
        };
        let reply = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{eve}/notes/2/activity"), "type": "Create", "actor": eve,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": { "id": format!("{eve}/notes/2"), "type": "Note", "attributedTo": eve,
                        "inReplyTo": post_uri, "content": "@ana listen",
                        "tag": [{"type": "Mention", "href": i.url("/users/ana"), "name": "@ana"}],
                        "to": ["https://www.w3.org/ns/activitystreams#Public", i.url("/users/ana")] }
        });
        assert_eq!(
            send(&eve, &eve_k, like(&eve, 1)).await,
            202,
            "ignored, not refused"
        );
        assert_eq!(send(&eve, &eve_k, announce(&eve, 1)).await, 202);
        assert_eq!(send(&eve, &eve_k, reply).await, 202);
        let eve_reply = format!("{eve}/notes/2");
        let (favourited, boosted, reply_stored) = i
            .context
            .db
            .read(move |c| {
                Ok((
                    activity::is_favourited(c, eve_id, post_id)?,
                    statuses::reblog_by(c, eve_id, post_id).is_ok(),
                    statuses::by_ap_id(c, &eve_reply).is_ok(),
                ))
            })
            .await
            .unwrap();
        assert!(!favourited, "a blocked actor's Like is not stored");
        assert!(!boosted, "a blocked actor's Announce is not stored");
        assert!(reply_stored, "a blocked actor's reply is stored");
        assert!(kinds(&ana).await.is_empty(), "{:?}", kinds(&ana).await);
        let context = ana
            .json(&format!("/api/v1/statuses/{post_id}/context"))
            .await;
        assert!(ids(&context["descendants"]).is_empty(), "{context}");

        // The same from fred, whom ana does not block, goes through.
        assert_eq!(send(&fred, &fred_k, like(&fred, 1)).await, 202);
        assert_eq!(send(&fred, &fred_k, announce(&fred, 1)).await, 202);
        assert_eq!(kinds(&ana).await, ["reblog", "favourite"]);
        fake.stop().await;
    });
}
