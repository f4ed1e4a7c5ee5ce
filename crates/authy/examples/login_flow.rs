//! A complete second-factor login, as a web application would run it.
//!
//! ```text
//! AUTHY_API_KEY=... AUTHY_API_URL=http://127.0.0.1:8080 \
//!     cargo run -p authy --example login_flow -- ada@example.com 405-342-5699 1
//! ```
//!
//! 1. At sign-up, register the user and keep the authy id.
//! 2. At login, offer a OneTouch push; if the user has no app or does not answer,
//!    fall back to an SMS code typed at the prompt (three tries).

use std::io::{BufRead, Write};
use std::time::Duration;

use authy::api::onetouch::ApprovalStatus;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(email), Some(phone)) = (args.next(), args.next()) else {
        eprintln!("usage: login_flow EMAIL CELLPHONE [COUNTRY_CODE]");
        std::process::exit(2);
    };
    let country_code: u16 = args.next().as_deref().unwrap_or("1").parse()?;

    let api_key = std::env::var("AUTHY_API_KEY")
        .map_err(|_| "set AUTHY_API_KEY to your application's API key")?;
    let base_url =
        std::env::var("AUTHY_API_URL").unwrap_or_else(|_| authy::DEFAULT_BASE_URL.to_owned());
    let client = authy::Client::builder(api_key).base_url(base_url).build()?;

    // Sign-up: the same phone always gives the same id, so this is safe to repeat.
    let user = client
        .users()
        .create(email, phone)
        .country_code(country_code)
        .send()
        .await?;
    let authy_id = user.id();
    println!("registered: authy id {authy_id}");

    // Login, first choice: a push to the Authy app.
    let status = client.users().status(authy_id).send().await?;
    if status.status.registered {
        let request = client
            .onetouch()
            .send(authy_id, "Log in to Example?")
            .detail("Browser", "login_flow example")
            .seconds_to_expire(120)
            .send()
            .await?;
        println!(
            "push sent; approve it in the Authy app (uuid {})",
            request.uuid()
        );
        let last = client
            .onetouch()
            .wait_for_approval(
                request.uuid(),
                Duration::from_secs(120),
                Duration::from_secs(2),
            )
            .await?;
        match last.status {
            ApprovalStatus::Approved => {
                println!("approved: logged in");
                return Ok(());
            }
            ApprovalStatus::Denied => {
                println!("denied: login refused");
                return Ok(());
            }
            other => println!("push {other}; falling back to SMS"),
        }
    }

    // Fallback: an SMS code, forced because the user may have the app.
    let sent = client
        .tokens()
        .sms(authy_id)
        .force(true)
        .action("login")
        .send()
        .await?;
    println!(
        "{} to {}",
        sent.message,
        sent.cellphone.as_deref().unwrap_or("the user's phone")
    );
    let stdin = std::io::stdin();
    for attempt in 1..=3 {
        print!("code (try {attempt} of 3): ");
        std::io::stdout().flush()?;
        let mut typed = String::new();
        stdin.lock().read_line(&mut typed)?;
        match client
            .tokens()
            .verify(authy_id, typed.trim())
            .action("login")
            .send()
            .await
        {
            Ok(_) => {
                println!("code accepted: logged in");
                return Ok(());
            }
            Err(e) if e.is_invalid_input() => println!("that is not a code: {e}"),
            Err(e) if e.is_token_reused() => println!("that code was already used"),
            Err(e) if e.is_invalid_token() => println!("wrong code"),
            Err(e) if e.is_rate_limited() => {
                return Err("too many attempts; wait and try again".into());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err("login refused after three wrong codes".into())
}
