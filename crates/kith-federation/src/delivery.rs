//! The delivery worker: claims due deliveries from the persistent outbox, signs each request
//! as its activity's actor and sends it, with a global and a per-host limit on requests in
//! flight, so a slow or dead host never holds up the others. Failures are retried with
//! exponential backoff for about a week; a refusal (4xx other than 408 and 429, including
//! 410 Gone) ends a delivery at once; a host that keeps failing for a day is marked
//! unreachable, and marked alive again when it answers.
//!
//! Only what has a free slot is claimed, so nothing waits under a running lease: a delivery
//! holds one of `concurrency` slots while its request is under way, and one of its host's
//! `per_host` slots (and its claim) until its outcome is recorded; the leases of held
//! deliveries are renewed every third of a lease. So a delivery is sent twice only when a
//! process dies between sending it and recording it: after a crash, at most `per_host`
//! repeats per host, and in all the requests under way (at most `concurrency`) plus the
//! finisher's unwritten batch. A host marked unreachable gets
//! one delivery at a time, at most once per `unreachable_retry`, and once it has failed for
//! `give_up_after` (a week, as Mastodon's `DeliveryFailureTracker`) each failed try drops all
//! its pending deliveries. [`housekeeping`] prunes sent activities and old received-activity
//! ids on a schedule, and `prune_media` deletes uploads no post took within a day.
//!
//! Requests are signed here rather than by `activitypub_federation`, whose signer uses the
//! `rsa` crate (about 2 ms per signature on a small machine): draft-cavage signatures as
//! Mastodon sends them (`(request-target) host date digest`, built by
//! `http-signature-normalization`), RSA-SHA256 by `aws-lc-rs` (about 3× faster), with each
//! actor's parsed key cached. The HTTP client is the context's guarded client
//! (`http_client`), which refuses every non-public address outside development mode.

use crate::{Data, FederationConfig};
use activitypub_federation::config::Data as ApData;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::Engine;
use kith_storage::outbox::{self, ClaimLimits, Claimed};
use kith_storage::{accounts, now};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use url::Url;

/// Tuning of the worker.
#[derive(Debug, Clone)]
pub struct DeliverySettings {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests in flight to one host at once.
    pub per_host: usize,
    /// How long a claim lasts before another worker may take the delivery.
    pub lease_secs: i64,
    /// Tries before a delivery is dropped (about a week with the backoff below).
    pub max_attempts: i32,
    /// A host that has failed this long (with no success between) is marked unreachable.
    pub unreachable_after: chrono::Duration,
    /// A host marked unreachable gets one delivery at a time, this often at most.
    pub unreachable_retry: chrono::Duration,
    /// A host that has failed this long loses all its pending deliveries at each failed try.
    pub give_up_after: chrono::Duration,
    /// How often [`housekeeping`] runs (first at start).
    pub housekeeping_every: Duration,
    /// How long received activity ids are kept for dedupe.
    pub keep_received: chrono::Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            concurrency: 64,
            per_host: 4,
            // Renewed every 10 s while held; it only matters when a process dies.
            lease_secs: 30,
            max_attempts: 18,
            unreachable_after: chrono::Duration::days(1),
            unreachable_retry: chrono::Duration::hours(1),
            give_up_after: chrono::Duration::days(7),
            housekeeping_every: Duration::from_secs(3_600),
            keep_received: KEEP_RECEIVED,
        }
    }
}

/// How long received activity ids are kept: longer than senders retry. A sender re-sends an
/// activity it could not deliver for days (Kith itself for about 7.4 days, Mastodon for a few),
/// re-signed each time, so its `Date` check passes; after 8 days no retry schedule we know of
/// is still running. A replay of a captured request needs a `Date` within the inbox's 12-hour
/// window, far inside the 8 days.
pub const KEEP_RECEIVED: chrono::Duration = chrono::Duration::days(8);

/// The wait before try number `attempts + 1`: 30 s doubling, at most a day
/// (18 tries span about 7.4 days).
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    chrono::Duration::seconds(secs.min(86_400))
}

/// A local actor's signing key, parsed once.
struct SigningKey {
    key_id: String,
    pair: RsaKeyPair,
}

/// Parsed signing keys by account id. Local keys never change, so entries never go stale.
type Keys = Arc<Mutex<HashMap<i64, Arc<SigningKey>>>>;

async fn signing_key(keys: &Keys, data: &Data, account_id: i64) -> Result<Arc<SigningKey>, String> {
    if let Some(k) = keys
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&account_id)
    {
        return Ok(k.clone());
    }
    let account = data
        .db
        .read(move |c| accounts::by_id(c, account_id))
        .await
        .map_err(|e| e.to_string())?;
    let pem = account
        .private_key_pem
        .ok_or("the activity's actor has no private key")?;
    let key = tokio::task::spawn_blocking(move || -> Result<SigningKey, String> {
        let der = rsa::RsaPrivateKey::from_pkcs8_pem(&pem)
            .and_then(|k| k.to_pkcs8_der())
            .map_err(|e| format!("private key: {e}"))?;
        let pair =
            RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| format!("private key: {e}"))?;
        Ok(SigningKey {
            key_id: account.public_key_id,
            pair,
        })
    })
    .await
    .map_err(|e| e.to_string())??;
    let key = Arc::new(key);
    keys.lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(account_id, key.clone());
    Ok(key)
}

/// Hosts recently recorded as answering, and when: a successful delivery records host health
/// only if the host was not recorded in the last minute, so a fan-out to one busy instance
/// does not rewrite its row for every request. Forgotten on any failure.
#[derive(Clone, Default)]
struct Alive(Arc<Mutex<HashMap<String, std::time::Instant>>>);

impl Alive {
    const FRESH: Duration = Duration::from_secs(60);

    /// Whether `host` should be recorded as alive now (and notes that it is being).
    fn needs_record(&self, host: &str) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        match map.get(host) {
            Some(at) if now.duration_since(*at) < Self::FRESH => false,
            _ => {
                if map.len() > 100_000 {
                    map.clear();
                }
                map.insert(host.to_owned(), now);
                true
            }
        }
    }

    fn forget(&self, host: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(host);
    }
}

/// The `Signature` header for a POST of `digest` to `inbox` at `date`.
fn sign(key: &SigningKey, inbox: &Url, date: &str, digest: &str) -> Result<String, String> {
    let headers = BTreeMap::from([
        (
            "host".to_owned(),
            crate::objects::account::authority(inbox).ok_or("inbox URL has no host")?,
        ),
        ("date".to_owned(), date.to_owned()),
        ("digest".to_owned(), digest.to_owned()),
    ]);
    let path = match inbox.query() {
        Some(q) => format!("{}?{q}", inbox.path()),
        None => inbox.path().to_owned(),
    };
    http_signature_normalization::Config::new()
        .mastodon_compat()
        .begin_sign("POST", &path, headers)
        .map_err(|e| e.to_string())?
        .sign(key.key_id.clone(), |signing_string| {
            let mut sig = vec![0; key.pair.public_modulus_len()];
            key.pair
                .sign(
                    &RSA_PKCS1_SHA256,
                    &SystemRandom::new(),
                    signing_string.as_bytes(),
                    &mut sig,
                )
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(base64::engine::general_purpose::STANDARD.encode(sig))
        })
        .map(|signed| signed.signature_header())
}

/// The deliveries a worker holds, from claim until their outcome is recorded.
#[derive(Default)]
struct Held {
    total: usize,
    per_host: HashMap<String, usize>,
    ids: HashSet<i64>,
}

/// The worker's slots: what it holds, and a signal when a slot comes free.
#[derive(Clone, Default)]
struct Slots {
    held: Arc<Mutex<Held>>,
    freed: Arc<Notify>,
}

impl Slots {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn take(&self, job: &Claimed) -> Slot {
        let mut held = self.lock();
        held.total += 1;
        *held.per_host.entry(job.host.clone()).or_default() += 1;
        held.ids.insert(job.id);
        Slot {
            slots: self.clone(),
            id: job.id,
            host: job.host.clone(),
            counted: true,
        }
    }
}

/// One held delivery's slot, given back when dropped (after the outcome is recorded).
struct Slot {
    slots: Slots,
    id: i64,
    host: String,
    /// Whether it still takes one of the overall slots.
    counted: bool,
}

impl Slot {
    /// Gives back the overall slot once the request is over; the host's slot (and the claim)
    /// stay until the outcome is recorded.
    fn request_done(&mut self) {
        if std::mem::take(&mut self.counted) {
            let mut held = self.slots.lock();
            held.total = held.total.saturating_sub(1);
            drop(held);
            self.slots.freed.notify_one();
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        {
            let mut held = self.slots.lock();
            if self.counted {
                held.total = held.total.saturating_sub(1);
            }
            if let Some(n) = held.per_host.get_mut(&self.host) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    held.per_host.remove(&self.host);
                }
            }
            held.ids.remove(&self.id);
        }
        self.slots.freed.notify_one();
    }
}

/// Aborts a task when dropped: the worker's helpers end with it.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the worker until the process ends.
pub async fn run(config: FederationConfig, settings: DeliverySettings) {
    if config.db.backend() == kith_storage::Backend::Sqlite {
        // One process owns a SQLite file: claims left by a previous run are stale.
        match config.db.write(outbox::release_leases).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deliveries = n,
                "resuming deliveries interrupted by a restart"
            ),
            Err(e) => tracing::warn!(error = %e, "cannot release old delivery claims"),
        }
    }
    let keys: Keys = Arc::default();
    let alive = Alive::default();
    let done = spawn_finisher(config.to_request_data(), alive.clone());
    let slots = Slots::default();
    let _renewer = AbortOnDrop(tokio::spawn(renew_leases(
        config.to_request_data(),
        slots.clone(),
        settings.lease_secs,
    )));
    // Blocklist subscriptions are refreshed beside the deliveries (`blocklists::run`).
    let _blocklists = AbortOnDrop(tokio::spawn(crate::blocklists::run(
        config.to_request_data().app_data().clone(),
    )));
    let _housekeeping = AbortOnDrop(tokio::spawn(housekeeping(
        config.to_request_data(),
        settings.housekeeping_every,
        settings.keep_received,
    )));
    let wakeup = config.delivery_wakeup.clone();
    let settings = Arc::new(settings);
    loop {
        let limits = {
            let held = slots.lock();
            ClaimLimits {
                total: settings.concurrency.saturating_sub(held.total),
                per_host: settings.per_host,
                busy: held.per_host.clone(),
                held: held.ids.iter().copied().collect(),
                unreachable_retry: settings.unreachable_retry,
            }
        };
        // While deliveries are under way, wait until a quarter of the slots are free: one
        // claim (one write) per batch of freed slots rather than per slot.
        let busy = settings.concurrency - limits.total;
        if limits.total == 0 || (busy > 0 && limits.total < (settings.concurrency / 4).max(1)) {
            slots.freed.notified().await;
            continue;
        }
        let data = config.to_request_data();
        let lease = settings.lease_secs;
        let claimed = data
            .db
            .write(move |c| outbox::claim_due(c, now(), lease, &limits))
            .await;
        let claimed = match claimed {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "delivery: cannot claim work");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if claimed.is_empty() {
            // Sleep until something is queued, a slot comes free (its host may have more
            // waiting), or a second passes (retries come due).
            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                tokio::select! {
                    () = wakeup.notified() => {}
                    () = slots.freed.notified() => {}
                }
            })
            .await;
            continue;
        }
        for job in claimed {
            let slot = slots.take(&job);
            let (config, keys, alive, done, settings) = (
                config.clone(),
                keys.clone(),
                alive.clone(),
                done.clone(),
                settings.clone(),
            );
            tokio::spawn(async move {
                let worker = Worker {
                    data: &config.to_request_data(),
                    keys: &keys,
                    alive: &alive,
                    done: &done,
                    settings: &settings,
                };
                deliver(job, worker, slot).await;
            });
        }
    }
}

/// Renews the leases of the deliveries this worker holds, every third of a lease, so a
/// slow request never loses its claim to another process.
async fn renew_leases(data: ApData<crate::KithContext>, slots: Slots, lease_secs: i64) {
    let every = Duration::from_millis((lease_secs.max(1) as u64) * 1000 / 3);
    loop {
        tokio::time::sleep(every).await;
        let ids: Vec<i64> = slots.lock().ids.iter().copied().collect();
        if ids.is_empty() {
            continue;
        }
        let until = now() + chrono::Duration::seconds(lease_secs);
        if let Err(e) = data
            .db
            .write(move |c| outbox::renew_leases(c, &ids, until))
            .await
        {
            tracing::warn!(error = %e, "delivery: cannot renew leases");
        }
    }
}

/// The most rows one housekeeping write deletes, so no write holds the database for long.
const PRUNE_BATCH: i64 = 5_000;

/// Advisory lock key for housekeeping ("kith" "hk" in ASCII): one process at a time does it.
const HOUSEKEEPING_LOCK: i64 = 0x6b69_7468_686b;

/// Prunes on a schedule (first at start): sent outbox activities, and received activity ids
/// older than `keep_received`. Each batch is its own write and takes the housekeeping lock, so
/// processes sharing one PostgreSQL database never prune at the same time.
async fn housekeeping(data: ApData<crate::KithContext>, every: Duration, keep: chrono::Duration) {
    loop {
        match prune(&data, keep).await {
            Ok((0, 0)) => {}
            Ok((sent, received)) => {
                tracing::info!(sent, received, "housekeeping: pruned old rows");
            }
            Err(e) => tracing::warn!(error = %e, "housekeeping failed"),
        }
        match prune_media(&data, chrono::Duration::days(1)).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(media = n, "housekeeping: deleted unattached uploads"),
            Err(e) => tracing::warn!(error = %e, "housekeeping of media failed"),
        }
        // Rate-limit counters whose window ended: the longest window is a day.
        let stale = chrono::Utc::now().timestamp() - 2 * 86_400;
        if let Err(e) = data
            .db
            .write(move |c| kith_storage::rate_limits::prune(c, stale))
            .await
        {
            tracing::warn!(error = %e, "housekeeping of rate-limit counters failed");
        }
        tokio::time::sleep(every).await;
    }
}

/// One round of pruning; returns (sent activities, received ids) deleted.
pub async fn prune(
    data: &Data,
    keep_received: chrono::Duration,
) -> Result<(usize, usize), kith_storage::StorageError> {
    let before = now() - keep_received;
    let (mut sent, mut received) = (0, 0);
    loop {
        let (s, r) = data
            .db
            .write(move |c| {
                if !kith_storage::housekeeping::try_lock(c, HOUSEKEEPING_LOCK)? {
                    return Ok(None);
                }
                let s = outbox::prune_sent(c, PRUNE_BATCH)?;
                let r = kith_storage::activity::prune_received(c, before, PRUNE_BATCH)?;
                Ok(Some((s, r)))
            })
            .await?
            .unwrap_or((0, 0));
        sent += s;
        received += r;
        if (s as i64) < PRUNE_BATCH && (r as i64) < PRUNE_BATCH {
            return Ok((sent, received));
        }
    }
}

/// Uploads one housekeeping write deletes at most.
const MEDIA_BATCH: i64 = 500;

/// Deletes uploads no post took within `keep` (and media of deleted posts), rows and files.
/// Each batch's rows are deleted under the housekeeping lock, in one write, before their
/// files, so two processes never take the same upload and a post attaching one meanwhile
/// keeps it. A file whose deletion fails is logged and left (its row is gone). Returns how
/// many uploads were deleted.
pub async fn prune_media(
    data: &crate::KithContext,
    keep: chrono::Duration,
) -> Result<usize, crate::FederationError> {
    let before = now() - keep;
    let mut total = 0;
    loop {
        let taken = data
            .db
            .write(move |c| {
                if !kith_storage::housekeeping::try_lock(c, HOUSEKEEPING_LOCK)? {
                    return Ok(Vec::new());
                }
                kith_storage::media::take_unattached_before(c, before, MEDIA_BATCH)
            })
            .await?;
        for m in &taken {
            for key in std::iter::once(&m.file_key).chain(m.thumbnail_key.as_ref()) {
                if let Err(e) = data.media.delete(key).await {
                    tracing::warn!(error = %e, key, "housekeeping: cannot delete a media file");
                }
            }
        }
        total += taken.len();
        if (taken.len() as i64) < MEDIA_BATCH {
            return Ok(total);
        }
    }
}

/// Host health is recorded in its own savepoint inside the outcome's write: a failure there
/// is logged and does not undo the outcome.
fn record_health(
    c: &mut kith_storage::DbConn,
    f: impl FnOnce(&mut kith_storage::DbConn) -> Result<(), kith_storage::StorageError>,
) {
    if let Err(e) = kith_storage::savepoint(c, f) {
        tracing::debug!(error = %e, "delivery: cannot record host health");
    }
}

/// A delivery that is done with, on its way to the finisher, with its slot (given back once
/// the batch is written).
struct Done {
    id: i64,
    host: String,
    slot: Slot,
}

/// The most finished deliveries recorded in one write.
const FINISH_BATCH: usize = 1_000;

/// Starts the task that records finished deliveries in batches: one write deletes every
/// delivery finished since the last one and records the health of the hosts that need it. On
/// PostgreSQL that is one transaction (and one shared WAL flush) per batch instead of per
/// request. If the process dies before a batch is written, those deliveries are sent again
/// once their lease ends: at least once, as ever.
fn spawn_finisher(
    data: ApData<crate::KithContext>,
    alive: Alive,
) -> tokio::sync::mpsc::UnboundedSender<Done> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Done>();
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while rx.recv_many(&mut batch, FINISH_BATCH).await > 0 {
            let ids: Vec<i64> = batch.iter().map(|d| d.id).collect();
            let mut slots = Vec::with_capacity(batch.len());
            let mut hosts: Vec<String> = batch
                .drain(..)
                .filter_map(|d| {
                    slots.push(d.slot);
                    alive.needs_record(&d.host).then_some(d.host)
                })
                .collect();
            hosts.sort();
            hosts.dedup();
            let recorded = hosts.clone();
            let written = data
                .db
                .write(move |c| {
                    outbox::finish_many(c, &ids)?;
                    for host in &recorded {
                        record_health(c, |c| outbox::mark_host_alive(c, host));
                    }
                    Ok(())
                })
                .await;
            if let Err(e) = written {
                // Their leases run out and they are sent again.
                tracing::warn!(error = %e, "delivery: cannot record finished deliveries");
                for host in &hosts {
                    alive.forget(host);
                }
            }
            drop(slots);
        }
    });
    tx
}

/// What a delivery task works with.
#[derive(Clone, Copy)]
struct Worker<'a> {
    data: &'a ApData<crate::KithContext>,
    keys: &'a Keys,
    alive: &'a Alive,
    done: &'a tokio::sync::mpsc::UnboundedSender<Done>,
    settings: &'a DeliverySettings,
}

/// Sends one claimed delivery and records the outcome; `slot` is given back after that.
async fn deliver(job: Claimed, worker: Worker<'_>, mut slot: Slot) {
    let Worker {
        data,
        keys,
        alive,
        done,
        settings,
    } = worker;
    let result = send_one(&job, data, keys).await;
    slot.request_done();
    let (id, host) = (job.id, job.host.clone());
    let outcome = match result {
        Ok(()) => {
            // Recorded by the finisher, in a batch; if it has stopped, record it here.
            if let Err(unsent) = done.send(Done { id, host, slot }) {
                let Done { id, slot, .. } = unsent.0;
                let written = data.db.write(move |c| outbox::finish(c, id)).await;
                drop(slot);
                written
            } else {
                Ok(())
            }
        }
        Err(error) => {
            alive.forget(&host);
            let attempts = job.attempts + 1;
            tracing::info!(inbox = %job.inbox_url, attempts, %error, "delivery failed");
            let next = now() + backoff(attempts);
            let (max_attempts, unreachable_after, retry, give_up_after) = (
                settings.max_attempts,
                settings.unreachable_after,
                settings.unreachable_retry,
                settings.give_up_after,
            );
            let written = data
                .db
                .write(move |c| {
                    if attempts >= max_attempts {
                        tracing::warn!(delivery = id, "delivery given up after {attempts} tries");
                        outbox::finish(c, id)?;
                    } else {
                        outbox::retry_later(c, id, next, &error)?;
                    }
                    record_health(c, |c| {
                        let now = now();
                        let health =
                            outbox::mark_host_failing(c, &host, now, unreachable_after, retry)?;
                        if health.unreachable && now - health.since > give_up_after {
                            let dropped = outbox::drop_host(c, &host)?;
                            tracing::warn!(
                                %host,
                                dropped,
                                "host unreachable for too long: its deliveries are given up"
                            );
                        }
                        Ok(())
                    });
                    Ok(())
                })
                .await;
            drop(slot);
            written
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "delivery: cannot record the outcome");
    }
}

/// Signs and POSTs one delivery. `Ok` when it is done with: delivered (2xx) or refused for
/// good (4xx other than 408 and 429, logged); `Err` when it should be tried again.
async fn send_one(job: &Claimed, data: &Data, keys: &Keys) -> Result<(), String> {
    let inbox = Url::parse(&job.inbox_url).map_err(|e| e.to_string())?;
    match inbox.scheme() {
        "https" => {}
        "http" if data.instance.dev_mode => {}
        other => {
            tracing::warn!(inbox = %inbox, "delivery dropped: {other} URLs are not delivered to");
            return Ok(());
        }
    }
    // A delivery queued before its server was suspended (or, in allow-list mode, to a server
    // not allowed) is dropped, not retried.
    let (host, allowlist) = (job.host.clone(), data.instance.allowlist_mode);
    let refused = data
        .db
        .read(move |c| kith_core::domain_policy::refuses(c, &host, allowlist))
        .await
        .map_err(|e| e.to_string())?;
    if refused {
        tracing::info!(inbox = %inbox, "delivery dropped: the domain does not federate here");
        return Ok(());
    }
    let key = signing_key(keys, data, job.actor_account_id).await?;
    let body = job.body.clone().into_bytes();
    let digest = format!(
        "SHA-256={}",
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&body))
    );
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let signature = sign(&key, &inbox, &date, &digest)?;
    let response = data
        .http
        .post(inbox.as_str())
        .header(
            "content-type",
            activitypub_federation::FEDERATION_CONTENT_TYPE,
        )
        .header("date", date)
        .header("digest", digest)
        .header("signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| crate::http_client::error_chain(&e))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else if status.is_client_error() && status != 408 && status != 429 {
        tracing::info!(inbox = %inbox, activity = %job.activity_ap_id, %status, "delivery refused by the receiver; not retried");
        Ok(())
    } else {
        Err(format!("{status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_grows_to_a_day_and_spans_a_week() {
        assert_eq!(backoff(0).num_seconds(), 30);
        assert_eq!(backoff(1).num_seconds(), 60);
        assert_eq!(backoff(30).num_seconds(), 86_400);
        let total: i64 = (1..18).map(|a| backoff(a).num_seconds()).sum();
        assert!((6 * 86_400..9 * 86_400).contains(&total), "{total}");
    }
}
