//! `authy serve`: the server with SANDBOX.md §2's options and start-up contract.

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use authy_server::db::Durability;
use authy_server::{Application, Config, Limits, Mode};
use clap::{Args, ValueEnum};

use crate::EXIT_USAGE;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to bind; port 0 picks a free port.
    #[arg(long, env = "AUTHY_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// sqlite://PATH (created if missing) or sqlite::memory:
    #[arg(long, env = "AUTHY_DATABASE_URL", default_value = "sqlite://authy.db")]
    database: String,
    /// Name of applications created at start-up.
    #[arg(long, default_value = "Sandbox App")]
    app_name: String,
    /// `production` disables the /sandbox control API.
    #[arg(long, env = "AUTHY_MODE", value_enum, default_value_t = ModeArg::Sandbox)]
    mode: ModeArg,
    /// OneTouch callback URL of applications created at start-up.
    #[arg(long, value_name = "URL")]
    onetouch_callback_url: Option<String>,
    /// Key that encrypts TOTP seeds and codes at rest (default: generated into
    /// <database>.secret on first start, mode 0600).
    #[arg(
        long,
        env = "AUTHY_SECRET_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    secret_key: Option<String>,
    /// Failed token verifications per user within 10 minutes before 429 (0: no limit).
    #[arg(long, default_value_t = 5, value_name = "N")]
    max_verify_failures: i64,
    /// SMS and calls per phone number within an hour before 429 (0: no limit).
    #[arg(long, default_value_t = 10, value_name = "N")]
    max_sends_per_phone: i64,
    /// SMS and calls per application within an hour before 429 (0: no limit).
    #[arg(long, default_value_t = 1000, value_name = "N")]
    max_sends_per_app: i64,
    /// Requests served at once; more are refused at once with 429 (DoS protection).
    #[arg(long, default_value_t = 256, value_name = "N")]
    max_in_flight: usize,
    /// full: every commit is flushed to disk before it is acknowledged. normal:
    /// commits survive a crash of the server, not of the machine; much faster.
    #[arg(long, value_enum, default_value_t = DurabilityArg::Full)]
    durability: DurabilityArg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DurabilityArg {
    Full,
    Normal,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ModeArg {
    Sandbox,
    Production,
}

/// Runs the server; `api_keys` are the global `--api-key` values.
pub async fn run(args: ServeArgs, api_keys: Vec<String>) -> ExitCode {
    init_logging();
    let config = Config {
        listen: args.listen,
        database_url: args.database,
        api_keys,
        app_name: args.app_name,
        mode: match args.mode {
            ModeArg::Sandbox => Mode::Sandbox,
            ModeArg::Production => Mode::Production,
        },
        onetouch_callback_url: args.onetouch_callback_url,
        secret_key: args.secret_key,
        limits: Limits {
            verify_failures: args.max_verify_failures.max(0),
            sends_per_phone: args.max_sends_per_phone.max(0),
            sends_per_app: args.max_sends_per_app.max(0),
            ..Limits::default()
        },
        max_in_flight: args.max_in_flight,
        durability: match args.durability {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        },
        ..Config::default()
    };
    let app_name = config.app_name.clone();
    let app = match Application::build(config, Arc::new(authy_server::clock::SystemClock)).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("authy: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if let Some(key) = app.created_api_key() {
        eprintln!("authy: created application \"{app_name}\" with API key {key}");
    }
    // The one line scripts wait for; nothing else goes to stdout.
    println!("authy: listening on http://{}", app.local_addr());
    let _ = std::io::stdout().flush();
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("authy: server error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr: SANDBOX.md reserves stdout for the listening line.
fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// SIGINT or SIGTERM: stop accepting, finish requests in flight.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => return interrupt.await.unwrap_or_default(),
            };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or_default();
}
