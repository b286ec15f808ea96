//! WebFinger, host-meta, NodeInfo, actor documents and the profile page.

use crate::on_each_backend;
use crate::rig::{client, Instance};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webfinger_answers_for_local_accounts_only() {
    on_each_backend!(async |i: &Instance| {
        i.create_user("ana", "correct horse").await;
        let c = client();
        for resource in [
            format!("acct:ana@{}", i.domain),
            format!("ana@{}", i.domain),
            format!("acct:ANA@{}", i.domain),
            i.url("/users/ana"),
            i.url("/@ana"),
        ] {
            let res = c
                .get(i.url("/.well-known/webfinger"))
                .query(&[("resource", &resource)])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "{resource}");
            assert!(res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/jrd+json"));
            let doc: Value = res.json().await.unwrap();
            assert_eq!(doc["subject"], format!("acct:ana@{}", i.domain));
            let links = doc["links"].as_array().unwrap();
            let this = links.iter().find(|l| l["rel"] == "self").unwrap();
            assert_eq!(this["type"], "application/activity+json");
            assert_eq!(this["href"], i.url("/users/ana"));
        }
        let status = |resource: String| {
            let c = c.clone();
            let url = i.url("/.well-known/webfinger");
            async move {
                c.get(url)
                    .query(&[("resource", resource)])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(status(format!("acct:nobody@{}", i.domain)).await, 404);
        assert_eq!(status("acct:ana@elsewhere.example".into()).await, 404);
        assert_eq!(
            status("http://elsewhere.example/users/ana".into()).await,
            404
        );
        assert_eq!(status("ana".into()).await, 400);
        assert_eq!(status("acct:@".into()).await, 400);
        assert_eq!(status(String::new()).await, 400);
        let missing = c.get(i.url("/.well-known/webfinger")).send().await.unwrap();
        assert_eq!(missing.status(), 400);
        let body: Value = missing.json().await.unwrap();
        assert!(body["error"].is_string(), "Mastodon error shape: {body}");
        // The instance actor is discoverable as Mastodon's is.
        let actor = status("acct:localhost@".to_string() + &i.domain).await;
        assert_eq!(actor, 200);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_meta_and_nodeinfo_describe_the_instance() {
    on_each_backend!(async |i: &Instance| {
        let c = client();
        let xml = c.get(i.url("/.well-known/host-meta")).send().await.unwrap();
        assert_eq!(xml.status(), 200);
        let xml = xml.text().await.unwrap();
        assert!(
            xml.contains(&format!(
                "{}/.well-known/webfinger?resource={{uri}}",
                i.base
            )),
            "{xml}"
        );

        let disco: Value = c
            .get(i.url("/.well-known/nodeinfo"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let hrefs: Vec<&str> = disco["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["href"].as_str().unwrap())
            .collect();
        assert!(hrefs.contains(&i.url("/nodeinfo/2.0").as_str()));
        assert!(hrefs.contains(&i.url("/nodeinfo/2.1").as_str()));

        let before: Value = c
            .get(i.url("/nodeinfo/2.1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(before["usage"]["users"]["total"], 0);
        let ana = i.create_user("ana", "correct horse").await;
        i.create_user("bo", "correct horse").await;
        i.token(&ana, "read").await; // a token issue counts as activity
        for v in ["2.0", "2.1"] {
            let doc: Value = c
                .get(i.url(&format!("/nodeinfo/{v}")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(doc["version"], v);
            assert_eq!(doc["software"]["name"], "kith");
            assert_eq!(doc["protocols"][0], "activitypub");
            assert_eq!(
                doc["usage"]["users"]["total"], 2,
                "the instance actor is not a person"
            );
            assert_eq!(doc["usage"]["users"]["activeMonth"], 1);
            assert_eq!(doc["metadata"]["upstream"]["name"], "mastodon");
        }
        assert_eq!(
            c.get(i.url("/nodeinfo/9.9")).send().await.unwrap().status(),
            404
        );
        let health = c.get(i.url("/health")).send().await.unwrap();
        assert_eq!(health.status(), 200);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actors_are_served_as_activitystreams_and_html() {
    on_each_backend!(async |i: &Instance| {
        let ana = i.create_user("ana", "correct horse").await;
        let c = client();
        let res = c
            .get(i.url("/users/ana"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/activity+json");
        assert_eq!(res.headers()["vary"], "Accept");
        let p: Value = res.json().await.unwrap();
        assert_eq!(p["type"], "Person");
        assert_eq!(p["id"], i.url("/users/ana"));
        assert_eq!(p["preferredUsername"], "ana");
        assert_eq!(p["inbox"], i.url("/users/ana/inbox"));
        assert_eq!(p["outbox"], i.url("/users/ana/outbox"));
        assert_eq!(p["followers"], i.url("/users/ana/followers"));
        assert_eq!(p["following"], i.url("/users/ana/following"));
        assert_eq!(p["endpoints"]["sharedInbox"], i.url("/inbox"));
        assert_eq!(p["url"], i.url("/@ana"));
        assert_eq!(p["manuallyApprovesFollowers"], false);
        assert!(p.get("name").is_some() && p.get("summary").is_some());
        assert_eq!(
            p["publicKey"]["id"],
            format!("{}#main-key", i.url("/users/ana"))
        );
        assert_eq!(p["publicKey"]["owner"], i.url("/users/ana"));
        assert_eq!(p["publicKey"]["publicKeyPem"], ana.public_key_pem);
        assert!(p["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----"));
        assert!(p["@context"]
            .to_string()
            .contains("https://www.w3.org/ns/activitystreams"));
        assert!(!p.to_string().contains("PRIVATE KEY"));

        // ld+json with the ActivityStreams profile, as Mastodon sends it, works too.
        let ld = c
            .get(i.url("/users/ana"))
            .header(
                "accept",
                "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(ld.headers()["content-type"], "application/activity+json");

        // Browsers get the profile page.
        let page = c
            .get(i.url("/users/ana"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(page.headers()["vary"], "Accept");
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!("@ana@{}", i.domain)));

        // The instance actor signs fetches; it is an Application, as Mastodon's is.
        let actor: Value = c
            .get(i.url("/actor"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(actor["type"], "Application");
        assert_eq!(actor["id"], i.url("/actor"));
        assert!(actor["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("PUBLIC KEY"));

        let missing = c
            .get(i.url("/users/nobody"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_text_is_escaped_on_the_page() {
    on_each_backend!(async |i: &Instance| {
        let ana = i.create_user("ana", "correct horse").await;
        let token = i.token(&ana, "read write").await;
        let c = client();
        let res = c
            .patch(i.url("/api/v1/accounts/update_credentials"))
            .bearer_auth(&token)
            .form(&[
                ("display_name", "<b>Ana</b>"),
                ("note", "hi <script>alert(1)</script>"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let html = c
            .get(i.url("/@ana"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;b&gt;Ana&lt;/b&gt;") || html.contains("&#60;b&#62;Ana"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_instance_actor_and_another_address_is_refused() {
    for db in kith_storage::testing::TestDatabase::each_backend() {
        let first = Instance::start(&db).await;
        let before = kith_storage::accounts::instance_actor(&mut first.context.db.conn().unwrap())
            .unwrap()
            .unwrap();
        let first_domain = first.domain.clone();
        first.stop().await;
        // Same database, new port: a new authority, which would make ids that match no stored one.
        let refused = Instance::try_start_with(&db, |_| {}).await;
        let err = format!("{:#}", refused.err().expect("another address is refused"));
        assert!(
            err.contains(&format!(
                "belongs to the instance at http://{first_domain}/"
            )),
            "{err}"
        );
        // With the first address it starts, with the same actor and keys.
        let second = Instance::start_with(&db, |c| c.domain = first_domain.clone()).await;
        let after: Value = client()
            .get(second.url("/actor"))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(after["id"], format!("http://{first_domain}/actor"));
        assert_eq!(after["id"], before.ap_id);
        assert_eq!(after["publicKey"]["publicKeyPem"], before.public_key_pem);
        second.stop().await;
    }
}
