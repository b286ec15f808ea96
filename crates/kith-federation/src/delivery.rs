//! The delivery worker: claims due deliveries from the persistent outbox, signs each request
//! as its activity's actor and sends it, with a global and a per-host limit on requests in
//! flight, so a slow or dead host never holds up the others. Failures are retried with
//! exponential backoff for about a week; a refusal (4xx, including 410 Gone) ends a delivery
//! at once; a host that keeps failing for a day is marked unreachable, and marked alive again
//! when it answers.

use crate::objects::account::ApAccount;
use crate::{Data, FederationConfig};
use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::config::Data as ApData;
use activitypub_federation::traits::Activity;
use async_trait::async_trait;
use kith_storage::outbox::{self, Claimed};
use kith_storage::{accounts, now};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
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
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            concurrency: 64,
            per_host: 4,
            // Longer than a request may take (10 s timeout), so a live claim is never taken over.
            lease_secs: 30,
            max_attempts: 18,
        }
    }
}

/// The wait before try number `attempts + 1`: 30 s doubling, at most a day
/// (18 tries span about 7.4 days).
pub fn backoff(attempts: i32) -> chrono::Duration {
    let secs = 30i64.saturating_mul(1i64 << attempts.clamp(0, 20));
    chrono::Duration::seconds(secs.min(86_400))
}

/// An activity as stored, for `activitypub_federation`'s signer.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredActivity {
    id: Url,
    actor: Url,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[async_trait]
impl Activity for StoredActivity {
    type DataType = crate::KithContext;
    type Error = crate::FederationError;
    fn id(&self) -> &Url {
        &self.id
    }
    fn actor(&self) -> &Url {
        &self.actor
    }
    async fn verify(&self, _: &Data) -> Result<(), Self::Error> {
        Ok(())
    }
    async fn receive(self, _: &Data) -> Result<(), Self::Error> {
        Ok(())
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
    let global = Arc::new(Semaphore::new(settings.concurrency));
    let hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>> = Arc::default();
    let wakeup = config.delivery_wakeup.clone();
    loop {
        let data = config.to_request_data();
        let lease = settings.lease_secs;
        let free = global.available_permits().max(1) as i64;
        let claimed = data
            .db
            .write(move |c| outbox::claim_due(c, now(), lease, free))
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
            // Sleep until something is queued, or a second passes (retries come due).
            let _ = tokio::time::timeout(Duration::from_secs(1), wakeup.notified()).await;
            continue;
        }
        for job in claimed {
            let permit = global
                .clone()
                .acquire_owned()
                .await
                .expect("semaphore open");
            let host_limit = hosts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .entry(job.host.clone())
                .or_insert_with(|| Arc::new(Semaphore::new(settings.per_host)))
                .clone();
            let config = config.clone();
            let max_attempts = settings.max_attempts;
            tokio::spawn(async move {
                let _host = host_limit.acquire_owned().await.expect("semaphore open");
                deliver(job, &config.to_request_data(), max_attempts).await;
                drop(permit);
            });
        }
    }
}

async fn deliver(job: Claimed, data: &ApData<crate::KithContext>, max_attempts: i32) {
    let result = send_one(&job, data).await;
    let (id, host) = (job.id, job.host.clone());
    let outcome = match result {
        Ok(()) => {
            let done = data.db.write(move |c| outbox::finish(c, id)).await;
            if done.is_ok() {
                if let Err(e) = data
                    .db
                    .write(move |c| outbox::mark_host_alive(c, &host))
                    .await
                {
                    tracing::debug!(error = %e, "delivery: cannot record host health");
                }
            }
            done
        }
        Err(error) => {
            let attempts = job.attempts + 1;
            tracing::info!(inbox = %job.inbox_url, attempts, %error, "delivery failed");
            let next = now() + backoff(attempts);
            let outcome = data
                .db
                .write(move |c| {
                    if attempts >= max_attempts {
                        tracing::warn!(delivery = id, "delivery given up after {attempts} tries");
                        outbox::finish(c, id)
                    } else {
                        outbox::retry_later(c, id, next, &error)
                    }
                })
                .await;
            let h = host.clone();
            if let Err(e) = data
                .db
                .write(move |c| {
                    outbox::mark_host_failing(c, &h, now(), chrono::Duration::days(1)).map(|_| ())
                })
                .await
            {
                tracing::debug!(error = %e, "delivery: cannot record host health");
            }
            outcome
        }
    };
    if let Err(e) = outcome {
        tracing::warn!(error = %e, "delivery: cannot record the outcome");
    }
}

async fn send_one(job: &Claimed, data: &Data) -> Result<(), String> {
    let activity: StoredActivity =
        serde_json::from_str(&job.body).map_err(|e| format!("stored activity: {e}"))?;
    let actor_id = job.actor_account_id;
    let actor = data
        .db
        .read(move |c| accounts::by_id(c, actor_id))
        .await
        .map_err(|e| e.to_string())?;
    let actor = ApAccount::new(actor).map_err(|e| e.to_string())?;
    let inbox = Url::parse(&job.inbox_url).map_err(|e| e.to_string())?;
    let tasks = SendActivityTask::prepare(&activity, &actor, vec![inbox], data)
        .await
        .map_err(|e| e.to_string())?;
    for task in tasks {
        task.sign_and_send(data).await.map_err(|e| e.to_string())?;
    }
    Ok(())
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
