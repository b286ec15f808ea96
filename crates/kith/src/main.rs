//! `kith`: the server binary. It reads the configuration, wires storage, federation and the
//! HTTP API together, and offers the admin commands.

use clap::{Parser, Subcommand};
use kith::{admin, config, serve};
use std::path::PathBuf;
use std::process::ExitCode;

/// Kith, a fediverse server for small interest communities.
#[derive(Debug, Parser)]
#[command(name = "kith", version, about, long_about = None)]
struct Cli {
    /// Configuration file (default: ./kith.toml when it exists). KITH_* variables override it.
    #[arg(long, global = true, env = "KITH_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the instance (applies pending migrations first).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administer accounts.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match config::Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let quiet = !matches!(cli.command, Command::Serve);
    init_logging(&config.log, quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Command::Serve => runtime.block_on(serve::run(config)),
        Command::Migrate => runtime.block_on(admin::migrate(&config)),
        Command::Admin(cmd) => runtime.block_on(admin::run(&config, cmd)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to standard error; the admin commands log only warnings so that their standard
/// output stays clean for scripts.
fn init_logging(filter: &str, quiet: bool) {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| {
        if quiet {
            "warn".to_owned()
        } else {
            filter.to_owned()
        }
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}
