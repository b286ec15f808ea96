//! Invalid parameters get 422 with Mastodon's `{"error": …}` body, not silent acceptance:
//! paging parameters (`limit`, `max_id`, `since_id`, `min_id`) on every paged list through the
//! one `PageQuery`, `limit`/`offset` of account search, and a post's `visibility` and `language` on create and on edit. Unknown
//! routes are 404 in the same JSON shape.

use crate::on_each_backend;
use crate::rig::{client, Instance, User};
use serde_json::{json, Value};

/// Sends `method path` with `body` (JSON) as `user`, returns the status and the parsed body.
async fn call(
    user: &User,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client()
        .request(method, format!("{}{}", user.base, path))
        .bearer_auth(&user.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let code = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path}: not JSON: {text}"));
    (code, body)
}

fn assert_422(what: &str, (code, body): (u16, Value)) {
    assert_eq!(code, 422, "{what}: {body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{what}: no error message in {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_parameters_are_refused_with_422() {
    on_each_backend!(async |i: &Instance| {
        let ana = User::new(i, "ana").await;
        let first = ana
            .post(
                "/api/v1/statuses",
                json!({"status": "one", "language": "pt_BR"}),
            )
            .await;
        assert_eq!(first["language"], "pt-BR");
        let get = reqwest::Method::GET;

        // Paging parameters, on several paged lists (they share the one parser).
        for list in [
            "/api/v1/timelines/home",
            "/api/v1/timelines/public",
            "/api/v1/notifications",
            "/api/v1/favourites",
            "/api/v1/bookmarks",
            "/api/v1/blocks",
        ] {
            for bad in [
                "limit=abc",
                "limit=-1",
                "limit=1.5",
                "max_id=abc",
                "since_id=abc",
                "min_id=-5",
            ] {
                let path = format!("{list}?{bad}");
                assert_422(&path, call(&ana, get.clone(), &path, None).await);
            }
        }
        // Valid and clamped values still answer: a limit over the maximum is cut to it, an empty
        // value is no value, limit=0 is accepted.
        for ok in [
            "limit=100000",
            "limit=",
            "max_id=",
            "limit=0",
            "limit=2&max_id=999999999999999999",
        ] {
            let path = format!("/api/v1/timelines/home?{ok}");
            let (code, body) = call(&ana, get.clone(), &path, None).await;
            assert_eq!(code, 200, "{path}: {body}");
            assert!(body.is_array(), "{path}: {body}");
        }
        let home = ana.json("/api/v1/timelines/home?limit=1").await;
        assert_eq!(home.as_array().unwrap().len(), 1);

        // Account search reads `limit` and `offset` by the same rule: not a whole number of zero
        // or more is 422; too large is clamped (to 80), empty is absent.
        for bad in [
            "limit=abc",
            "limit=-1",
            "limit=1.5",
            "offset=abc",
            "offset=-3",
        ] {
            let path = format!("/api/v1/accounts/search?q=ana&{bad}");
            assert_422(&path, call(&ana, get.clone(), &path, None).await);
        }
        for ok in ["limit=100000", "limit=&offset=", "offset=0", "limit=0"] {
            let path = format!("/api/v1/accounts/search?q=ana&{ok}");
            let (code, body) = call(&ana, get.clone(), &path, None).await;
            assert_eq!(code, 200, "{path}: {body}");
            assert_eq!(body.as_array().unwrap().len(), 1, "{path}: {body}");
        }
        let past = ana.json("/api/v1/accounts/search?q=ana&offset=1").await;
        assert_eq!(past, json!([]));

        // A post's visibility and language, on create…
        let post = reqwest::Method::POST;
        for bad in [
            json!({"status": "x", "visibility": "everyone"}),
            json!({"status": "x", "language": "xx"}),
            json!({"status": "x", "language": "english"}),
            json!({"status": "x", "language": "<b>"}),
        ] {
            let what = bad.to_string();
            assert_422(
                &what,
                call(&ana, post.clone(), "/api/v1/statuses", Some(bad)).await,
            );
        }
        // …and on edit, where a bogus value is refused and the post left as it was.
        let id = first["id"].as_str().unwrap();
        let put = reqwest::Method::PUT;
        let path = format!("/api/v1/statuses/{id}");
        for bad in [
            json!({"status": "changed", "visibility": "everyone"}),
            json!({"status": "changed", "language": "zz"}),
        ] {
            let what = bad.to_string();
            assert_422(&what, call(&ana, put.clone(), &path, Some(bad)).await);
        }
        let still = ana.json(&path).await;
        assert!(
            still["content"].as_str().unwrap().contains("one"),
            "{still}"
        );
        assert!(still["edited_at"].is_null(), "{still}");

        // Unknown routes: 404 with a JSON error, under /api and elsewhere.
        for path in ["/api/v1/no_such_thing", "/api/v2/nope/1", "/no/such/page"] {
            let (code, body) = call(&ana, get.clone(), path, None).await;
            assert_eq!(code, 404, "{path}: {body}");
            assert!(body["error"].is_string(), "{path}: {body}");
        }
    });
}
