//! `authy sms`, `authy call`, `authy verify`.

use clap::Args;

use crate::Outcome;
use crate::output::{Output, or_dash};

#[derive(Args, Debug)]
pub struct RequestArgs {
    /// The user's authy id.
    authy_id: u64,
    /// Send even if the user has the Authy app.
    #[arg(long)]
    force: bool,
    /// Bind the token to an action; it then verifies only with --action NAME.
    #[arg(long, value_name = "NAME")]
    action: Option<String>,
    /// Text shown with the action.
    #[arg(long, value_name = "TEXT")]
    action_message: Option<String>,
    /// Message language: en, es, pt-BR, ...
    #[arg(long, value_name = "LOCALE")]
    locale: Option<String>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The user's authy id.
    authy_id: u64,
    /// The token the user typed (leading zeros count).
    token: String,
    /// Do not force verification (legacy: unregistered users pass).
    #[arg(long)]
    no_force: bool,
    /// The action the SMS or voice token was requested with.
    #[arg(long, value_name = "NAME")]
    action: Option<String>,
}

pub async fn sms(a: RequestArgs, client: &authy::Client, out: &Output) -> Outcome {
    let call = client.tokens().sms(a.authy_id);
    request(call, a, out).await
}

pub async fn call(a: RequestArgs, client: &authy::Client, out: &Output) -> Outcome {
    let call = client.tokens().call(a.authy_id);
    request(call, a, out).await
}

async fn request(
    mut call: authy::Prepared<'_, authy::Client, authy::api::tokens::RequestToken>,
    a: RequestArgs,
    out: &Output,
) -> Outcome {
    call = call.force(a.force);
    if let Some(action) = a.action {
        call = call.action(action);
    }
    if let Some(message) = a.action_message {
        call = call.action_message(message);
    }
    if let Some(locale) = a.locale {
        call = call.locale(locale);
    }
    let sent = call.send().await?;
    let mut fields = vec![
        ("message", sent.message.clone()),
        ("cellphone", or_dash(sent.cellphone.clone())),
    ];
    if sent.ignored() {
        fields.push((
            "ignored",
            format!(
                "yes: the user has the Authy app on {} (use --force)",
                or_dash(sent.device.clone())
            ),
        ));
    }
    out.answer(sent.raw(), &fields);
    Ok(())
}

pub async fn verify(a: VerifyArgs, client: &authy::Client, out: &Output) -> Outcome {
    let mut call = client
        .tokens()
        .verify(a.authy_id, a.token)
        .force(!a.no_force);
    if let Some(action) = a.action {
        call = call.action(action);
    }
    let verified = call.send().await?;
    let device = verified.device.as_ref().and_then(|d| d.os_type.clone());
    out.answer(
        verified.raw(),
        &[
            ("message", verified.message.clone()),
            ("device", or_dash(device)),
        ],
    );
    Ok(())
}
