//! Storage on both backends: migrations apply (twice is a no-op), every table round-trips
//! through the hand-kept schema, and unique rules hold the way the layers above rely on.

// Test code: unwraps are assertions here, and helpers' `pub` marks what sibling modules use.
#![allow(clippy::unwrap_used, unreachable_pub)]

use kith_storage::accounts::{self, Account, ProfileChanges};
use kith_storage::oauth::{self, App, Code, Token};
use kith_storage::testing::TestDatabase;
use kith_storage::users::{self, User};
use kith_storage::{id, now, Db, StorageError};

fn account(username: &str, domain: Option<&str>) -> Account {
    let host = domain.unwrap_or("here.example");
    let ap_id = format!("https://{host}/users/{username}");
    Account {
        id: id::new_id(),
        username: username.into(),
        domain: domain.map(str::to_owned),
        public_key_id: format!("{ap_id}#main-key"),
        ap_id: ap_id.clone(),
        actor_type: "Person".into(),
        display_name: "Name".into(),
        note: "<p>note</p>".into(),
        avatar_url: None,
        header_url: Some("https://x.example/h.png".into()),
        url: Some(ap_id.clone()),
        locked: false,
        bot: false,
        inbox_url: format!("{ap_id}/inbox"),
        shared_inbox_url: Some(format!("https://{host}/inbox")),
        outbox_url: None,
        followers_url: None,
        following_url: None,
        public_key_pem: "PEM".into(),
        private_key_pem: None,
        created_at: now(),
        updated_at: now(),
        fetched_at: domain.map(|_| now()),
        fields: "[]".into(),
    }
}

fn user(account: &Account, email: &str) -> User {
    User {
        account_id: account.id,
        email: Some(email.into()),
        password_hash: "hash".into(),
        role: "user".into(),
        created_at: now(),
        last_active_at: None,
    }
}

fn each(f: impl Fn(&Db)) {
    for tdb in TestDatabase::each_backend() {
        let db = tdb.open();
        assert!(
            db.migrate().unwrap().is_empty(),
            "second migrate applies nothing"
        );
        eprintln!("--- backend {:?}", db.backend());
        f(&db);
    }
}

#[test]
fn accounts_and_users_round_trip_with_unique_rules() {
    each(|db| {
        let ana = account("Ana", None);
        let stored = ana.clone();
        let u = user(&ana, "ana@mail.example");
        db.write_blocking(move |c| users::insert_with_account(c, &stored, &u))
            .unwrap();
        let mut c = db.conn().unwrap();
        let back = accounts::local_by_username(&mut c, "ana").unwrap();
        assert_eq!(back.id, ana.id);
        assert_eq!(
            back.created_at, ana.created_at,
            "timestamps keep microseconds"
        );
        assert_eq!(back.header_url, ana.header_url);
        assert_eq!(
            accounts::by_key_id(&mut c, &ana.public_key_id).unwrap().id,
            ana.id
        );
        let (_, by_mail) = users::by_email(&mut c, "ANA@mail.example").unwrap();
        assert_eq!(by_mail.id, ana.id);

        // Local usernames are unique regardless of case; a failed transaction leaves nothing.
        let twin = account("ANA", None);
        let twin_user = user(&twin, "other@mail.example");
        let err = db
            .write_blocking({
                let twin = twin.clone();
                move |c| users::insert_with_account(c, &twin, &twin_user)
            })
            .unwrap_err();
        assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
        assert!(matches!(
            accounts::by_id(&mut c, twin.id),
            Err(StorageError::NotFound)
        ));

        // The same username on other domains is fine; twice on one domain is not.
        let remote = account("ana", Some("far.example"));
        db.write_blocking({
            let remote = remote.clone();
            move |c| accounts::insert(c, &remote)
        })
        .unwrap();
        let clash = account("ANA", Some("far.example"));
        let clash = Account {
            ap_id: "https://far.example/u/2".into(),
            ..clash
        };
        assert!(matches!(
            db.write_blocking(move |c| accounts::insert(c, &clash)),
            Err(StorageError::Conflict(_))
        ));
        assert_eq!(
            accounts::remote_by_username(&mut c, "ANA", "FAR.example")
                .unwrap()
                .id,
            remote.id
        );
        assert_eq!(accounts::count_local_people(&mut c).unwrap(), 1);
        assert_eq!(accounts::count_known_domains(&mut c).unwrap(), 1);

        let edited = db
            .write_blocking(move |c| {
                accounts::update_profile(
                    c,
                    ana.id,
                    &ProfileChanges {
                        display_name: Some("Ana B.".into()),
                        avatar_url: Some(Some("https://x.example/a.png".into())),
                        header_url: Some(None),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        assert_eq!(edited.display_name, "Ana B.");
        assert_eq!(
            edited.avatar_url.as_deref(),
            Some("https://x.example/a.png")
        );
        assert_eq!(edited.header_url, None);
        assert_eq!(edited.note, "<p>note</p>", "untouched fields stay");
    });
}

#[test]
fn oauth_rows_round_trip_and_codes_are_taken_once() {
    each(|db| {
        let ana = account("ana", None);
        let u = user(&ana, "ana@mail.example");
        db.write_blocking({
            let ana = ana.clone();
            move |c| users::insert_with_account(c, &ana, &u)
        })
        .unwrap();
        let app = App {
            id: id::new_id(),
            client_id: "cid".into(),
            client_secret: "secret".into(),
            name: "App".into(),
            website: None,
            redirect_uris: "https://a.example/cb\nurn:ietf:wg:oauth:2.0:oob".into(),
            scopes: "read write".into(),
            created_at: now(),
        };
        db.write_blocking({
            let app = app.clone();
            move |c| oauth::insert_app(c, &app)
        })
        .unwrap();
        let mut c = db.conn().unwrap();
        let back = oauth::app_by_client_id(&mut c, "cid").unwrap();
        assert_eq!(
            back.redirect_uri_list(),
            ["https://a.example/cb", "urn:ietf:wg:oauth:2.0:oob"]
        );

        let code = Code {
            code_hash: "h".into(),
            app_id: app.id,
            account_id: ana.id,
            redirect_uri: "https://a.example/cb".into(),
            scopes: "read".into(),
            code_challenge: Some("c".into()),
            code_challenge_method: Some("S256".into()),
            expires_at: now(),
        };
        db.write_blocking(move |c| oauth::insert_code(c, &code))
            .unwrap();
        assert_eq!(
            db.write_blocking(move |c| oauth::take_code(c, "h"))
                .unwrap()
                .account_id,
            ana.id
        );
        assert!(matches!(
            db.write_blocking(move |c| oauth::take_code(c, "h")),
            Err(StorageError::NotFound)
        ));

        let token = Token {
            id: id::new_id(),
            token_hash: "t".into(),
            app_id: Some(app.id),
            account_id: Some(ana.id),
            scopes: "read".into(),
            created_at: now(),
            revoked_at: None,
            code_hash: None,
        };
        db.write_blocking({
            let token = token.clone();
            move |c| oauth::insert_token(c, &token)
        })
        .unwrap();
        assert_eq!(oauth::live_token(&mut c, "t").unwrap().id, token.id);
        assert!(
            !db.write_blocking(move |c| oauth::revoke_token(c, "t", app.id + 1, now()))
                .unwrap(),
            "another app cannot revoke it"
        );
        assert!(db
            .write_blocking(move |c| oauth::revoke_token(c, "t", app.id, now()))
            .unwrap());
        assert!(matches!(
            oauth::live_token(&mut c, "t"),
            Err(StorageError::NotFound)
        ));

        // Deleting an account removes its credentials and tokens (foreign keys on, on SQLite too).
        db.write_blocking(move |c| {
            use diesel::RunQueryDsl;
            diesel::delete(kith_storage::schema::accounts::table).execute(c)?;
            Ok(())
        })
        .unwrap();
        assert!(matches!(
            users::by_account_id(&mut c, ana.id),
            Err(StorageError::NotFound)
        ));
    });
}

#[test]
fn bad_database_urls_are_refused_clearly() {
    assert!(matches!(
        Db::connect(":memory:", 1),
        Err(StorageError::BadUrl(_))
    ));
    assert!(matches!(
        Db::connect("postgres://postgres@127.0.0.1:1/none", 1),
        Err(StorageError::Unavailable(_))
    ));
}

#[test]
fn concurrent_writes_commit_together_and_fail_alone() {
    // On SQLite these land in the writer's groups: a write that fails (a taken name) or panics
    // rolls back only itself, and every other write from the same moment is committed.
    each(|db| {
        let taken = account("taken", Some("far.example"));
        db.write_blocking({
            let taken = taken.clone();
            move |c| accounts::insert(c, &taken)
        })
        .unwrap();
        let outcomes: Vec<Result<(), StorageError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..48)
                .map(|n| {
                    let db = db.clone();
                    s.spawn(move || {
                        let name = if n % 12 == 0 {
                            "taken".to_owned()
                        } else {
                            format!("u{n}")
                        };
                        let a = account(&name, Some("far.example"));
                        db.write_blocking(move |c| accounts::insert(c, &a))
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let refused = outcomes
            .iter()
            .filter(|o| matches!(o, Err(StorageError::Conflict(_))))
            .count();
        assert_eq!(refused, 4, "{outcomes:?}");
        assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 44);

        if db.backend() == kith_storage::Backend::Sqlite {
            // A write that panics on the writer thread is reported as failed, and the writer
            // keeps going.
            let panicked = db.write_blocking(|_| -> Result<(), StorageError> {
                panic!("deliberate panic inside a write")
            });
            assert!(
                matches!(panicked, Err(StorageError::Task(_))),
                "{panicked:?}"
            );
        }
        let after = account("after", Some("far.example"));
        db.write_blocking(move |c| accounts::insert(c, &after))
            .unwrap();

        let mut c = db.conn().unwrap();
        assert_eq!(accounts::count_known_domains(&mut c).unwrap(), 1);
        for n in (0..48).filter(|n| n % 12 != 0) {
            accounts::remote_by_username(&mut c, &format!("u{n}"), "far.example").unwrap();
        }
        accounts::remote_by_username(&mut c, "after", "far.example").unwrap();

        if db.backend() == kith_storage::Backend::Postgres {
            // Every write above was answered only after the flusher's synchronous commit;
            // concurrent ones share a flush, so there are at least one and at most 50.
            use diesel::prelude::*;
            #[derive(QueryableByName)]
            struct Flushes {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                flushes: i64,
            }
            let n = diesel::sql_query("SELECT flushes FROM wal_barrier WHERE id = 1")
                .get_result::<Flushes>(&mut *c)
                .unwrap()
                .flushes;
            assert!((1..=50).contains(&n), "{n} flushes");
        }
    });
}

fn status(
    author: &Account,
    reblog_of: Option<i64>,
    minutes: i64,
) -> kith_storage::statuses::Status {
    let id = id::new_id();
    kith_storage::statuses::Status {
        id,
        ap_id: format!("{}/statuses/{id}", author.ap_id),
        url: None,
        account_id: author.id,
        local: author.domain.is_none(),
        visibility: "public".into(),
        in_reply_to_id: None,
        in_reply_to_ap_id: None,
        in_reply_to_account_id: None,
        reblog_of_id: reblog_of,
        content: if reblog_of.is_some() {
            String::new()
        } else {
            "<p>hi</p>".into()
        },
        source_text: None,
        spoiler_text: String::new(),
        sensitive: false,
        language: None,
        conversation: None,
        attachments: "[]".into(),
        created_at: chrono::DateTime::from_timestamp(1_700_000_000 + minutes * 60, 0)
            .unwrap()
            .naive_utc(),
        edited_at: None,
    }
}

#[test]
fn account_counters_follow_every_write_including_cascades() {
    use kith_storage::follows::{self, Follow};
    use kith_storage::statuses;
    // The counters shown on profiles are kept by triggers; after each kind of write they must
    // equal what counting the rows gives.
    each(|db| {
        let mut c = db.conn().unwrap();
        let c = &mut c;
        let [a, b, x] = ["a", "b", "x"].map(|n| account(n, Some("far.example")));
        for acc in [&a, &b, &x] {
            accounts::insert(c, acc).unwrap();
        }
        let check = |c: &mut kith_storage::DbConn, acc: &Account| {
            let stats = accounts::stats(c, acc.id).unwrap();
            let (followers, following) = follows::counts(c, acc.id).unwrap();
            assert_eq!(
                (
                    stats.statuses_count,
                    stats.followers_count,
                    stats.following_count
                ),
                (
                    statuses::count_by_account(c, acc.id).unwrap(),
                    followers,
                    following
                ),
                "{}",
                acc.username
            );
            stats
        };
        let fresh = check(c, &a);
        assert_eq!((fresh.statuses_count, fresh.last_status_at), (0, None));

        let posts: Vec<_> = (0..3).map(|m| status(&a, None, m)).collect();
        for p in &posts {
            statuses::insert(c, p, &[], &[]).unwrap();
        }
        let theirs = status(&b, None, 1);
        statuses::insert(c, &theirs, &[], &[]).unwrap();
        let boost = status(&a, Some(theirs.id), 10);
        statuses::insert(c, &boost, &[], &[]).unwrap();
        let follow = |from: &Account, to: &Account, accepted: bool| Follow {
            id: id::new_id(),
            account_id: from.id,
            target_account_id: to.id,
            ap_id: format!("{}/follows/{}", from.ap_id, to.username),
            accepted,
            created_at: now(),
        };
        follows::insert(c, &follow(&b, &a, true)).unwrap();
        let request = follows::insert(c, &follow(&x, &a, false)).unwrap();
        follows::insert(c, &follow(&a, &b, true)).unwrap();
        let stats = check(c, &a);
        assert_eq!(
            (
                stats.statuses_count,
                stats.followers_count,
                stats.following_count
            ),
            (3, 1, 1)
        );
        assert_eq!(
            stats.last_status_at,
            Some(boost.created_at),
            "boosts count as activity"
        );

        follows::accept(c, request.id).unwrap();
        assert_eq!(check(c, &a).followers_count, 2);
        statuses::delete(c, posts[0].id).unwrap();
        statuses::delete(c, boost.id).unwrap();
        assert_eq!(check(c, &a).statuses_count, 2);
        follows::remove(c, x.id, a.id).unwrap();
        assert_eq!(check(c, &a).followers_count, 1);

        // Deleting b cascades to its follows both ways and to its post (and a's boost of it).
        statuses::insert(c, &status(&a, Some(theirs.id), 11), &[], &[]).unwrap();
        accounts::delete(c, b.id).unwrap();
        let stats = check(c, &a);
        assert_eq!(
            (
                stats.statuses_count,
                stats.followers_count,
                stats.following_count
            ),
            (2, 0, 0)
        );
        check(c, &x);
        assert_eq!(accounts::stats_of(c, &[a.id, b.id, x.id]).unwrap().len(), 2);
    });
}

#[test]
fn claims_respect_slots_held_deliveries_and_unreachable_hosts() {
    use kith_storage::outbox::{self, ClaimLimits};
    use std::collections::HashMap;
    each(|db| {
        let ana = account("ana", None);
        let stored = ana.clone();
        let u = user(&ana, "ana@mail.example");
        db.write_blocking(move |c| users::insert_with_account(c, &stored, &u))
            .unwrap();
        // Six deliveries to a.example, two to b.example, two to dead.example.
        let mut inboxes = Vec::new();
        for (host, n) in [("a.example", 6), ("b.example", 2), ("dead.example", 2)] {
            for i in 0..n {
                inboxes.push((format!("https://{host}/users/u{i}/inbox"), host.to_owned()));
            }
        }
        let ana_id = ana.id;
        db.write_blocking(move |c| {
            outbox::enqueue(c, "https://here.example/1", ana_id, "{}", &inboxes)
        })
        .unwrap();
        let t = now();
        let (day, hour) = (chrono::Duration::days(1), chrono::Duration::hours(1));
        db.write_blocking(move |c| {
            outbox::mark_host_failing(c, "dead.example", t - chrono::Duration::days(2), day, hour)?;
            // Unreachable now, but the next try is an hour away.
            outbox::mark_host_failing(c, "dead.example", t, day, hour)
        })
        .unwrap();
        let claim = |limits: ClaimLimits, at: chrono::NaiveDateTime| {
            db.write_blocking(move |c| outbox::claim_due(c, at, 30, &limits))
                .unwrap()
        };
        let limits = |busy: &[(&str, usize)], held: Vec<i64>| ClaimLimits {
            total: 100,
            per_host: 4,
            busy: busy.iter().map(|(h, n)| ((*h).to_owned(), *n)).collect(),
            held,
            unreachable_retry: hour,
        };
        // a.example already has three in flight: one more; b.example two; dead.example none.
        let first = claim(limits(&[("a.example", 3)], Vec::new()), t);
        let mut per_host: HashMap<String, usize> = HashMap::new();
        for d in &first {
            *per_host.entry(d.host.clone()).or_default() += 1;
        }
        assert_eq!(per_host.get("a.example"), Some(&1), "{per_host:?}");
        assert_eq!(per_host.get("b.example"), Some(&2), "{per_host:?}");
        assert_eq!(per_host.get("dead.example"), None, "{per_host:?}");
        // No slot overall: nothing.
        let none = ClaimLimits {
            total: 0,
            ..limits(&[], Vec::new())
        };
        assert!(claim(none, t).is_empty());
        // Leases run out (a minute later), but what the worker still holds is not claimed
        // again; the dead host's time has not come.
        let later = t + chrono::Duration::minutes(1);
        let held: Vec<i64> = first.iter().map(|d| d.id).collect();
        let second = claim(limits(&[], held.clone()), later);
        assert!(second.iter().all(|d| !held.contains(&d.id)));
        assert_eq!(second.len(), 4, "the four left on a.example");
        assert!(second.iter().all(|d| d.host == "a.example"));
        // Renewed leases hold, even without the held list: only a.example's sixth, never
        // claimed, is claimable.
        let all: Vec<i64> = first.iter().chain(&second).map(|d| d.id).collect();
        let until = later + chrono::Duration::minutes(5);
        let renewed = db
            .write_blocking(move |c| outbox::renew_leases(c, &all, until))
            .unwrap();
        assert_eq!(renewed, 7);
        let soon = later + chrono::Duration::minutes(2);
        let rest = claim(limits(&[], Vec::new()), soon);
        assert_eq!(rest.len(), 1);
        assert!(!first.iter().chain(&second).any(|d| d.id == rest[0].id));
        // Two hours on, the dead host's time has come: one delivery, not both, and its next
        // try moves an hour on.
        let due = t + chrono::Duration::hours(2);
        let probe = claim(limits(&[], held.clone()), due);
        let dead: Vec<_> = probe.iter().filter(|d| d.host == "dead.example").collect();
        assert_eq!(dead.len(), 1, "one try of an unreachable host");
        let next: Vec<_> = claim(limits(&[], Vec::new()), due)
            .into_iter()
            .filter(|d| d.host == "dead.example")
            .collect();
        assert!(next.is_empty(), "the second waits for the next try");
        // A host that answers is no longer held back.
        db.write_blocking(|c| outbox::mark_host_alive(c, "dead.example"))
            .unwrap();
        let after = claim(limits(&[], Vec::new()), due);
        assert_eq!(
            after.iter().filter(|d| d.host == "dead.example").count(),
            1,
            "the other one goes out at once"
        );
    });
}

#[test]
fn pruning_removes_sent_activities_and_old_receipts_only() {
    use kith_storage::{activity, outbox};
    each(|db| {
        let ana = account("ana", None);
        let stored = ana.clone();
        let u = user(&ana, "ana@mail.example");
        db.write_blocking(move |c| users::insert_with_account(c, &stored, &u))
            .unwrap();
        let ana_id = ana.id;
        db.write_blocking(move |c| {
            for n in 0..3 {
                outbox::enqueue(
                    c,
                    &format!("https://here.example/sent/{n}"),
                    ana_id,
                    "{}",
                    &[],
                )?;
                activity::first_receipt(c, &format!("https://there.example/{n}"))?;
            }
            outbox::enqueue(
                c,
                "https://here.example/pending",
                ana_id,
                "{}",
                &[("https://x.example/inbox".into(), "x.example".into())],
            )
        })
        .unwrap();
        // Batches: two, then the third.
        assert_eq!(db.write_blocking(|c| outbox::prune_sent(c, 2)).unwrap(), 2);
        assert_eq!(db.write_blocking(|c| outbox::prune_sent(c, 2)).unwrap(), 1);
        assert_eq!(db.write_blocking(|c| outbox::prune_sent(c, 2)).unwrap(), 0);
        // The pending activity stays, with its delivery (deleting it would cascade).
        assert_eq!(outbox::pending(&mut db.conn().unwrap()).unwrap(), 1);
        // Receipts younger than the cut stay.
        let t = now();
        let cut = t - chrono::Duration::days(8);
        assert_eq!(
            db.write_blocking(move |c| activity::prune_received(c, cut, 100))
                .unwrap(),
            0
        );
        let future = t + chrono::Duration::seconds(1);
        assert_eq!(
            db.write_blocking(move |c| activity::prune_received(c, future, 100))
                .unwrap(),
            3
        );
        assert!(db
            .write_blocking(|c| activity::first_receipt(c, "https://there.example/0"))
            .unwrap());
    });
}

/// Runs `first` in a transaction that stays open while `second` runs on another connection;
/// returns what `second` gave.
fn overlap<T: Send + 'static>(
    db: &Db,
    first: impl FnOnce(&mut kith_storage::DbConn) -> Result<(), StorageError> + Send + 'static,
    second: impl FnOnce(&mut kith_storage::DbConn) -> Result<T, StorageError>,
) -> Result<T, StorageError> {
    use diesel::Connection;
    let (stored, waiting) = std::sync::mpsc::channel();
    let holder = std::thread::spawn({
        let db = db.clone();
        move || {
            let mut c = db.conn().unwrap();
            c.transaction(|c| {
                first(c)?;
                stored.send(()).unwrap();
                // Hold the row uncommitted while the other connection tries its own.
                std::thread::sleep(std::time::Duration::from_millis(300));
                Ok::<_, StorageError>(())
            })
            .unwrap();
        }
    });
    waiting.recv().unwrap();
    let mut c = db.conn().unwrap();
    let out = second(&mut c);
    holder.join().unwrap();
    out
}

/// Two transactions that favourite the same post, or follow or block the same account, at
/// once: on PostgreSQL the second waits for the first and then stores nothing (it used to fail
/// on the unique index, which the inbox answered with a 500). SQLite's writes are serial, so
/// the overlap cannot happen there.
#[test]
fn overlapping_favourites_follows_and_blocks_store_one_row_without_failing() {
    use kith_storage::follows::{self, Follow};
    use kith_storage::{activity, statuses, Backend};
    let Some(tdb) = TestDatabase::each_backend()
        .into_iter()
        .find(|t| t.backend == Backend::Postgres)
    else {
        eprintln!("PostgreSQL not among the backends under test; nothing to overlap");
        return;
    };
    let db = tdb.open();
    let [fan, author, foe] = ["fan", "author", "foe"].map(|n| account(n, Some("far.example")));
    let post = status(&author, None, 0);
    {
        let mut c = db.conn().unwrap();
        for a in [&fan, &author, &foe] {
            accounts::insert(&mut c, a).unwrap();
        }
        statuses::insert(&mut c, &post, &[], &[]).unwrap();
    }
    let (fan, author, foe, post) = (fan.id, author.id, foe.id, post.id);
    let liked = overlap(
        &db,
        move |c| activity::favourite(c, id::new_id(), fan, post, "like/1").map(|_| ()),
        |c| activity::favourite(c, id::new_id(), fan, post, "like/2"),
    );
    assert!(!liked.expect("the second favourite does not fail"));
    let favourites = activity::count_favourites_of(&mut db.conn().unwrap(), &[post], None);
    assert_eq!(favourites.unwrap()[0].1, 1);

    let follow = move |n: u32| Follow {
        id: id::new_id(),
        account_id: fan,
        target_account_id: author,
        ap_id: format!("follow/{n}"),
        accepted: true,
        created_at: now(),
    };
    let followed = overlap(
        &db,
        move |c| follows::insert_if_new(c, &follow(1)).map(|_| ()),
        |c| follows::insert_if_new(c, &follow(2)),
    );
    assert!(!followed.expect("the second follow does not fail"));

    let blocked = overlap(
        &db,
        move |c| follows::block(c, id::new_id(), foe, author, "block/1"),
        |c| follows::block(c, id::new_id(), foe, author, "block/2"),
    );
    blocked.expect("the second block does not fail");
    assert!(follows::blocks(&mut db.conn().unwrap(), foe, author).unwrap());
}
