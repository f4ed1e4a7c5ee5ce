//! `authy`: every Authy API call from the command line, `authy serve` and
//! `authy demo` (SANDBOX.md §1, §2).
//!
//! Exit codes (SANDBOX.md §1.1): 0 the call succeeded, 1 the API answered with
//! an error, 2 bad usage or input refused before sending, 3 the server could
//! not be reached or timed out.

mod cmd;
mod config;
mod demo;
mod output;
mod serve;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::output::Output;

/// Bad usage, bad configuration or input refused before sending.
pub const EXIT_USAGE: u8 = 2;

/// A command's failure, with its exit code.
#[derive(Debug)]
pub enum Failure {
    /// The API answered with an error (exit 1).
    Api(authy::Error),
    /// Refused before sending, or bad usage (exit 2).
    Usage(String),
    /// The server could not be reached or did not answer in time (exit 3).
    Unreachable(authy::Error),
    /// The command ran and its answer is "no" (exit 1): an invalid signature.
    Refused(String),
}

impl From<authy::Error> for Failure {
    fn from(e: authy::Error) -> Self {
        if e.is_invalid_input() {
            Failure::Usage(e.to_string())
        } else if e.is_transport() || e.is_timeout() {
            Failure::Unreachable(e)
        } else {
            Failure::Api(e)
        }
    }
}

impl Failure {
    fn exit(self, out: &Output) -> ExitCode {
        match self {
            Failure::Api(e) => {
                // With --json the error body is the output, as for success.
                if let Some(api) = e.api_error() {
                    out.raw(&api.body);
                }
                match e.api_error() {
                    Some(api) => eprintln!(
                        "authy: error {}: {}",
                        api.error_code.as_ref().map_or("(none)", |c| c.code()),
                        if api.message.is_empty() {
                            "no message"
                        } else {
                            api.message.as_str()
                        }
                    ),
                    None => eprintln!("authy: {e}"),
                }
                ExitCode::from(1)
            }
            Failure::Refused(why) => {
                eprintln!("authy: {why}");
                ExitCode::from(1)
            }
            Failure::Usage(why) => {
                eprintln!("authy: {why}");
                ExitCode::from(EXIT_USAGE)
            }
            Failure::Unreachable(e) => {
                eprintln!("authy: {e}");
                ExitCode::from(3)
            }
        }
    }
}

/// What a command returns.
pub type Outcome = Result<(), Failure>;

const ABOUT: &str =
    "The Authy two-factor authentication API: every call, an Authy-compatible server, and a demo.";

const AFTER_HELP: &str = "\
Configuration: --api-key, then AUTHY_API_KEY, then api_key in the config file
(~/.config/authy/config, mode 0600); --api-url, then AUTHY_API_URL, then api_url
there, then https://api.authy.com.

Exit codes: 0 success, 1 the API answered with an error, 2 bad usage or input
refused before sending, 3 the server could not be reached or timed out.

Start here: authy demo";

#[derive(Parser, Debug)]
#[command(name = "authy", version, about = ABOUT, after_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    /// The application's API key. For `serve`: make sure an application with
    /// this key exists (repeat for several).
    #[arg(
        long = "api-key",
        env = "AUTHY_API_KEY",
        global = true,
        value_name = "KEY",
        hide_env_values = true
    )]
    api_key: Vec<String>,

    /// Where the API is (an `authy serve` address, or https://api.authy.com).
    #[arg(
        long = "api-url",
        env = "AUTHY_API_URL",
        global = true,
        value_name = "URL"
    )]
    api_url: Option<String>,

    /// Print the API's JSON answer as received.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Users: create, status, delete, activity, QR codes, registrations.
    #[command(subcommand)]
    Users(cmd::users::UsersCommand),
    /// Text a token to a user.
    ///
    /// Example: authy sms 1635 --force --locale es
    Sms(cmd::tokens::RequestArgs),
    /// Call a user and read a token aloud.
    ///
    /// Example: authy call 1635 --force
    Call(cmd::tokens::RequestArgs),
    /// Verify a token a user typed (force is on unless --no-force).
    ///
    /// Example: authy verify 1635 0123456
    Verify(cmd::tokens::VerifyArgs),
    /// OneTouch push approvals: send, status, wait.
    #[command(subcommand)]
    Onetouch(cmd::onetouch::OneTouchCommand),
    /// Phone verification (start, check, status) and phone information.
    #[command(subcommand)]
    Phones(cmd::phones::PhonesCommand),
    /// The application: details and monthly statistics.
    #[command(subcommand)]
    App(cmd::app::AppCommand),
    /// OneTouch callbacks: check the signature of a saved callback.
    #[command(subcommand)]
    Callback(cmd::callback::CallbackCommand),
    /// Print a shell completion script.
    ///
    /// Example: authy completions bash > ~/.local/share/bash-completion/completions/authy
    Completions {
        /// bash, zsh or fish.
        shell: clap_complete::Shell,
    },
    /// Run the Authy-compatible server.
    ///
    /// Example: authy serve --listen 127.0.0.1:0 --database sqlite::memory: --api-key sandbox-key
    Serve(serve::ServeArgs),
    /// Walk the whole 2FA story against an embedded server, step by step.
    ///
    /// Example: authy demo
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output::new(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("authy: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => return Ok(serve::run(args, cli.api_key).await),
            Command::Demo => return Ok(demo::run().await),
            Command::Completions { shell } => {
                clap_complete::generate(
                    shell,
                    &mut Cli::command(),
                    "authy",
                    &mut std::io::stdout(),
                );
                return Ok(ExitCode::SUCCESS);
            }
            _ => {}
        }
        let settings = config::resolve(cli.api_key.last().cloned(), cli.api_url)?;
        if let Command::Callback(c) = cli.command {
            return cmd::callback::run(c, &settings.api_key, &out).map(|()| ExitCode::SUCCESS);
        }
        let client = settings.client()?;
        let result = match cli.command {
            Command::Users(c) => cmd::users::run(c, &client, &out).await,
            Command::Sms(a) => cmd::tokens::sms(a, &client, &out).await,
            Command::Call(a) => cmd::tokens::call(a, &client, &out).await,
            Command::Verify(a) => cmd::tokens::verify(a, &client, &out).await,
            Command::Onetouch(c) => cmd::onetouch::run(c, &client, &out).await,
            Command::Phones(c) => cmd::phones::run(c, &client, &out).await,
            Command::App(c) => cmd::app::run(c, &client, &out).await,
            Command::Serve(_)
            | Command::Demo
            | Command::Completions { .. }
            | Command::Callback(_) => {
                unreachable!("handled above")
            }
        };
        result.map(|()| ExitCode::SUCCESS)
    });
    match outcome {
        Ok(code) => code,
        Err(failure) => failure.exit(&out),
    }
}
