//! Authy's `error_code` values (WIRE.md §7).
//!
//! One table gives every known code its HTTP status and message, so the client
//! can name what went wrong and the server can answer with exactly the status
//! and text the official clients expect.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:literal, $message:literal; )*) => {
        /// An Authy `error_code`.
        ///
        /// Codes this crate does not know are kept verbatim in [`ErrorCode::Other`],
        /// so nothing the service says is lost. On the wire the code is always a
        /// string of digits (`"60020"`); reading also accepts a JSON number.
        ///
        /// ```
        /// use authy_types::ErrorCode;
        /// assert_eq!(ErrorCode::from_code("60020"), ErrorCode::InvalidToken);
        /// assert_eq!(ErrorCode::InvalidToken.http_status(), 401);
        /// assert_eq!(ErrorCode::from_code("69999").code(), "69999");
        /// ```
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
            /// A code this crate does not know, as received.
            Other(String),
        }

        impl ErrorCode {
            /// Every code with a known meaning, in numeric order.
            pub const KNOWN: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// Parses a code such as `"60020"`. Unknown codes become [`ErrorCode::Other`].
            pub fn from_code(code: &str) -> Self {
                match code.trim() {
                    $( $code => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }

            /// The code as it appears on the wire, e.g. `"60020"`.
            pub fn code(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $code, )*
                    ErrorCode::Other(code) => code,
                }
            }

            /// The HTTP status Authy answers this code with (WIRE.md §7.1 and §7.2).
            /// Unknown codes answer 400.
            pub fn http_status(&self) -> u16 {
                match self {
                    $( ErrorCode::$variant => $status, )*
                    ErrorCode::Other(_) => 400,
                }
            }

            /// Authy's message for this code. For codes whose message names a
            /// parameter, phone or uuid (60004, 60021, 60023, 60049) this is the
            /// fixed part; see [`ErrorCode::message_with`].
            pub fn message(&self) -> &'static str {
                match self {
                    $( ErrorCode::$variant => $message, )*
                    ErrorCode::Other(_) => "An error occurred",
                }
            }
        }
    };
}

error_codes! {
    /// 60000: generic failure.
    Generic = "60000", 400, "An error occurred";
    /// 60001: the API key is missing, empty or unknown.
    InvalidApiKey = "60001", 401, "Invalid API key";
    /// 60002: the request could not be understood (bad body, `xml` format).
    InvalidRequest = "60002", 400, "Invalid request";
    /// 60003: too many requests or failed attempts ("DoS protection").
    RateLimited = "60003", 429, "DoS protection";
    /// 60004: a parameter is missing or malformed.
    InvalidParameter = "60004", 400, "Invalid parameter";
    /// 60005: the request was not valid UTF-8.
    InvalidUtf8 = "60005", 400, "UTF-8 invalid";
    /// 60006: voice calls are disabled for the application.
    CallsDisabled = "60006", 503, "Phone calls are not enabled on this account";
    /// 60007: SMS is disabled for the application.
    SmsDisabled = "60007", 503, "SMS is not enabled";
    /// 60019: the token was valid but has already been used.
    TokenReused = "60019", 401, "Token is invalid. Token was used recently.";
    /// 60020: the token is wrong, expired or malformed.
    InvalidToken = "60020", 401, "Token is invalid";
    /// 60021: a phone verification could not be created.
    VerificationNotCreated = "60021", 403, "Phone verification couldn't be created";
    /// 60022: the phone-verification code is wrong.
    IncorrectVerificationCode = "60022", 401, "Verification code is incorrect";
    /// 60023: no pending phone verification for that number.
    VerificationNotFound = "60023", 404, "No pending verifications";
    /// 60025: phone information could not be looked up.
    PhoneInfoUnavailable = "60025", 500, "Server error while querying phone information. Please try again later";
    /// 60026: no such user in this application.
    UserNotFound = "60026", 404, "User not found.";
    /// 60027: the user's e-mail, cellphone or country code is invalid.
    InvalidUser = "60027", 400, "User was not valid";
    /// 60032: no such SMS.
    SmsNotFound = "60032", 400, "SMS was not found";
    /// 60033: the phone number is invalid.
    InvalidPhoneNumber = "60033", 400, "Phone number is invalid";
    /// 60035: no such SDK registration request.
    RegistrationNotFound = "60035", 404, "Registration request not found";
    /// 60042: a verification check named neither a uuid nor a phone.
    VerificationTargetMissing = "60042", 400, "Either uuid or country_code and phone number are required";
    /// 60049: no such OneTouch approval request in this application.
    ApprovalRequestNotFound = "60049", 404, "Approval request not found";
    /// 60054: the approval request was already answered or has expired (sandbox API).
    ApprovalRequestNotPending = "60054", 400, "Approval request is not pending";
    /// 60060: the account is suspended.
    AccountSuspended = "60060", 503, "Your account is suspended";
    /// 60064: OneTouch could not be enabled.
    OneTouchEnableFailed = "60064", 403, "Failed to enable OneTouch";
    /// 60065: OneTouch is disabled for the application.
    OneTouchDisabled = "60065", 403, "Needs to enable OneTouch first";
    /// 60066: the OneTouch callback could not be saved.
    CallbackSaveFailed = "60066", 403, "Error saving the callback information";
    /// 60078: the country code is invalid.
    InvalidCountryCode = "60078", 403, "Invalid country code";
    /// 60082: SMS cannot be sent to a landline.
    LandlineSms = "60082", 403, "Can not send SMS to landline phone numbers";
    /// 60083: the number has no carrier.
    PhoneNotProvisioned = "60083", 403, "Phone number not provisioned with any carrier";
    /// 60123: generic (authenticator-app) tokens are disabled for the application.
    GenericTokensDisabled = "60123", 403, "Generic tokens are not enabled for this app";
    /// 60154: the migration export endpoints are disabled.
    MigrationToolsDisabled = "60154", 403, "Migration tools disabled.";
}

impl ErrorCode {
    /// The message with its variable part, in Authy's exact format:
    /// `Invalid parameter: <detail>` (60004), `No pending verifications for <detail> found.`
    /// (60023), `Approval request not found: <detail>` (60049),
    /// `Phone verification couldn't be created: <detail>` (60021). Other codes ignore `detail`.
    ///
    /// ```
    /// use authy_types::ErrorCode;
    /// assert_eq!(
    ///     ErrorCode::InvalidParameter.message_with("country_code - Parameter is required"),
    ///     "Invalid parameter: country_code - Parameter is required"
    /// );
    /// ```
    pub fn message_with(&self, detail: &str) -> String {
        match self {
            ErrorCode::InvalidParameter => format!("Invalid parameter: {detail}"),
            ErrorCode::VerificationNotFound => {
                format!("No pending verifications for {detail} found.")
            }
            ErrorCode::ApprovalRequestNotFound => format!("Approval request not found: {detail}"),
            ErrorCode::VerificationNotCreated => {
                format!("Phone verification couldn't be created: {detail}")
            }
            other => other.message().to_owned(),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        crate::lenient::string(deserializer).map(|code| ErrorCode::from_code(&code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_and_is_in_the_authy_range() {
        for code in ErrorCode::KNOWN {
            assert_eq!(&ErrorCode::from_code(code.code()), code);
            let n: u32 = code.code().parse().unwrap();
            assert!((60000..=60154).contains(&n), "{n}");
            assert!((400..=503).contains(&code.http_status()));
        }
    }

    #[test]
    fn reads_strings_and_numbers_and_keeps_unknown_codes() {
        let c: ErrorCode = serde_json::from_str("\"60026\"").unwrap();
        assert_eq!(c, ErrorCode::UserNotFound);
        let c: ErrorCode = serde_json::from_str("60003").unwrap();
        assert_eq!(c, ErrorCode::RateLimited);
        let c: ErrorCode = serde_json::from_str("\"61234\"").unwrap();
        assert_eq!(c, ErrorCode::Other("61234".into()));
        assert_eq!(
            serde_json::to_string(&ErrorCode::InvalidToken).unwrap(),
            "\"60020\""
        );
    }
}
