//! `authy app details|stats`.

use clap::Subcommand;

use crate::Outcome;
use crate::output::{Output, or_dash, yes_no};

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// The application's name, plan and enabled features.
    ///
    /// Example: authy app details
    Details,
    /// SMS, calls, verifications, users and API calls of the last twelve months.
    ///
    /// Example: authy app stats
    Stats,
}

pub async fn run(command: AppCommand, client: &authy::Client, out: &Output) -> Outcome {
    match command {
        AppCommand::Details => {
            let details = client.app().details().send().await?;
            let a = &details.app;
            out.answer(
                details.raw(),
                &[
                    ("name", a.name.clone()),
                    ("app_id", a.app_id.to_string()),
                    ("plan", or_dash(a.plan.clone())),
                    ("sms_enabled", yes_no(a.sms_enabled)),
                    (
                        "phone_calls_enabled",
                        or_dash(a.phone_calls_enabled.map(yes_no)),
                    ),
                    ("onetouch_enabled", or_dash(a.onetouch_enabled.map(yes_no))),
                ],
            );
        }
        AppCommand::Stats => {
            let stats = client.app().stats().send().await?;
            if out.json() {
                out.raw(stats.raw());
                return Ok(());
            }
            let rows: Vec<Vec<String>> = stats
                .stats
                .iter()
                .map(|m| {
                    vec![
                        format!("{} {}", m.month, m.year),
                        m.sms_count.to_string(),
                        m.calls_count.to_string(),
                        m.auths_count.to_string(),
                        m.users_count.to_string(),
                        m.api_calls_count.to_string(),
                    ]
                })
                .collect();
            out.table(
                &[
                    "month",
                    "sms",
                    "calls",
                    "verifications",
                    "new users",
                    "api calls",
                ],
                &rows,
            );
            println!("total users: {}", or_dash(stats.total_users));
        }
    }
    Ok(())
}
