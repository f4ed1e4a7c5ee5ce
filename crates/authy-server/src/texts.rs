//! The text of the messages users receive, per language (SMS and voice).
//!
//! `locale` may be `pt-BR` or `es_MX`: the language part chooses the text;
//! unknown languages get English.

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

/// The text of a phone-verification code. A custom message replaces it: its
/// `{code}` is replaced by the code, or the code is appended.
pub fn verification_message(
    language: &str,
    app_name: &str,
    code: &str,
    voice: bool,
    custom: Option<&str>,
) -> String {
    let code = if voice {
        code.chars().map(String::from).collect::<Vec<_>>().join(" ")
    } else {
        code.to_owned()
    };
    if let Some(custom) = custom {
        return if custom.contains("{code}") {
            custom.replace("{code}", &code)
        } else {
            format!("{custom} {code}")
        };
    }
    match language {
        "es" => format!("Tu código de verificación de {app_name} es: {code}"),
        "pt" => format!("Seu código de verificação do {app_name} é: {code}"),
        "de" => format!("Ihr {app_name}-Bestätigungscode lautet: {code}"),
        "fr" => format!("Votre code de vérification {app_name} est : {code}"),
        "it" => format!("Il tuo codice di verifica {app_name} è: {code}"),
        _ => format!("Your {app_name} verification code is: {code}"),
    }
}

/// The `message` of a verification start: `Text message sent to +1 201-555-0123.`
/// or, for a call, `Call to +1 775-461-5609 initiated.` (WIRE.md §3.14).
pub fn verification_started(language: &str, voice: bool, phone: &str) -> String {
    match (language, voice) {
        ("es", false) => format!("Mensaje de texto enviado a {phone}."),
        ("es", true) => format!("Llamada a {phone} fue iniciada."),
        ("pt", false) => format!("Mensagem de texto enviada para {phone}."),
        ("pt", true) => format!("Chamada para {phone} iniciada."),
        ("de", false) => format!("Textnachricht an {phone} gesendet."),
        ("de", true) => format!("Anruf an {phone} gestartet."),
        ("fr", false) => format!("SMS envoyé au {phone}."),
        ("fr", true) => format!("Appel vers {phone} lancé."),
        ("it", false) => format!("Messaggio di testo inviato a {phone}."),
        ("it", true) => format!("Chiamata a {phone} avviata."),
        (_, false) => format!("Text message sent to {phone}."),
        (_, true) => format!("Call to {phone} initiated."),
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
            assert!(verification_message(lang, "App", "42", false, None).contains("42"));
            assert!(verification_started(lang, true, "+1 1").contains("+1 1"));
        }
        // The two recorded real texts (WIRE.md §3.14).
        assert_eq!(
            verification_started("es", true, "+1 775-461-5609"),
            "Llamada a +1 775-461-5609 fue iniciada."
        );
        assert_eq!(
            verification_started("en", false, "+84 86-674-2932"),
            "Text message sent to +84 86-674-2932."
        );
        assert_eq!(
            verification_message("en", "A", "1234", false, Some("Code {code} for A")),
            "Code 1234 for A"
        );
        assert_eq!(
            verification_message("en", "A", "1234", true, Some("Your code:")),
            "Your code: 1 2 3 4"
        );
    }
}
