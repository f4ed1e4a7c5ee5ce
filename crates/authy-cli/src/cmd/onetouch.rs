//! `authy onetouch send|status|wait`.

use std::io::{IsTerminal as _, Write as _};
use std::time::{Duration, Instant};

use authy::api::onetouch::{ApprovalRequest, LogoResolution};
use clap::{Args, Subcommand};

use super::key_value;
use crate::Outcome;
use crate::output::{Output, or_dash};

#[derive(Subcommand, Debug)]
pub enum OneTouchCommand {
    /// Push an approval request to the user's Authy app.
    ///
    /// Example: authy onetouch send 1635 "Log in from Lisbon?" --detail "Browser=Firefox" --wait
    Send(SendArgs),
    /// Show an approval request's status.
    ///
    /// Example: authy onetouch status dda2c400-bc43-0135-d7be-1285ca17e122
    Status {
        /// The approval request's uuid.
        uuid: String,
    },
    /// Wait until the request is approved, denied or expires (exit 0 whatever
    /// the answer: read the status).
    ///
    /// Example: authy onetouch wait dda2c400-bc43-0135-d7be-1285ca17e122 --timeout 60
    Wait(WaitArgs),
}

#[derive(Args, Debug)]
pub struct SendArgs {
    /// The user's authy id.
    authy_id: u64,
    /// The message shown with the request (at most 200 characters).
    message: String,
    /// A detail shown to the user (repeatable).
    #[arg(long = "detail", value_name = "KEY=VALUE", value_parser = key_value)]
    details: Vec<(String, String)>,
    /// A detail stored but not shown (repeatable).
    #[arg(long = "hidden-detail", value_name = "KEY=VALUE", value_parser = key_value)]
    hidden_details: Vec<(String, String)>,
    /// A logo: default|low|med|high=URL (repeatable).
    #[arg(long = "logo", value_name = "RES=URL", value_parser = key_value)]
    logos: Vec<(String, String)>,
    /// Seconds until it expires (default 86400; 0 never).
    #[arg(long, value_name = "N")]
    seconds_to_expire: Option<u64>,
    /// Then wait for the answer, as `onetouch wait` does.
    #[arg(long)]
    wait: bool,
}

#[derive(Args, Debug)]
pub struct WaitArgs {
    /// The approval request's uuid.
    uuid: String,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    timeout: u64,
    /// Seconds between two status reads.
    #[arg(long, default_value_t = 2, value_name = "SECONDS")]
    interval: u64,
}

pub async fn run(command: OneTouchCommand, client: &authy::Client, out: &Output) -> Outcome {
    match command {
        OneTouchCommand::Send(a) => {
            let mut call = client.onetouch().send(a.authy_id, a.message);
            for (k, v) in a.details {
                call = call.detail(k, v);
            }
            for (k, v) in a.hidden_details {
                call = call.hidden_detail(k, v);
            }
            for (res, url) in a.logos {
                let res: LogoResolution = res.parse().map_err(authy::Error::from)?;
                call = call.logo(res, url);
            }
            if let Some(seconds) = a.seconds_to_expire {
                call = call.seconds_to_expire(seconds);
            }
            let created = call.send().await?;
            if a.wait {
                if !out.json() {
                    println!("uuid  {}", created.uuid());
                }
                return wait(
                    client,
                    out,
                    created.uuid(),
                    Duration::from_secs(120),
                    Duration::from_secs(2),
                )
                .await;
            }
            out.answer(created.raw(), &[("uuid", created.uuid().to_owned())]);
        }
        OneTouchCommand::Status { uuid } => {
            let status = client.onetouch().status(uuid).send().await?;
            show(out, status.raw(), &status.approval_request);
        }
        OneTouchCommand::Wait(a) => {
            wait(
                client,
                out,
                &a.uuid,
                Duration::from_secs(a.timeout),
                Duration::from_secs(a.interval.max(1)),
            )
            .await?;
        }
    }
    Ok(())
}

fn show(out: &Output, raw: &serde_json::Value, r: &ApprovalRequest) {
    out.answer(
        raw,
        &[
            ("status", r.status.to_string()),
            ("uuid", r.uuid.clone()),
            ("authy_id", or_dash(r.authy_id)),
            ("created_at", or_dash(r.created_at.clone())),
            ("processed_at", or_dash(r.processed_at.clone())),
            ("seconds_to_expire", or_dash(r.seconds_to_expire)),
        ],
    );
}

/// Polls until a final status, with a spinner and the time left on a terminal.
async fn wait(
    client: &authy::Client,
    out: &Output,
    uuid: &str,
    timeout: Duration,
    interval: Duration,
) -> Outcome {
    let started = Instant::now();
    let onetouch = client.onetouch();
    let waiting = onetouch.wait_for_approval(uuid, timeout, interval);
    tokio::pin!(waiting);
    let spinner = std::io::stderr().is_terminal() && !out.json();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut frame = 0;
    let last = loop {
        tokio::select! {
            result = &mut waiting => break result,
            _ = tick.tick(), if spinner => {
                let left = timeout.saturating_sub(started.elapsed()).as_secs();
                eprint!("\r{} waiting for the user to answer... {left}s left ", frames[frame % frames.len()]);
                let _ = std::io::stderr().flush();
                frame += 1;
            }
        }
    };
    if spinner {
        eprint!("\r\x1b[2K");
    }
    let last = last?;
    let raw = serde_json::json!({"approval_request": {"status": last.status.as_str(), "uuid": last.uuid}, "success": true});
    show(out, &raw, &last);
    Ok(())
}
