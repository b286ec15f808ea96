//! `kith serve`: opens the database, makes sure the instance actor exists, and runs the HTTP
//! server with the federation middleware around the API.

use crate::admin::open_database;
use crate::config::Config;
use activitypub_federation::config::FederationMiddleware;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{middleware, App, HttpServer};
use anyhow::Context;
use kith_federation::delivery::DeliverySettings;
use kith_federation::objects::account::ApAccount;
use kith_federation::{build_federation_config, KithContext};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// How long a connection may take to close after its last answer (its unread body discarded).
const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Connections waiting to be accepted (the kernel's listen queue), when Kith binds itself.
const BACKLOG: u32 = 2048;

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
    /// The background jobs (deliveries, polls, scheduled statuses); abort it when the server
    /// has stopped.
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
    // Every process sharing the database reads the shields' defaults from it.
    let shields = config.shield_defaults()?;
    db.write(move |c| kith_core::shields::store_instance_defaults(c, &shields))
        .await
        .context("cannot record the shields' defaults")?;
    let urls = config.urls();
    let instance_actor = kith_core::accounts::ensure_instance_actor(&db, &urls)
        .await
        .context("cannot create the instance actor")?;
    let people = db.read(kith_storage::accounts::count_local_people).await?;
    if people == 0 {
        let dev = if config.dev_mode {
            "KITH_DEV_MODE=true "
        } else {
            ""
        };
        tracing::warn!(
            "no accounts yet: create the first one, with the same configuration as this server, \
             with `{dev}cargo run --release -p kith -- admin create-user NAME --password 'A LONG \
             PASSPHRASE' --role admin` (or `target/release/kith admin create-user …`)"
        );
    }
    let context = KithContext::new(db, urls.clone(), config.instance_info())?
        .with_inbox_queue(config.inbox_queue)
        .with_media(config.media_store()?);
    let federation =
        build_federation_config(context.clone(), &ApAccount::new(instance_actor)?).await?;
    // The background jobs, in one task so that one abort stops them all: deliveries, polls
    // (closing, sending counts), abandoned uploads and scheduled statuses. Each claims its rows in the database,
    // so several processes can run them side by side.
    let worker = tokio::spawn({
        let (federation, context) = (federation.clone(), context.clone());
        async move {
            tokio::join!(
                kith_federation::delivery::run(federation.clone(), DeliverySettings::default()),
                kith_federation::polls::run(
                    context.clone(),
                    kith_federation::polls::POLL_JOB_EVERY
                ),
                kith_federation::media_processing::run(
                    context,
                    kith_federation::media_processing::RECOVERY_EVERY
                ),
                kith_api::scheduled_job::run(
                    federation,
                    kith_api::scheduled_job::SCHEDULED_JOB_EVERY
                ),
            );
        }
    });
    let hub = actix_web::web::Data::from(
        kith_api::streaming::Hub::start(context.db.clone(), urls.clone())
            .await
            .context("cannot start the streaming hub")?,
    );
    let proxies = actix_web::web::Data::new(kith_api::throttle::TrustedProxies(
        config.trusted_proxies()?,
    ));
    let rate_limits = actix_web::web::Data::new(config.rate_limits()?);
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let connections_per_worker = config.max_connections.div_ceil(workers);
    raise_file_limit(config.max_connections);
    let body_deadline = kith_api::body::BodyDeadline(Duration::from_secs(config.body_timeout));
    // A later request's head on a kept-alive connection (see `watchdog`).
    let head_limit = Duration::from_secs(config.keep_alive + config.header_timeout);
    let http = HttpServer::new(move || {
        App::new()
            .app_data(proxies.clone())
            .app_data(rate_limits.clone())
            .app_data(hub.clone())
            .app_data(body_deadline)
            .wrap(kith_api::error_pages())
            .wrap(FederationMiddleware::new(federation.clone()))
            .wrap(middleware::Logger::new("%a \"%r\" %s %b %Dms"))
            .wrap(middleware::from_fn(kith_api::refuse_nul_in_url))
            .wrap_fn(|req, srv| {
                // How long the handler took, for operators and the benchmarks
                // (`Server-Timing: app;dur=MILLISECONDS`, as Mastodon's `X-Runtime`).
                let started = std::time::Instant::now();
                let in_flight = crate::watchdog::InFlight::start(&req);
                let response = srv.call(req);
                async move {
                    let mut response = response
                        .await?
                        .map_body(|_, body| crate::watchdog::Answer::new(body.boxed(), in_flight));
                    let ms = started.elapsed().as_secs_f64() * 1000.0;
                    if let Ok(v) = HeaderValue::from_str(&format!("app;dur={ms:.3}")) {
                        response.headers_mut().insert(SERVER_TIMING, v);
                    }
                    Ok(response)
                }
            })
            .configure(kith_api::configure)
    })
    .shutdown_timeout(10)
    // Slow clients: the head within `header_timeout` (later heads on a kept-alive connection:
    // `watchdog`), bodies within `body_timeout` (read by the handlers, see `kith_api::body`),
    // idle keep-alive connections closed after `keep_alive`, and a connection with an unread
    // body closed soon after its answer.
    .on_connect(move |conn, data| crate::watchdog::on_connect(conn, data, head_limit))
    .workers(workers)
    .client_request_timeout(Duration::from_secs(config.header_timeout))
    .client_disconnect_timeout(DISCONNECT_TIMEOUT)
    .keep_alive(Duration::from_secs(config.keep_alive))
    .max_connections(connections_per_worker)
    .backlog(BACKLOG);
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

/// Raises the soft limit on open files towards the hard limit: each connection is a file, and
/// the common default soft limit (1024) would cap Kith far below `max_connections`.
fn raise_file_limit(max_connections: usize) {
    // Two files per connection (its socket, and the watchdog's handle on it), and a margin
    // for the database pool, outgoing requests and logs (each bounded by its own setting).
    let wanted = (max_connections as u64)
        .saturating_mul(2)
        .saturating_add(1024);
    match rlimit::increase_nofile_limit(wanted) {
        Ok(got) if got < wanted => tracing::warn!(
            limit = got,
            wanted,
            "the open-files limit is below what max_connections needs; raise it (ulimit -n) \
             or lower max_connections"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cannot read or raise the open-files limit"),
    }
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
