//! `authy phones start|check|status|info`.

use authy::api::phones::Via;
use clap::{Args, Subcommand, ValueEnum};

use crate::Outcome;
use crate::output::{Output, or_dash, yes_no};

#[derive(Subcommand, Debug)]
pub enum PhonesCommand {
    /// Send a verification code to a phone.
    ///
    /// Example: authy phones start 201-555-0123 --country-code 1 --via sms --code-length 6
    Start(StartArgs),
    /// Check the code the phone received.
    ///
    /// Example: authy phones check 201-555-0123 --country-code 1 123456
    Check {
        /// The phone number (separators allowed).
        phone: String,
        /// The country calling code.
        #[arg(long, value_name = "N")]
        country_code: u16,
        /// The code received.
        code: String,
    },
    /// Show the latest verification of a phone: pending, verified or expired.
    ///
    /// Example: authy phones status 201-555-0123 --country-code 1
    Status(PhoneArgs),
    /// What kind of line a number is, and its carrier.
    ///
    /// Example: authy phones info 7106123456 --country-code 44
    Info(PhoneArgs),
}

#[derive(Args, Debug)]
pub struct PhoneArgs {
    /// The phone number (separators allowed).
    phone: String,
    /// The country calling code.
    #[arg(long, value_name = "N")]
    country_code: u16,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ViaArg {
    Sms,
    Call,
}

#[derive(Args, Debug)]
pub struct StartArgs {
    /// The phone number (separators allowed).
    phone: String,
    /// The country calling code.
    #[arg(long, value_name = "N")]
    country_code: u16,
    /// How to send the code.
    #[arg(long, value_enum, default_value_t = ViaArg::Sms)]
    via: ViaArg,
    /// Digits in the code, 4 to 10.
    #[arg(long, value_name = "N")]
    code_length: Option<u8>,
    /// Message language: en, es, pt-BR, ...
    #[arg(long, value_name = "LOCALE")]
    locale: Option<String>,
    /// Send this code (if the application allows custom codes).
    #[arg(long, value_name = "CODE")]
    custom_code: Option<String>,
    /// Send this text ({code} is replaced by the code).
    #[arg(long, value_name = "TEXT")]
    custom_message: Option<String>,
}

pub async fn run(command: PhonesCommand, client: &authy::Client, out: &Output) -> Outcome {
    let phones = client.phones();
    match command {
        PhonesCommand::Start(a) => {
            let via = match a.via {
                ViaArg::Sms => Via::Sms,
                ViaArg::Call => Via::Call,
            };
            let mut call = phones.start(via, a.country_code, a.phone);
            if let Some(n) = a.code_length {
                call = call.code_length(n);
            }
            if let Some(locale) = a.locale {
                call = call.locale(locale);
            }
            if let Some(code) = a.custom_code {
                call = call.custom_code(code);
            }
            if let Some(text) = a.custom_message {
                call = call.custom_message(text);
            }
            let started = call.send().await?;
            out.answer(
                started.raw(),
                &[
                    ("message", started.message.clone()),
                    ("uuid", or_dash(started.uuid.clone())),
                    ("seconds_to_expire", or_dash(started.seconds_to_expire)),
                    (
                        "carrier",
                        or_dash(started.carrier.clone().filter(|c| !c.is_empty())),
                    ),
                    ("is_cellphone", or_dash(started.is_cellphone.map(yes_no))),
                ],
            );
        }
        PhonesCommand::Check {
            phone,
            country_code,
            code,
        } => {
            let checked = phones.check(country_code, phone, code).send().await?;
            out.answer(checked.raw(), &[("message", checked.message.clone())]);
        }
        PhonesCommand::Status(a) => {
            let status = phones.status(a.country_code, a.phone).send().await?;
            out.answer(
                status.raw(),
                &[
                    ("status", status.status.clone()),
                    ("seconds_to_expire", or_dash(status.seconds_to_expire)),
                    ("uuid", or_dash(status.uuid.clone())),
                ],
            );
        }
        PhonesCommand::Info(a) => {
            let info = phones.info(a.country_code, a.phone).send().await?;
            out.answer(
                info.raw(),
                &[
                    ("type", info.phone_type.clone()),
                    ("provider", or_dash(info.provider.clone())),
                    ("ported", or_dash(info.ported.map(yes_no))),
                    ("message", info.message.clone()),
                ],
            );
        }
    }
    Ok(())
}
