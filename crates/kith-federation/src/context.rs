//! What every federation handler gets: the database, the URL scheme, the instance's facts,
//! the guarded HTTP client (`http_client`), and the `activitypub_federation` configuration
//! built from them.

use crate::objects::account::ApAccount;
use crate::FederationError;
use activitypub_federation::config::FederationConfig;
use kith_core::instance::InstanceInfo;
use kith_core::InstanceUrls;
use kith_storage::Db;
use std::sync::Arc;

/// Application data handed to every federation and API handler.
#[derive(Clone)]
pub struct KithContext {
    /// The database.
    pub db: Db,
    /// This instance's URLs.
    pub urls: InstanceUrls,
    /// How the instance presents itself.
    pub instance: Arc<InstanceInfo>,
    /// Wakes the delivery worker when something was queued.
    pub delivery_wakeup: Arc<tokio::sync::Notify>,
    /// The one guarded client for every outgoing request (`http_client`): WebFinger,
    /// deliveries, and `activitypub_federation`'s fetches.
    pub http: reqwest_middleware::ClientWithMiddleware,
    /// The inbox's bounded queue: one permit per activity in progress. When none is left the
    /// inbox answers 503 with `Retry-After` instead of taking on more than it can finish.
    pub inbox_slots: Arc<tokio::sync::Semaphore>,
}

impl KithContext {
    /// A context for this instance, with the HTTP client every outgoing request uses.
    pub fn new(
        db: Db,
        urls: InstanceUrls,
        instance: InstanceInfo,
    ) -> Result<KithContext, FederationError> {
        let http = http_client(&urls, instance.dev_mode)?;
        Ok(KithContext {
            db,
            urls,
            instance: Arc::new(instance),
            delivery_wakeup: Arc::new(tokio::sync::Notify::new()),
            http,
            inbox_slots: Arc::new(tokio::sync::Semaphore::new(
                crate::inbox::DEFAULT_INBOX_QUEUE,
            )),
        })
    }

    /// Sets how many inbox activities may be in progress at once (at least 1).
    pub fn with_inbox_queue(mut self, slots: usize) -> KithContext {
        self.inbox_slots = Arc::new(tokio::sync::Semaphore::new(slots.max(1)));
        self
    }
}

/// The outgoing HTTP client (`http_client::guarded_client`) with Kith's User-Agent; outside
/// development mode it connects to public addresses only.
fn http_client(
    urls: &InstanceUrls,
    dev: bool,
) -> Result<reqwest_middleware::ClientWithMiddleware, FederationError> {
    let user_agent = format!(
        "Kith/{} (+{})",
        kith_core::instance::KITH_VERSION,
        urls.base()
    );
    crate::http_client::guarded_client(user_agent, dev)
}

/// Builds the federation configuration. Outgoing fetches are signed by the instance actor;
/// outside development mode the library refuses http URLs and the guarded client refuses any
/// address that is not public.
pub async fn build_federation_config(
    ctx: KithContext,
    instance_actor: &ApAccount,
) -> Result<FederationConfig<KithContext>, FederationError> {
    let dev = ctx.instance.dev_mode;
    let client = ctx.http.clone();
    let domain = ctx.urls.domain().to_owned();
    let config = FederationConfig::builder()
        .domain(domain)
        .app_data(ctx)
        .client(client)
        .debug(dev)
        .allow_http_urls(dev)
        .request_timeout(crate::http_client::REQUEST_TIMEOUT)
        .http_signature_compat(true)
        .signed_fetch_actor(instance_actor)
        .build()
        .await
        .map_err(|e| FederationError::Invalid(format!("federation config: {e}")))?;
    Ok(config)
}
