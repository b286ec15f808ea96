//! `kith serve`: opens the database, makes sure the instance actor exists, and runs the HTTP
//! server with the federation middleware around the API.

use crate::admin::open_database;
use crate::config::Config;
use activitypub_federation::config::FederationMiddleware;
use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{middleware, App, HttpServer};
use anyhow::Context;
use kith_federation::delivery::DeliverySettings;
use kith_federation::objects::account::ApAccount;
use kith_federation::{build_federation_config, KithContext};
use std::net::{SocketAddr, TcpListener};

/// `Server-Timing` (actix has no constant for it).
const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// A started (not yet awaited) instance.
pub struct Started {
    /// The server future; await it to run until stopped.
    pub server: Server,
    /// Stops the server.
    pub handle: ServerHandle,
    /// Where it listens.
    pub addrs: Vec<SocketAddr>,
    /// What its handlers see.
    pub context: KithContext,
    /// The delivery worker; abort it when the server has stopped.
    pub worker: tokio::task::JoinHandle<()>,
}

/// Builds the instance. With `listener`, serves on it instead of binding `config.bind`
/// (tests bind port 0 first, so they know the port before choosing the domain).
pub async fn start(config: Config, listener: Option<TcpListener>) -> anyhow::Result<Started> {
    if config.dev_mode {
        tracing::warn!(
            "DEVELOPMENT MODE IS ON: plain http ids and loopback/private peers are allowed. \
             Never run a public instance like this."
        );
    }
    let db = open_database(&config).await?;
    let urls = config.urls();
    let instance_actor = kith_core::accounts::ensure_instance_actor(&db, &urls)
        .await
        .context("cannot create the instance actor")?;
    let context = KithContext::new(db, urls.clone(), config.instance_info())?
        .with_inbox_queue(config.inbox_queue);
    let federation =
        build_federation_config(context.clone(), &ApAccount::new(instance_actor)?).await?;
    let worker = tokio::spawn(kith_federation::delivery::run(
        federation.clone(),
        DeliverySettings::default(),
    ));
    let http = HttpServer::new(move || {
        App::new()
            .wrap(FederationMiddleware::new(federation.clone()))
            .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
            .wrap(middleware::from_fn(kith_api::refuse_nul_in_url))
            .wrap_fn(|req, srv| {
                // How long the handler took, for operators and the benchmarks
                // (`Server-Timing: app;dur=MILLISECONDS`, as Mastodon's `X-Runtime`).
                let started = std::time::Instant::now();
                let response = srv.call(req);
                async move {
                    let mut response = response.await?;
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.3}")) {
                        response.headers_mut().insert(SERVER_TIMING, v);
                    }
                    Ok(response)
                }
            })
            .configure(kith_api::configure)
    })
    .shutdown_timeout(10);
    let http = match listener {
        Some(l) => http
            .listen(l)
            .context("cannot serve on the given listener")?,
        None => {
            let bind = config.bind_addr()?;
            http.bind(bind)
                .with_context(|| format!("cannot listen on {bind}"))?
        }
    };
    let addrs = http.addrs();
    for addr in &addrs {
        tracing::info!(%addr, base = %urls.base(), "Kith is listening");
    }
    let server = http.run();
    Ok(Started {
        worker,
        handle: server.handle(),
        server,
        addrs,
        context,
    })
}

/// Runs until SIGINT/SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let started = start(config, None).await?;
    let result = started.server.await;
    started.worker.abort();
    result.context("HTTP server failed")?;
    tracing::info!("Kith stopped");
    Ok(())
}
