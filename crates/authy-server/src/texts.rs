//! The text of the messages users receive, per language (SMS and voice).
//!
//! `locale` may be `pt-BR` or `es_MX`: the language part chooses the text;
//! unknown languages get English.

/// What a message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A login token (sms/{id}, call/{id}).
    Token,
    /// A phone-verification code.
    PhoneVerification,
}

/// The languages with their own text.
pub const LANGUAGES: &[&str] = &["en", "es", "pt", "de", "fr", "it"];

/// The language part of a locale, if we have a text for it; else `en`.
pub fn language(locale: Option<&str>) -> &'static str {
    let lang = locale
        .unwrap_or("en")
        .split(['-', '_'])
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase();
    LANGUAGES
        .iter()
        .copied()
        .find(|l| *l == lang)
        .unwrap_or("en")
}

/// The message for `code`, e.g. `Your Sandbox App code is 1234567`. A voice call
/// reads the digits one by one, so its text spaces them.
pub fn message(
    language: &str,
    app_name: &str,
    code: &str,
    voice: bool,
    action_message: Option<&str>,
) -> String {
    let code = if voice {
        code.chars().map(String::from).collect::<Vec<_>>().join(" ")
    } else {
        code.to_owned()
    };
    let text = match language {
        "es" => format!("Tu código de {app_name} es {code}"),
        "pt" => format!("Seu código do {app_name} é {code}"),
        "de" => format!("Ihr {app_name}-Code lautet {code}"),
        "fr" => format!("Votre code {app_name} est {code}"),
        "it" => format!("Il tuo codice {app_name} è {code}"),
        _ => format!("Your {app_name} code is {code}"),
    };
    match action_message {
        Some(action) => format!("{text} ({action})"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_language_of_a_locale() {
        assert_eq!(language(Some("pt-BR")), "pt");
        assert_eq!(language(Some("ES")), "es");
        assert_eq!(language(Some("zh-CN")), "en");
        assert_eq!(language(None), "en");
        assert_eq!(
            message("en", "Sandbox App", "1234567", false, None),
            "Your Sandbox App code is 1234567"
        );
        assert_eq!(
            message("es", "X", "123", true, Some("Login")),
            "Tu código de X es 1 2 3 (Login)"
        );
        for lang in LANGUAGES {
            assert!(message(lang, "App", "42", false, None).contains("42"));
        }
    }
}
