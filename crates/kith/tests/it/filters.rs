//! Filters on both backends: v2 CRUD (keywords and statuses, nested `keywords_attributes`
//! with `_destroy`, JSON and form bodies, refusals), matching (case, whole words at Unicode
//! boundaries, content warnings and media descriptions, statuses named), expiry, `warn`
//! against `hide` in each context (home and lists, public, thread, account, notifications),
//! the v1 view on top of v2, and the streaming side (`filters_changed`, hidden and marked
//! updates).

use crate::lists::{call, call_form, command, contents, next, ws};
use crate::on_each_backend;
use crate::rig::{Instance, User};
use reqwest::Method;
use serde_json::{json, Value};

async fn post(u: &User, body: Value) -> Value {
    u.post("/api/v1/statuses", body).await
}

/// The timeline's statuses as (content as text, filtered results).
async fn seen(u: &User, path: &str) -> Vec<(String, Value)> {
    u.json(path)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let inner = if s["reblog"].is_object() {
                &s["reblog"]
            } else {
                s
            };
            (
                kith_core::html::html_to_text(inner["content"].as_str().unwrap()),
                s["filtered"].clone(),
            )
        })
        .collect()
}

fn find<'a>(list: &'a [(String, Value)], text: &str) -> Option<&'a Value> {
    list.iter().find(|(c, _)| c == text).map(|(_, f)| f)
}

async fn make_filter(u: &User, body: Value) -> Value {
    u.post("/api/v2/filters", body).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_v2_crud_and_refusals() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;

        let f = make_filter(
            &ana,
            json!({
                "title": "Spoilers", "context": ["home", "public"], "filter_action": "warn",
                "keywords_attributes": [
                    {"keyword": "spoiler", "whole_word": true},
                    {"keyword": "finale", "whole_word": false}
                ]
            }),
        )
        .await;
        assert_eq!(f["title"], "Spoilers");
        assert_eq!(f["context"], json!(["home", "public"]));
        assert_eq!(f["filter_action"], "warn");
        assert_eq!(f["expires_at"], Value::Null);
        assert_eq!(f["keywords"].as_array().unwrap().len(), 2);
        assert_eq!(f["keywords"][0]["keyword"], "spoiler");
        assert_eq!(f["keywords"][0]["whole_word"], true);
        assert_eq!(f["statuses"], json!([]));
        let id = f["id"].as_str().unwrap().to_owned();

        // A form body with Rails' nested attributes, and an expiry.
        let (status, g) = call_form(
            &ana,
            Method::POST,
            "/api/v2/filters",
            "title=Politics&context[]=thread&context[]=account&filter_action=hide&expires_in=3600\
             &keywords_attributes[][keyword]=election&keywords_attributes[][whole_word]=1\
             &keywords_attributes[][keyword]=vote&keywords_attributes[][whole_word]=0",
        )
        .await;
        assert_eq!(status, 200, "{g}");
        assert_eq!(g["context"], json!(["thread", "account"]));
        assert_eq!(g["filter_action"], "hide");
        assert!(g["expires_at"].is_string());
        let kws: Vec<(Value, Value)> = g["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| (k["keyword"].clone(), k["whole_word"].clone()))
            .collect();
        assert_eq!(
            kws,
            [
                (json!("election"), json!(true)),
                (json!("vote"), json!(false))
            ]
        );
        // Indexed nested attributes too (`keywords_attributes[0][keyword]`).
        let (status, h) = call_form(
            &ana,
            Method::POST,
            "/api/v2/filters",
            "title=Blurry&context[]=home&filter_action=blur&keywords_attributes[0][keyword]=gore",
        )
        .await;
        assert_eq!(status, 200, "{h}");
        assert_eq!(h["filter_action"], "blur");
        assert_eq!(h["keywords"][0]["keyword"], "gore");

        // Refusals: no title, no or unknown context, unknown action, a bad expiry.
        for bad in [
            json!({"context": ["home"]}),
            json!({"title": "x"}),
            json!({"title": "x", "context": ["everywhere"]}),
            json!({"title": "x", "context": ["home"], "filter_action": "explode"}),
            json!({"title": "x", "context": ["home"], "expires_in": "soon"}),
            json!({"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": ""}]}),
        ] {
            let (status, body) =
                call(&ana, Method::POST, "/api/v2/filters", Some(bad.clone())).await;
            assert_eq!(status, 422, "{bad}: {body}");
            assert!(body["error"].is_string());
        }

        let all = ana.json("/api/v2/filters").await;
        assert_eq!(all.as_array().unwrap().len(), 3);
        assert_eq!(
            ana.json(&format!("/api/v2/filters/{id}")).await["title"],
            "Spoilers"
        );
        for path in [
            format!("/api/v2/filters/{id}"),
            format!("/api/v2/filters/{id}/keywords"),
            format!("/api/v2/filters/{id}/statuses"),
            "/api/v2/filters/nope".to_owned(),
        ] {
            let (status, _) = call(&bob, Method::GET, &path, None).await;
            assert_eq!(status, 404, "{path}");
        }
        assert!(bob
            .json("/api/v2/filters")
            .await
            .as_array()
            .unwrap()
            .is_empty());

        // Update: fields, and keywords by id (`_destroy` removes one), new ones added.
        let spoiler_kw = f["keywords"][0]["id"].as_str().unwrap().to_owned();
        let finale_kw = f["keywords"][1]["id"].as_str().unwrap().to_owned();
        let (status, u) = call(
            &ana,
            Method::PUT,
            &format!("/api/v2/filters/{id}"),
            Some(json!({
                "title": "Spoilers!", "context": ["home"], "filter_action": "hide",
                "keywords_attributes": [
                    {"id": spoiler_kw, "keyword": "spoilers", "whole_word": false},
                    {"id": finale_kw, "_destroy": true},
                    {"keyword": "ending"}
                ]
            })),
        )
        .await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(u["title"], "Spoilers!");
        assert_eq!(u["context"], json!(["home"]));
        assert_eq!(u["filter_action"], "hide");
        let words: Vec<&str> = u["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["keyword"].as_str().unwrap())
            .collect();
        assert_eq!(words, ["spoilers", "ending"]);
        // Someone else's keyword id in the nested attributes is 404, and changes nothing.
        let other_kw = g["keywords"][0]["id"].as_str().unwrap();
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v2/filters/{id}"),
            Some(json!({"title": "changed?", "keywords_attributes": [{"id": other_kw, "_destroy": "1"}]})),
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(
            ana.json(&format!("/api/v2/filters/{id}")).await["title"],
            "Spoilers!"
        );
        // An empty expires_in clears the expiry.
        let gid = g["id"].as_str().unwrap();
        let (status, cleared) = call(
            &ana,
            Method::PUT,
            &format!("/api/v2/filters/{gid}"),
            Some(json!({"expires_in": ""})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(cleared["expires_at"], Value::Null);

        // Keyword endpoints.
        let kw = ana
            .post(
                &format!("/api/v2/filters/{id}/keywords"),
                json!({"keyword": "twist", "whole_word": true}),
            )
            .await;
        assert_eq!(kw["keyword"], "twist");
        let kid = kw["id"].as_str().unwrap().to_owned();
        assert_eq!(
            ana.json(&format!("/api/v2/filters/{id}/keywords"))
                .await
                .as_array()
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            ana.json(&format!("/api/v2/filters/keywords/{kid}")).await["whole_word"],
            true
        );
        let (status, kw2) = call(
            &ana,
            Method::PUT,
            &format!("/api/v2/filters/keywords/{kid}"),
            Some(json!({"keyword": "plot twist", "whole_word": false})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(kw2["keyword"], "plot twist");
        assert_eq!(kw2["whole_word"], false);
        let (status, _) = call(
            &bob,
            Method::GET,
            &format!("/api/v2/filters/keywords/{kid}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &bob,
            Method::DELETE,
            &format!("/api/v2/filters/keywords/{kid}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &ana,
            Method::DELETE,
            &format!("/api/v2/filters/keywords/{kid}"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let (status, _) = call(
            &ana,
            Method::GET,
            &format!("/api/v2/filters/keywords/{kid}"),
            None,
        )
        .await;
        assert_eq!(status, 404);

        // Status endpoints: only a status the owner may see.
        let visible = post(&bob, json!({"status": "a post"})).await;
        let hidden = post(&bob, json!({"status": "secret", "visibility": "direct"})).await;
        let fs = ana
            .post(
                &format!("/api/v2/filters/{id}/statuses"),
                json!({"status_id": visible["id"]}),
            )
            .await;
        assert_eq!(fs["status_id"], visible["id"]);
        let fsid = fs["id"].as_str().unwrap().to_owned();
        let (status, _) = call(
            &ana,
            Method::POST,
            &format!("/api/v2/filters/{id}/statuses"),
            Some(json!({"status_id": hidden["id"]})),
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(
            ana.json(&format!("/api/v2/filters/{id}/statuses")).await,
            json!([{"id": fsid, "status_id": visible["id"]}])
        );
        assert_eq!(
            ana.json(&format!("/api/v2/filters/statuses/{fsid}")).await["id"],
            fsid.as_str()
        );
        assert_eq!(
            ana.json(&format!("/api/v2/filters/{id}")).await["statuses"][0]["id"],
            fsid.as_str()
        );
        let (status, _) = call(
            &bob,
            Method::GET,
            &format!("/api/v2/filters/statuses/{fsid}"),
            None,
        )
        .await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &ana,
            Method::DELETE,
            &format!("/api/v2/filters/statuses/{fsid}"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert!(ana
            .json(&format!("/api/v2/filters/{id}/statuses"))
            .await
            .as_array()
            .unwrap()
            .is_empty());

        // Delete.
        let (status, _) = call(&bob, Method::DELETE, &format!("/api/v2/filters/{id}"), None).await;
        assert_eq!(status, 404);
        let (status, body) =
            call(&ana, Method::DELETE, &format!("/api/v2/filters/{id}"), None).await;
        assert_eq!((status, body), (200, json!({})));
        let (status, _) = call(&ana, Method::GET, &format!("/api/v2/filters/{id}"), None).await;
        assert_eq!(status, 404);

        // Scopes: read:filters reads, write:filters writes.
        let ana_id: i64 = ana.id.parse().unwrap();
        let account = i
            .context
            .db
            .read(move |c| kith_storage::accounts::by_id(c, ana_id))
            .await
            .unwrap();
        let reader = User::with_token(i, ana_id, i.token(&account, "read:filters").await);
        assert_eq!(
            reader.status_code(Method::GET, "/api/v2/filters").await,
            200
        );
        assert_eq!(
            reader.status_code(Method::GET, "/api/v1/filters").await,
            200
        );
        let (status, _) = call(
            &reader,
            Method::POST,
            "/api/v2/filters",
            Some(json!({"title": "x", "context": ["home"]})),
        )
        .await;
        assert_eq!(status, 403);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_match_and_act_in_their_contexts() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        ana.post(&format!("/api/v1/accounts/{}/follow", bob.id), json!({}))
            .await;
        let rust = post(&bob, json!({"status": "I love Rust."})).await;
        post(&bob, json!({"status": "a trusty tool"})).await;
        post(&bob, json!({"status": "un café, s'il vous plaît"})).await;
        post(&bob, json!({"status": "deux cafés"})).await;
        post(
            &bob,
            json!({"status": "nothing to see", "spoiler_text": "Finale SPOILERS"}),
        )
        .await;
        post(&bob, json!({"status": "an ordinary post"})).await;

        // Whole words (with Unicode letters around), case-insensitive, content warnings.
        let warn = make_filter(
            &ana,
            json!({"title": "words", "context": ["home"], "filter_action": "warn",
                   "keywords_attributes": [
                       {"keyword": "RUST", "whole_word": true},
                       {"keyword": "café", "whole_word": true},
                       {"keyword": "spoiler", "whole_word": false}]}),
        )
        .await;
        let home = seen(&ana, "/api/v1/timelines/home").await;
        let r = find(&home, "I love Rust.").unwrap();
        assert_eq!(r.as_array().unwrap().len(), 1, "{r}");
        assert_eq!(r[0]["filter"]["id"], warn["id"]);
        assert_eq!(r[0]["filter"]["title"], "words");
        assert_eq!(r[0]["filter"]["filter_action"], "warn");
        assert!(
            r[0]["filter"].get("keywords").is_none(),
            "no rules inside a result"
        );
        assert_eq!(r[0]["keyword_matches"], json!(["RUST"]));
        assert_eq!(find(&home, "a trusty tool").unwrap(), &json!([]));
        assert_eq!(
            find(&home, "un café, s'il vous plaît").unwrap()[0]["keyword_matches"],
            json!(["café"])
        );
        assert_eq!(find(&home, "deux cafés").unwrap(), &json!([]));
        assert_eq!(
            find(&home, "nothing to see").unwrap()[0]["keyword_matches"],
            json!(["spoiler"])
        );
        assert_eq!(find(&home, "an ordinary post").unwrap(), &json!([]));
        // Not in the public context: no marks there.
        let public = seen(&ana, "/api/v1/timelines/public").await;
        assert_eq!(find(&public, "I love Rust.").unwrap(), &json!([]));
        // A status named by a filter matches it (status_matches), boosts too.
        let by_status = make_filter(
            &ana,
            json!({"title": "this one", "context": ["public"], "filter_action": "warn"}),
        )
        .await;
        ana.post(
            &format!(
                "/api/v2/filters/{}/statuses",
                by_status["id"].as_str().unwrap()
            ),
            json!({"status_id": rust["id"]}),
        )
        .await;
        let public = seen(&ana, "/api/v1/timelines/public").await;
        let r = find(&public, "I love Rust.").unwrap();
        assert_eq!(r[0]["status_matches"], json!([rust["id"]]), "{r}");
        assert_eq!(r[0]["keyword_matches"], json!([]));

        // hide: left out of the context's timelines, kept elsewhere.
        let hide = make_filter(
            &ana,
            json!({"title": "hidden", "context": ["home"], "filter_action": "hide",
                   "keywords_attributes": [{"keyword": "ordinary"}]}),
        )
        .await;
        let texts = contents(&ana, "/api/v1/timelines/home").await;
        assert!(!texts.iter().any(|t| t == "an ordinary post"), "{texts:?}");
        assert!(contents(&ana, "/api/v1/timelines/public")
            .await
            .iter()
            .any(|t| t == "an ordinary post"));
        // A page whose statuses were all hidden still links onwards.
        let res = ana.get("/api/v1/timelines/home?limit=1").await;
        assert!(res.headers().get("link").is_some());
        assert!(res
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .is_empty());
        // A list is read in the home context.
        let list = ana.post("/api/v1/lists", json!({"title": "bob"})).await;
        let lid = list["id"].as_str().unwrap();
        ana.post(
            &format!("/api/v1/lists/{lid}/accounts"),
            json!({"account_ids": [bob.id]}),
        )
        .await;
        let in_list = contents(&ana, &format!("/api/v1/timelines/list/{lid}")).await;
        assert!(in_list.iter().any(|t| t == "a trusty tool"));
        assert!(!in_list.iter().any(|t| t == "an ordinary post"));

        // Account context.
        let account_path = format!("/api/v1/accounts/{}/statuses", bob.id);
        assert!(contents(&ana, &account_path)
            .await
            .iter()
            .any(|t| t == "an ordinary post"));
        let hid = hide["id"].as_str().unwrap().to_owned();
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v2/filters/{hid}"),
            Some(json!({"context": ["account", "thread", "notifications", "public"]})),
        )
        .await;
        assert_eq!(status, 200);
        assert!(!contents(&ana, &account_path)
            .await
            .iter()
            .any(|t| t == "an ordinary post"));
        assert!(contents(&ana, "/api/v1/timelines/home")
            .await
            .iter()
            .any(|t| t == "an ordinary post"));
        assert!(!contents(&ana, "/api/v1/timelines/public")
            .await
            .iter()
            .any(|t| t == "an ordinary post"));

        // Thread context: a hidden reply leaves the context; asked for by id it is shown,
        // marked.
        let root = post(&bob, json!({"status": "a thread"})).await;
        let r1 = bob
            .post(
                "/api/v1/statuses",
                json!({"status": "an ordinary reply", "in_reply_to_id": root["id"]}),
            )
            .await;
        bob.post(
            "/api/v1/statuses",
            json!({"status": "a fine reply", "in_reply_to_id": root["id"]}),
        )
        .await;
        let ctx = ana
            .json(&format!(
                "/api/v1/statuses/{}/context",
                root["id"].as_str().unwrap()
            ))
            .await;
        let replies: Vec<&str> = ctx["descendants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["content"].as_str().unwrap())
            .collect();
        assert_eq!(replies.len(), 1, "{replies:?}");
        assert!(replies[0].contains("a fine reply"));
        let one = ana
            .json(&format!("/api/v1/statuses/{}", r1["id"].as_str().unwrap()))
            .await;
        assert_eq!(one["filtered"][0]["filter"]["id"], hide["id"]);
        assert_eq!(one["filtered"][0]["filter"]["filter_action"], "hide");

        // Notifications: a mention matching a hide filter for notifications is left out; a
        // warn filter marks it.
        let mention = post(&bob, json!({"status": "@ana an ordinary mention"})).await;
        post(&bob, json!({"status": "@ana a plain mention"})).await;
        let notes = ana.json("/api/v1/notifications").await;
        let statuses: Vec<&str> = notes
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["status"]["content"].as_str())
            .collect();
        assert!(statuses.iter().any(|c| c.contains("a plain mention")));
        assert!(
            !statuses.iter().any(|c| c.contains("an ordinary mention")),
            "{statuses:?}"
        );
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v2/filters/{hid}"),
            Some(json!({"filter_action": "warn"})),
        )
        .await;
        assert_eq!(status, 200);
        let notes = ana.json("/api/v1/notifications").await;
        let marked = notes
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["status"]["id"] == mention["id"])
            .expect("shown again once the filter only warns");
        assert_eq!(marked["status"]["filtered"][0]["filter"]["id"], hide["id"]);

        // Expiry: an expired filter matches nothing (its row's expiry set in the past).
        let wid: i64 = warn["id"].as_str().unwrap().parse().unwrap();
        let ana_id: i64 = ana.id.parse().unwrap();
        i.context
            .db
            .write(move |c| {
                let mut row = kith_storage::filters::owned(c, wid, ana_id)?.unwrap();
                row.expires_at = Some(kith_storage::now() - chrono::Duration::seconds(1));
                kith_storage::filters::update(c, &row)
            })
            .await
            .unwrap();
        let home = seen(&ana, "/api/v1/timelines/home").await;
        assert_eq!(find(&home, "I love Rust.").unwrap(), &json!([]));
        // Still listed (with its expiry), as Mastodon lists expired filters.
        let listed = ana.json(&format!("/api/v2/filters/{wid}")).await;
        assert!(listed["expires_at"].is_string());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_v1_are_keywords_of_v2_filters() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let (status, v1) = call_form(
            &ana,
            Method::POST,
            "/api/v1/filters",
            "phrase=Spoiler&context[]=home&context[]=public&irreversible=true&whole_word=false",
        )
        .await;
        assert_eq!(status, 200, "{v1}");
        assert_eq!(v1["phrase"], "Spoiler");
        assert_eq!(v1["context"], json!(["home", "public"]));
        assert_eq!(v1["irreversible"], true);
        assert_eq!(v1["whole_word"], false);
        assert_eq!(v1["expires_at"], Value::Null);
        let id = v1["id"].as_str().unwrap().to_owned();
        // The v2 view: a hide filter titled with the phrase, the phrase its one keyword.
        let v2 = ana.json("/api/v2/filters").await;
        assert_eq!(v2[0]["title"], "Spoiler");
        assert_eq!(v2[0]["filter_action"], "hide");
        assert_eq!(v2[0]["keywords"][0]["id"], id.as_str());
        assert_eq!(
            ana.json(&format!("/api/v1/filters/{id}")).await["phrase"],
            "Spoiler"
        );
        // A v2 filter with two keywords is two v1 filters.
        make_filter(
            &ana,
            json!({"title": "two", "context": ["thread"], "keywords_attributes": [
                {"keyword": "a"}, {"keyword": "b", "whole_word": true}]}),
        )
        .await;
        let all = ana.json("/api/v1/filters").await;
        let phrases: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["phrase"].as_str().unwrap())
            .collect();
        assert_eq!(phrases, ["Spoiler", "a", "b"]);
        assert_eq!(all[1]["irreversible"], false);
        // Updating: the keyword, and the filter's settings while it has one keyword; a
        // filter with several keywords refuses setting changes (422), as on Mastodon.
        let (status, u) = call(
            &ana,
            Method::PUT,
            &format!("/api/v1/filters/{id}"),
            Some(json!({"phrase": "spoilers", "context": ["home"], "irreversible": false, "expires_in": 600})),
        )
        .await;
        assert_eq!(status, 200, "{u}");
        assert_eq!(u["phrase"], "spoilers");
        assert_eq!(u["context"], json!(["home"]));
        assert_eq!(u["irreversible"], false);
        assert!(u["expires_at"].is_string());
        let b_id = all[2]["id"].as_str().unwrap();
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v1/filters/{b_id}"),
            Some(json!({"context": ["home"]})),
        )
        .await;
        assert_eq!(status, 422);
        let (status, _) = call(
            &ana,
            Method::PUT,
            &format!("/api/v1/filters/{b_id}"),
            Some(json!({"phrase": "bee"})),
        )
        .await;
        assert_eq!(status, 200);
        // Deleting the last keyword deletes the filter; others keep theirs.
        let (status, _) = call(&ana, Method::DELETE, &format!("/api/v1/filters/{id}"), None).await;
        assert_eq!(status, 200);
        let v2 = ana.json("/api/v2/filters").await;
        assert_eq!(v2.as_array().unwrap().len(), 1);
        assert_eq!(v2[0]["title"], "two");
        let (status, _) = call(
            &ana,
            Method::DELETE,
            &format!("/api/v1/filters/{b_id}"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            ana.json("/api/v2/filters").await[0]["keywords"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let bob = User::new(i, "bob").await;
        let (status, _) = call(&bob, Method::GET, &format!("/api/v1/filters/{b_id}"), None).await;
        assert_eq!(status, 404);
        let (status, _) = call(
            &ana,
            Method::POST,
            "/api/v1/filters",
            Some(json!({"phrase": "x"})),
        )
        .await;
        assert_eq!(status, 422, "a context is required");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_statuses_are_filtered_and_filter_changes_announced() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let bob = User::new(i, "bob").await;
        ana.post(&format!("/api/v1/accounts/{}/follow", bob.id), json!({}))
            .await;
        let mut user = ws(i, &ana.token).await;
        assert_eq!(
            command(&mut user, json!({"type": "subscribe", "stream": "user"})).await,
            None
        );
        let mut public = ws(i, &ana.token).await;
        assert_eq!(
            command(
                &mut public,
                json!({"type": "subscribe", "stream": "public"})
            )
            .await,
            None
        );

        // Making a filter announces it on the user stream (no payload).
        let f = make_filter(
            &ana,
            json!({"title": "hide", "context": ["home"], "filter_action": "hide",
                   "keywords_attributes": [{"keyword": "secret"}]}),
        )
        .await;
        let got = next(&mut user).await;
        assert_eq!(got["event"], "filters_changed", "{got}");
        assert_eq!(got["stream"], json!(["user"]));
        assert!(got.get("payload").is_none());
        make_filter(
            &ana,
            json!({"title": "warn", "context": ["public"], "filter_action": "warn",
                   "keywords_attributes": [{"keyword": "secret"}]}),
        )
        .await;
        assert_eq!(next(&mut user).await["event"], "filters_changed");

        // A hidden post does not reach the home stream (the next post does); on the public
        // stream it comes marked.
        post(&bob, json!({"status": "a secret plan"})).await;
        post(&bob, json!({"status": "an open plan"})).await;
        let got = next(&mut user).await;
        assert!(
            got["payload"]["content"]
                .as_str()
                .unwrap()
                .contains("an open plan"),
            "{got}"
        );
        let got = next(&mut public).await;
        assert!(got["payload"]["content"]
            .as_str()
            .unwrap()
            .contains("a secret plan"));
        assert_eq!(
            got["payload"]["filtered"][0]["keyword_matches"],
            json!(["secret"])
        );
        let got = next(&mut public).await;
        assert_eq!(got["payload"]["filtered"], json!([]));

        // Deleting and editing filters announce too.
        let (status, _) = call(
            &ana,
            Method::DELETE,
            &format!("/api/v2/filters/{}", f["id"].as_str().unwrap()),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(next(&mut user).await["event"], "filters_changed");
        post(&bob, json!({"status": "another secret"})).await;
        let got = next(&mut user).await;
        assert!(got["payload"]["content"]
            .as_str()
            .unwrap()
            .contains("another secret"));
    });
}
