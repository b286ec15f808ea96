//! `kith serve`: opens the database, makes sure the instance actor exists, and runs the HTTP
//! server with the federation middleware around the API.

use crate::admin::open_database;
use crate::config::Config;
use activitypub_federation::config::FederationMiddleware;
use actix_web::{middleware, App, HttpServer};
use anyhow::Context;
use kith_federation::objects::account::ApAccount;
use kith_federation::{build_federation_config, KithContext};
use std::sync::Arc;

/// Runs until SIGINT/SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
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
    let ctx = KithContext {
        db,
        urls: urls.clone(),
        instance: Arc::new(config.instance_info()),
    };
    let federation = build_federation_config(ctx, &ApAccount::new(instance_actor)?).await?;
    let bind = config.bind_addr()?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(FederationMiddleware::new(federation.clone()))
            .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
            .configure(kith_api::configure)
    })
    .bind(bind)
    .with_context(|| format!("cannot listen on {bind}"))?;
    for addr in server.addrs() {
        tracing::info!(%addr, base = %urls.base(), "Kith is listening");
    }
    server.run().await.context("HTTP server failed")?;
    tracing::info!("Kith stopped");
    Ok(())
}
