//! `authy users ...`

use authy::api::users::ActivityType;
use clap::{Args, Subcommand};

use super::key_value;
use crate::Outcome;
use crate::output::{Output, or_dash, yes_no};

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Register a user (the same phone always gives the same authy id).
    ///
    /// Example: authy users create ada@example.com 405-342-5699 --country-code 1
    Create(CreateArgs),
    /// Show a user's status: phone (masked), devices, registered, confirmed.
    ///
    /// Example: authy users status 1635
    Status {
        /// The user's authy id.
        authy_id: u64,
        /// The IP address of the user's request.
        #[arg(long, value_name = "IP")]
        user_ip: Option<String>,
    },
    /// Remove a user from the application.
    ///
    /// Example: authy users delete 1635
    Delete {
        /// The user's authy id.
        authy_id: u64,
        /// The IP address of the user's request.
        #[arg(long, value_name = "IP")]
        user_ip: Option<String>,
    },
    /// Record an activity: password_reset, banned, unbanned or cookie_login.
    ///
    /// Example: authy users activity 1635 password_reset --data reason=forgot
    Activity {
        /// The user's authy id.
        authy_id: u64,
        /// password_reset, banned, unbanned or cookie_login.
        #[arg(value_name = "TYPE")]
        activity: String,
        /// A key=value of the activity's data (repeatable).
        #[arg(long, value_name = "KEY=VALUE", value_parser = key_value)]
        data: Vec<(String, String)>,
        /// The IP address of the user's request.
        #[arg(long, value_name = "IP")]
        user_ip: Option<String>,
    },
    /// Make a new authenticator-app secret and its QR code.
    ///
    /// Example: authy users qr 1635 --label "Example: ada" --qr-size 300
    Qr {
        /// The user's authy id.
        authy_id: u64,
        /// The account name the authenticator app shows.
        #[arg(long, value_name = "TEXT")]
        label: Option<String>,
        /// The QR image's width, 100 to 1000 pixels.
        #[arg(long, value_name = "PIXELS")]
        qr_size: Option<u32>,
    },
    /// Show the status of an SDK registration.
    ///
    /// Example: authy users registration user-42
    Registration {
        /// The custom user id the registration was made with.
        custom_user_id: String,
    },
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The user's e-mail.
    email: String,
    /// The user's cellphone (separators allowed).
    cellphone: String,
    /// The country calling code.
    #[arg(long, default_value_t = 1, value_name = "N")]
    country_code: u16,
    /// Text the user a link to install the Authy app.
    #[arg(long)]
    send_install_link: bool,
}

pub async fn run(command: UsersCommand, client: &authy::Client, out: &Output) -> Outcome {
    let users = client.users();
    match command {
        UsersCommand::Create(a) => {
            let user = users
                .create(a.email, a.cellphone)
                .country_code(a.country_code)
                .send_install_link_via_sms(a.send_install_link)
                .send()
                .await?;
            out.answer(
                user.raw(),
                &[
                    ("authy_id", user.id().to_string()),
                    ("message", user.message.clone()),
                ],
            );
        }
        UsersCommand::Status { authy_id, user_ip } => {
            let mut call = users.status(authy_id);
            if let Some(ip) = user_ip {
                call = call.user_ip(ip);
            }
            let answer = call.send().await?;
            let s = &answer.status;
            out.answer(
                answer.raw(),
                &[
                    ("authy_id", s.authy_id.to_string()),
                    ("phone_number", s.phone_number.clone()),
                    ("country_code", s.country_code.to_string()),
                    ("email", or_dash(s.email.clone())),
                    ("registered", yes_no(s.registered)),
                    ("confirmed", yes_no(s.confirmed)),
                    (
                        "devices",
                        if s.devices.is_empty() {
                            "-".into()
                        } else {
                            s.devices.join(", ")
                        },
                    ),
                ],
            );
        }
        UsersCommand::Delete { authy_id, user_ip } => {
            let mut call = users.delete(authy_id);
            if let Some(ip) = user_ip {
                call = call.user_ip(ip);
            }
            let answer = call.send().await?;
            out.answer(answer.raw(), &[("message", answer.message.clone())]);
        }
        UsersCommand::Activity {
            authy_id,
            activity,
            data,
            user_ip,
        } => {
            let activity: ActivityType = activity.parse().map_err(authy::Error::from)?;
            let mut call = users.register_activity(authy_id, activity);
            for (k, v) in data {
                call = call.data(k, v);
            }
            if let Some(ip) = user_ip {
                call = call.user_ip(ip);
            }
            let answer = call.send().await?;
            out.answer(answer.raw(), &[("message", answer.message.clone())]);
        }
        UsersCommand::Qr {
            authy_id,
            label,
            qr_size,
        } => {
            let mut call = users.qr_code(authy_id);
            if let Some(label) = label {
                call = call.label(label);
            }
            if let Some(size) = qr_size {
                call = call.qr_size(size);
            }
            let qr = call.send().await?;
            let text = |k: &str| qr.extra.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            out.answer(
                qr.raw(),
                &[
                    ("label", or_dash(qr.label.clone())),
                    ("uri", or_dash(text("uri"))),
                    ("secret", or_dash(text("secret"))),
                    ("qr_code", qr.qr_code.clone()),
                ],
            );
        }
        UsersCommand::Registration { custom_user_id } => {
            let answer = users.registration_status(custom_user_id).send().await?;
            out.answer(
                answer.raw(),
                &[
                    ("status", or_dash(answer.status.clone())),
                    ("authy_id", or_dash(answer.authy_id)),
                ],
            );
        }
    }
    Ok(())
}
