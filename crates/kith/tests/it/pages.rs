//! Pages for people: a post's page at its `url` (public and unlisted only, the Note for
//! ActivityPub clients), and errors as HTML pages for browsers but JSON for the API and for
//! ActivityPub.

use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use serde_json::{json, Value};

/// GETs `url` with `accept`; returns the status, the content type and the body.
async fn get(url: &str, accept: &str) -> (u16, String, String) {
    let res = client()
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, res.text().await.unwrap())
}

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const ACTIVITY: &str = "application/activity+json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_posts_url_is_its_page_for_people_and_its_note_for_servers() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let mut posts = Vec::new();
        for vis in ["public", "unlisted", "private", "direct"] {
            let text = format!("a {vis} post <script>alert(1)</script> & more");
            let s = ana
                .post(
                    "/api/v1/statuses",
                    json!({"status": text, "visibility": vis}),
                )
                .await;
            posts.push((vis, s));
        }
        for (vis, s) in &posts {
            let url = s["url"].as_str().unwrap();
            let id = s["id"].as_str().unwrap();
            assert_eq!(url, i.url(&format!("/@ana/{id}")));
            let (status, content_type, body) = get(url, BROWSER).await;
            assert!(
                content_type.starts_with("text/html"),
                "{vis}: {content_type}"
            );
            if matches!(*vis, "public" | "unlisted") {
                assert_eq!(status, 200, "{vis}");
                assert!(body.contains(&format!("a {vis} post")), "{body}");
                // The stored note is escaped text: the script is shown, never run.
                assert!(
                    body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
                    "{body}"
                );
                assert!(!body.contains("<script>"), "{body}");
                assert!(
                    body.contains(&format!("href=\"{}\"", i.url("/@ana"))),
                    "{body}"
                );
                assert!(body.contains(&format!("@ana@{}", i.domain)), "{body}");
                let year = s["created_at"].as_str().unwrap()[..4].to_owned();
                assert!(body.contains(&format!("datetime=\"{year}")), "{body}");
            } else {
                assert_eq!(status, 404, "{vis} posts have no public page");
                assert!(!body.contains(&format!("a {vis} post")), "{body}");
                assert!(body.contains("Not found"), "{body}");
            }

            // Asked for as ActivityStreams, the same URL is the Note (public and unlisted).
            let (status, content_type, body) = get(url, ACTIVITY).await;
            if matches!(*vis, "public" | "unlisted") {
                assert_eq!(status, 200, "{vis}");
                assert_eq!(content_type, ACTIVITY);
                let note: Value = serde_json::from_str(&body).unwrap();
                assert_eq!(note["type"], "Note");
                assert_eq!(note["id"], s["uri"]);
            } else {
                assert_eq!(status, 404, "{vis}: {body}");
                assert!(!body.contains(&format!("a {vis} post")), "{body}");
            }
        }

        // A boost, someone else's id, an unknown id or user, and a non-number are 404 pages.
        let public_id = posts[0].1["id"].as_str().unwrap().to_owned();
        let boost = ana
            .post(&format!("/api/v1/statuses/{public_id}/reblog"), json!({}))
            .await;
        let bo = User::new(i, "bo").await;
        drop(bo);
        for path in [
            format!("/@ana/{}", boost["id"].as_str().unwrap()),
            format!("/@bo/{public_id}"),
            "/@ana/1".to_owned(),
            format!("/@nobody/{public_id}"),
            "/@ana/not-a-number".to_owned(),
        ] {
            let (status, content_type, body) = get(&i.url(&path), BROWSER).await;
            assert_eq!(status, 404, "{path}");
            assert!(content_type.starts_with("text/html"), "{path}");
            assert!(body.contains("Not found"), "{path}: {body}");
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browsers_get_error_pages_and_programs_get_json() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        // Browsers: an unknown profile, actor, page or static file is an HTML 404 page.
        for path in [
            "/@nobody",
            "/users/nobody",
            "/no/such/page",
            "/static/nothing.css",
        ] {
            let (status, content_type, body) = get(&i.url(path), BROWSER).await;
            assert_eq!(status, 404, "{path}");
            assert!(
                content_type.starts_with("text/html"),
                "{path}: {content_type}"
            );
            assert!(body.contains("<h1>Not found</h1>"), "{path}: {body}");
            assert!(body.contains("Kith test"), "{path}: the instance's name");
        }
        // The API, ActivityPub and programs that do not ask for HTML get JSON errors, unknown
        // routes and wrong methods included (Mastodon clients read `error` on every one).
        let json_errors = [
            ("GET", "/api/v1/nothing", BROWSER, 404),
            ("GET", "/api/v1/nothing", "application/json", 404),
            ("GET", "/api/v1/accounts/999", BROWSER, 404),
            ("GET", "/users/nobody", ACTIVITY, 404),
            ("GET", "/@nobody", "*/*", 404),
            ("GET", "/no/such/page", "application/json", 404),
            ("GET", "/static/nothing.css", "*/*", 404),
            ("DELETE", "/api/v1/instance", "application/json", 404),
            ("POST", "/@ana", BROWSER, 404),
        ];
        for (method, path, accept, want) in json_errors {
            let res = client()
                .request(method.parse().unwrap(), i.url(path))
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
            let body = res.text().await.unwrap();
            assert_eq!(status, want, "{method} {path} ({accept})");
            assert!(
                content_type.starts_with("application/json"),
                "{method} {path}: {content_type}"
            );
            let error: Value = serde_json::from_str(&body).unwrap();
            assert!(error["error"].is_string(), "{method} {path}: {body}");
        }
    });
}
