//! Requests built by every call, and every recorded answer parsed: no network.

use std::collections::BTreeSet;

use authy::api::Confirmation;
use authy::api::app::{AppDetails, AppStats};
use authy::api::onetouch::{
    ApprovalRequestCreated, ApprovalRequestStatus, ApprovalStatus, LogoResolution,
};
use authy::api::phones::{PhoneInfo, VerificationStarted, Via};
use authy::api::tokens::{TokenRequest, Verification};
use authy::api::users::{ActivityType, CreatedUser, UserStatus};
use authy::{Endpoint, Error, ErrorCode, Response, parse};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{Fixture, fixture, spec_dir};

fn client() -> authy::Client {
    authy::Client::new("test-key").unwrap()
}

/// What a call sends: method, path, query pairs, JSON body.
fn request<E: Endpoint>(e: &E) -> (Method, String, Vec<(&'static str, String)>, Option<Value>) {
    (e.method(), e.path(), e.query(), e.body())
}

fn q(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

#[test]
fn users_calls_build_the_documented_requests() {
    let c = client();
    let users = c.users();
    assert_eq!(
        request(
            users
                .create("ada@example.com", "300-300-3333")
                .country_code(57)
                .send_install_link_via_sms(false)
                .endpoint()
        ),
        (
            Method::POST,
            "/protected/json/users/new".into(),
            vec![],
            Some(
                json!({"user":{"email":"ada@example.com","cellphone":"300-300-3333","country_code":57},"send_install_link_via_sms":false})
            )
        )
    );
    // The country code defaults to 1 and the install-link flag is left to the server.
    assert_eq!(
        users.create("a@b.co", "4053425699").endpoint().body(),
        Some(json!({"user":{"email":"a@b.co","cellphone":"4053425699","country_code":1}}))
    );
    assert_eq!(
        request(users.status(1635).user_ip("203.0.113.9").endpoint()),
        (
            Method::GET,
            "/protected/json/users/1635/status".into(),
            q(&[("user_ip", "203.0.113.9")]),
            None
        )
    );
    assert_eq!(
        request(users.status(7).endpoint()),
        (
            Method::GET,
            "/protected/json/users/7/status".into(),
            vec![],
            None
        )
    );
    assert_eq!(
        request(users.delete(1635).endpoint()),
        (
            Method::POST,
            "/protected/json/users/1635/remove".into(),
            vec![],
            Some(json!({}))
        )
    );
    assert_eq!(
        users.delete(1635).user_ip("1.2.3.4").endpoint().body(),
        Some(json!({"user_ip":"1.2.3.4"}))
    );
    assert_eq!(
        request(users.update_email(1635, "new@example.com").endpoint()),
        (
            Method::POST,
            "/protected/json/users/1635/update".into(),
            vec![],
            Some(json!({"email":"new@example.com"}))
        )
    );
    assert_eq!(
        request(
            users
                .register_activity(1635, ActivityType::PasswordReset)
                .data("reason", "foo")
                .user_ip("1.2.3.4")
                .endpoint()
        ),
        (
            Method::POST,
            "/protected/json/users/1635/register_activity".into(),
            vec![],
            Some(json!({"type":"password_reset","data":{"reason":"foo"},"user_ip":"1.2.3.4"}))
        )
    );
    assert_eq!(
        users
            .register_activity(9, ActivityType::CookieLogin)
            .endpoint()
            .body(),
        Some(json!({"type":"cookie_login"}))
    );
    assert_eq!(
        request(
            users
                .qr_code(1635)
                .label("Example: ada")
                .qr_size(300)
                .endpoint()
        ),
        (
            Method::POST,
            "/protected/json/users/1635/secret".into(),
            vec![],
            Some(json!({"label":"Example: ada","qr_size":300}))
        )
    );
    assert_eq!(users.qr_code(1635).endpoint().body(), Some(json!({})));
    assert_eq!(
        request(users.registration_status("user 42").endpoint()),
        (
            Method::GET,
            "/protected/json/registrations/status".into(),
            q(&[("custom_user_id", "user 42")]),
            None
        )
    );
}

#[test]
fn token_calls_build_the_documented_requests() {
    let c = client();
    let tokens = c.tokens();
    assert_eq!(
        request(tokens.sms(1635).endpoint()),
        (Method::GET, "/protected/json/sms/1635".into(), vec![], None)
    );
    assert_eq!(
        request(
            tokens
                .sms(1635)
                .force(true)
                .action("login")
                .action_message("Log in")
                .locale("pt-BR")
                .endpoint()
        ),
        (
            Method::GET,
            "/protected/json/sms/1635".into(),
            q(&[
                ("force", "true"),
                ("action", "login"),
                ("action_message", "Log in"),
                ("locale", "pt-BR")
            ]),
            None
        )
    );
    assert_eq!(
        request(tokens.call(1635).force(true).endpoint()),
        (
            Method::GET,
            "/protected/json/call/1635".into(),
            q(&[("force", "true")]),
            None
        )
    );
    assert_eq!(
        request(tokens.email(1635).endpoint()),
        (
            Method::POST,
            "/protected/json/email/1635".into(),
            vec![],
            Some(json!({}))
        )
    );
    // force=true unless the caller opts out; leading zeros are kept.
    assert_eq!(
        request(tokens.verify(1635, "0012345").endpoint()),
        (
            Method::GET,
            "/protected/json/verify/0012345/1635".into(),
            q(&[("force", "true")]),
            None
        )
    );
    assert_eq!(
        request(
            tokens
                .verify(1635, "123456")
                .force(false)
                .action("login")
                .endpoint()
        ),
        (
            Method::GET,
            "/protected/json/verify/123456/1635".into(),
            q(&[("action", "login")]),
            None
        )
    );
    // Logs and Debug never carry the token.
    let verify = tokens.verify(1635, "0012345");
    assert_eq!(
        verify.endpoint().log_path(),
        "/protected/json/verify/******/1635"
    );
    assert!(!format!("{:?}", verify.endpoint()).contains("0012345"));
}

#[test]
fn onetouch_phone_and_app_calls_build_the_documented_requests() {
    let c = client();
    assert_eq!(
        request(
            c.onetouch()
                .send(1635, "Log in?")
                .detail("Account Number", "981266321")
                .hidden_detail("ip", "10.10.3.203")
                .logo(LogoResolution::Low, "http://foo.bar/low.png")
                .logo(LogoResolution::Default, "http://foo.bar/d.png")
                .seconds_to_expire(150)
                .endpoint()
        ),
        (
            Method::POST,
            "/onetouch/json/users/1635/approval_requests".into(),
            vec![],
            Some(json!({
                "message":"Log in?",
                "details":{"Account Number":"981266321"},
                "hidden_details":{"ip":"10.10.3.203"},
                "logos":[{"res":"low","url":"http://foo.bar/low.png"},{"res":"default","url":"http://foo.bar/d.png"}],
                "seconds_to_expire":150
            }))
        )
    );
    assert_eq!(
        c.onetouch().send(1, "m").endpoint().body(),
        Some(json!({"message":"m"}))
    );
    assert_eq!(
        request(
            c.onetouch()
                .status("dda2c400-bc43-0135-d7be-1285ca17e122")
                .endpoint()
        ),
        (
            Method::GET,
            "/onetouch/json/approval_requests/dda2c400-bc43-0135-d7be-1285ca17e122".into(),
            vec![],
            None
        )
    );
    assert_eq!(
        request(
            c.phones()
                .start(Via::Call, 1, "775-461-5609")
                .code_length(6)
                .locale("es")
                .custom_code("123456")
                .custom_message("hi")
                .endpoint()
        ),
        (
            Method::POST,
            "/protected/json/phones/verification/start".into(),
            vec![],
            Some(
                json!({"via":"call","country_code":1,"phone_number":"775-461-5609","code_length":6,"locale":"es","custom_code":"123456","custom_message":"hi"})
            )
        )
    );
    assert_eq!(
        request(c.phones().check(1, "201-555-0123", "0123").endpoint()),
        (
            Method::GET,
            "/protected/json/phones/verification/check".into(),
            q(&[
                ("phone_number", "201-555-0123"),
                ("country_code", "1"),
                ("verification_code", "0123")
            ]),
            None
        )
    );
    assert_eq!(
        request(c.phones().status(44, "7700 900123").endpoint()),
        (
            Method::GET,
            "/protected/json/phones/verification/status".into(),
            q(&[("phone_number", "7700 900123"), ("country_code", "44")]),
            None
        )
    );
    assert_eq!(
        request(
            c.phones()
                .info(1, "2015550123")
                .user_ip("1.2.3.4")
                .endpoint()
        ),
        (
            Method::GET,
            "/protected/json/phones/info".into(),
            q(&[
                ("phone_number", "2015550123"),
                ("country_code", "1"),
                ("user_ip", "1.2.3.4")
            ]),
            None
        )
    );
    assert_eq!(
        request(c.app().details().endpoint()),
        (
            Method::GET,
            "/protected/json/app/details".into(),
            vec![],
            None
        )
    );
    assert_eq!(
        request(c.app().stats().user_ip("1.2.3.4").endpoint()),
        (
            Method::GET,
            "/protected/json/app/stats".into(),
            q(&[("user_ip", "1.2.3.4")]),
            None
        )
    );
}

#[test]
fn every_get_call_has_no_body_and_every_post_a_json_object() {
    let c = client();
    let gets = [
        c.users().status(1).endpoint().body(),
        c.users().registration_status("x").endpoint().body(),
        c.tokens().sms(1).endpoint().body(),
        c.tokens().call(1).endpoint().body(),
        c.tokens().verify(1, "123456").endpoint().body(),
        c.onetouch().status("u").endpoint().body(),
        c.phones().check(1, "2015550123", "1234").endpoint().body(),
        c.phones().status(1, "2015550123").endpoint().body(),
        c.phones().info(1, "2015550123").endpoint().body(),
        c.app().details().endpoint().body(),
        c.app().stats().endpoint().body(),
    ];
    assert!(gets.iter().all(Option::is_none));
    let posts = [
        c.users().create("a@b.co", "2015550123").endpoint().body(),
        c.users().delete(1).endpoint().body(),
        c.users().update_email(1, "a@b.co").endpoint().body(),
        c.users()
            .register_activity(1, ActivityType::Banned)
            .endpoint()
            .body(),
        c.users().qr_code(1).endpoint().body(),
        c.tokens().email(1).endpoint().body(),
        c.onetouch().send(1, "m").endpoint().body(),
        c.phones()
            .start(Via::Sms, 1, "2015550123")
            .endpoint()
            .body(),
    ];
    assert!(posts.iter().all(|b| matches!(b, Some(Value::Object(_)))));
}

/// `(argument, call)`: each call must be refused naming that argument.
#[test]
fn bad_input_is_refused_naming_the_argument() {
    let c = client();
    let long = "x".repeat(201);
    let cases: Vec<(&str, Result<(), authy::ValidationError>)> = vec![
        ("authy_id", c.users().status(0).endpoint().validate()),
        ("authy_id", c.tokens().sms(0).endpoint().validate()),
        (
            "email",
            c.users()
                .create("not-an-email", "2015550123")
                .endpoint()
                .validate(),
        ),
        (
            "cellphone",
            c.users().create("a@b.co", "call me").endpoint().validate(),
        ),
        (
            "country_code",
            c.users()
                .create("a@b.co", "2015550123")
                .country_code(0)
                .endpoint()
                .validate(),
        ),
        (
            "country_code",
            c.users()
                .create("a@b.co", "2015550123")
                .country_code(1000)
                .endpoint()
                .validate(),
        ),
        ("token", c.tokens().verify(1, "12345").endpoint().validate()),
        (
            "token",
            c.tokens().verify(1, "1234567890123").endpoint().validate(),
        ),
        (
            "token",
            c.tokens().verify(1, "12345a").endpoint().validate(),
        ),
        (
            "token",
            c.tokens().verify(1, "../../x").endpoint().validate(),
        ),
        ("action", c.tokens().sms(1).action("").endpoint().validate()),
        (
            "action_message",
            c.tokens()
                .sms(1)
                .action_message("x".repeat(256))
                .endpoint()
                .validate(),
        ),
        (
            "locale",
            c.tokens().call(1).locale("en us").endpoint().validate(),
        ),
        ("message", c.onetouch().send(1, "").endpoint().validate()),
        (
            "message",
            c.onetouch().send(1, long.as_str()).endpoint().validate(),
        ),
        (
            "logos[url]",
            c.onetouch()
                .send(1, "m")
                .logo(LogoResolution::High, "")
                .endpoint()
                .validate(),
        ),
        (
            "uuid",
            c.onetouch().status("../secret").endpoint().validate(),
        ),
        ("uuid", c.onetouch().status("").endpoint().validate()),
        (
            "code_length",
            c.phones()
                .start(Via::Sms, 1, "2015550123")
                .code_length(3)
                .endpoint()
                .validate(),
        ),
        (
            "code_length",
            c.phones()
                .start(Via::Sms, 1, "2015550123")
                .code_length(11)
                .endpoint()
                .validate(),
        ),
        (
            "custom_code",
            c.phones()
                .start(Via::Sms, 1, "2015550123")
                .custom_code("12ab")
                .endpoint()
                .validate(),
        ),
        ("phone_number", c.phones().info(1, "").endpoint().validate()),
        (
            "verification_code",
            c.phones()
                .check(1, "2015550123", "123")
                .endpoint()
                .validate(),
        ),
        (
            "qr_size",
            c.users().qr_code(1).qr_size(50).endpoint().validate(),
        ),
        (
            "custom_user_id",
            c.users().registration_status("").endpoint().validate(),
        ),
    ];
    for (argument, result) in cases {
        let err = result.expect_err(argument);
        assert_eq!(err.argument, argument, "{err}");
        assert!(!err.reason.is_empty());
    }
    // Exactly 200 characters is fine (counted in characters, not bytes).
    assert!(
        c.onetouch()
            .send(1, "é".repeat(200))
            .endpoint()
            .validate()
            .is_ok()
    );
    assert_eq!("sms".parse::<Via>().unwrap(), Via::Sms);
    assert_eq!("fax".parse::<Via>().unwrap_err().argument, "via");
    assert_eq!(
        "huge".parse::<LogoResolution>().unwrap_err().argument,
        "logos[res]"
    );
    assert_eq!(
        "login".parse::<ActivityType>().unwrap_err().argument,
        "type"
    );
}

fn ok<T: Response>(f: &Fixture) -> T {
    assert!(f.status.is_success());
    let parsed: T = parse(f.endpoint.clone().leak(), f.status, &f.bytes())
        .unwrap_or_else(|e| panic!("{}: {e}", f.endpoint));
    assert_eq!(parsed.raw(), &f.body, "raw() keeps the whole body");
    parsed
}

fn err(f: &Fixture) -> Error {
    let e = parse::<Confirmation>("fixture", f.status, &f.bytes()).unwrap_err();
    assert_eq!(e.status(), Some(f.status));
    assert_eq!(e.api_error().unwrap().body, f.body);
    e
}

/// Each fixture with the check that reads every field of it.
fn check_fixture(name: &str) {
    let f = fixture(name);
    match name {
        "users_new_ok" => {
            let u: CreatedUser = ok(&f);
            assert_eq!(
                (u.id(), u.message.as_str(), u.success),
                (1000, "User created successfully.", true)
            );
        }
        "users_status_ok" => {
            let s: UserStatus = ok(&f);
            let st = &s.status;
            assert_eq!(
                (
                    s.message.as_str(),
                    st.authy_id.get(),
                    st.confirmed,
                    st.registered
                ),
                ("User status.", 290907, true, false)
            );
            assert_eq!(
                (
                    st.country_code,
                    st.phone_number.as_str(),
                    st.email.as_deref()
                ),
                (1, "XXX-XXX-1118", Some("alfvawmu@authy.com"))
            );
            assert_eq!(
                (
                    st.devices.len(),
                    st.has_hard_token,
                    st.account_disabled,
                    st.deleted_devices.len()
                ),
                (0, Some(false), Some(false), 0)
            );
            let d = &st.detailed_devices[0];
            assert_eq!(
                (
                    d.device_type.as_deref(),
                    d.os_type.as_deref(),
                    d.device_id.as_deref()
                ),
                (Some("authy"), Some("unknown"), Some("290908"))
            );
            assert_eq!(
                (
                    d.last_sync_date,
                    d.creation_date,
                    d.registration_method.as_deref()
                ),
                (Some(0), Some(1433868212), None)
            );
            assert_eq!(d.extra["registration_device_id"], Value::Null);
        }
        "users_remove_ok"
        | "users_delete_legacy_ok"
        | "users_update_ok"
        | "register_activity_ok"
        | "verification_check_ok" => {
            let c: Confirmation = ok(&f);
            let expected = match name {
                "users_remove_ok" => "User was added to remove.",
                "users_delete_legacy_ok" => "User removed from application",
                "users_update_ok" => "User was updated successfully",
                "register_activity_ok" => "Activity was created.",
                _ => "Verification code is correct.",
            };
            assert_eq!((c.message.as_str(), c.success), (expected, true));
        }
        "sms_sent" | "call_started" | "sms_ignored" | "call_ignored" | "email_sent" => {
            let t: TokenRequest = ok(&f);
            assert!(t.success);
            match name {
                "sms_sent" => assert_eq!(
                    (t.message.as_str(), t.cellphone.as_deref(), t.ignored()),
                    ("SMS token was sent", Some("+57-XXX-XXX-XX12"), false)
                ),
                "call_started" => assert_eq!(
                    (t.message.as_str(), t.cellphone.as_deref(), t.ignored()),
                    ("Call started...", Some("+351-XXX-XXX-XX67"), false)
                ),
                "email_sent" => assert_eq!(
                    (
                        t.message.as_str(),
                        t.email.as_deref(),
                        t.email_id.as_deref()
                    ),
                    (
                        "Email token was sent",
                        Some("recipient@foo.com"),
                        Some("EMa364aa751cc280d8c22772307e2c5760")
                    )
                ),
                _ => {
                    assert!(t.ignored());
                    assert_eq!(
                        (t.device.as_deref(), t.cellphone.as_deref()),
                        (Some("android"), Some("+57-XXX-XXX-XX12"))
                    );
                    assert!(t.message.starts_with(if name == "sms_ignored" {
                        "Ignored: SMS"
                    } else {
                        "Call ignored. User is using  App"
                    }));
                }
            }
        }
        "verify_ok" => {
            let v: Verification = ok(&f);
            assert_eq!(
                (v.message.as_str(), v.token.as_str(), v.success),
                ("Token is valid.", "is valid", true)
            );
            let d = v.device.unwrap();
            assert_eq!(
                (d.id, d.os_type.as_deref(), d.registration_date),
                (None, Some("sms"), Some(1500648405))
            );
            assert_eq!(
                (d.last_account_recovery_at, d.last_sync_date),
                (Some(1494631010), None)
            );
            assert_eq!(
                (&d.registration_method, &d.registration_country, &d.ip),
                (&None, &None, &None)
            );
            assert!(d.extra.is_empty(), "every field is modelled: {:?}", d.extra);
            // The same fields with values, as a registered app device has them.
            let body = br#"{"token":"is valid","success":"true","device":{"os_type":"android","registration_method":"sms","registration_country":"Colombia","registration_region":"Bogota","registration_city":"Bogota","country":"CO","region":"DC","city":"Bogota","ip":"190.130.66.242","new_field":7}}"#;
            let v: Verification = parse("tokens.verify", reqwest::StatusCode::OK, body).unwrap();
            let d = v.device.unwrap();
            assert_eq!(
                [
                    &d.registration_method,
                    &d.registration_country,
                    &d.registration_region,
                    &d.registration_city
                ],
                [
                    &Some("sms".into()),
                    &Some("Colombia".into()),
                    &Some("Bogota".into()),
                    &Some("Bogota".into())
                ]
            );
            assert_eq!(
                [&d.country, &d.region, &d.city, &d.ip],
                [
                    &Some("CO".into()),
                    &Some("DC".into()),
                    &Some("Bogota".into()),
                    &Some("190.130.66.242".into())
                ]
            );
            assert_eq!(d.extra["new_field"], json!(7));
        }
        "app_details_ok" => {
            let a: AppDetails = ok(&f);
            let app = &a.app;
            assert_eq!(
                (
                    a.message.as_str(),
                    app.app_id,
                    app.name.as_str(),
                    app.plan.as_deref()
                ),
                (
                    "Application information.",
                    3,
                    "Sandbox App 2",
                    Some("starter")
                )
            );
            assert_eq!(
                (
                    app.sms_enabled,
                    app.white_label,
                    app.phone_calls_enabled,
                    app.onetouch_enabled
                ),
                (false, Some(false), None, None)
            );
        }
        "app_stats_ok" => {
            let s: AppStats = ok(&f);
            assert_eq!(
                (
                    s.message.as_str(),
                    s.count,
                    s.total_users,
                    s.app_id,
                    s.stats.len()
                ),
                ("Monthly statistics.", Some(12), Some(115), Some(3), 12)
            );
            let first = &s.stats[0];
            assert_eq!(
                (
                    first.month.as_str(),
                    first.year,
                    first.api_calls_count,
                    first.users_count
                ),
                ("August", 2013, 13, 1)
            );
            assert_eq!(
                (first.sms_count, first.calls_count, first.auths_count),
                (0, 0, 0)
            );
            assert_eq!(
                (s.stats[11].month.as_str(), s.stats[11].year),
                ("July", 2014)
            );
            assert_eq!(
                s.stats.iter().map(|m| m.api_calls_count).sum::<u64>(),
                13 + 30 + 20 + 50 + 50 + 8 + 4 + 208 + 162 + 891 + 2076 + 130
            );
        }
        "phones_info_ok" => {
            let p: PhoneInfo = ok(&f);
            assert_eq!(
                (p.phone_type.as_str(), p.provider.as_deref(), p.ported),
                ("voip", Some("Pinger"), Some(false))
            );
            assert_eq!(
                p.message,
                "Phone number information as of 2017-11-25 23:21:39 UTC"
            );
        }
        "verification_start_sms_ok" | "verification_start_call_es_ok" => {
            let v: VerificationStarted = ok(&f);
            assert_eq!((v.seconds_to_expire, v.is_ported), (Some(599), None));
            if name == "verification_start_sms_ok" {
                assert_eq!(
                    (v.carrier.as_deref(), v.is_cellphone, v.message.as_str()),
                    (
                        Some("Viettel Mobile"),
                        Some(true),
                        "Text message sent to +84 86-674-2932."
                    )
                );
                assert_eq!(
                    v.uuid.as_deref(),
                    Some("b07107c0-47be-0137-910b-0a4259707972")
                );
            } else {
                assert_eq!(
                    (v.carrier.as_deref(), v.is_cellphone),
                    (Some("Pinger - Bandwidth.com - Sybase365"), Some(false))
                );
                assert_eq!(
                    (v.message.as_str(), v.uuid.as_deref()),
                    (
                        "Llamada a +1 775-461-5609 fue iniciada.",
                        Some("bec828c0-b535-0135-8e26-1226b57fac04")
                    )
                );
            }
        }
        "onetouch_create_ok" => {
            let c: ApprovalRequestCreated = ok(&f);
            assert_eq!(
                (c.uuid(), c.success),
                ("dda2c400-bc43-0135-d7be-1285ca17e122", true)
            );
        }
        "onetouch_status_ok" => {
            let s: ApprovalRequestStatus = ok(&f);
            let r = &s.approval_request;
            assert_eq!(
                (&r.status, r.uuid.as_str(), r.seconds_to_expire, r.notified),
                (
                    &ApprovalStatus::Expired,
                    "8d031630-d15b-0134-b0a8-0a77bbe8093e",
                    Some(86400),
                    Some(false)
                )
            );
            assert_eq!(
                (
                    r.created_at.as_deref(),
                    r.updated_at.as_deref(),
                    r.processed_at.as_deref()
                ),
                (
                    Some("2017-02-10T01:09:52Z"),
                    Some("2017-02-13T11:11:58Z"),
                    Some("2017-02-13T11:11:58Z")
                )
            );
            assert_eq!(
                (
                    r.authy_id,
                    r.app_name.as_deref(),
                    r.app_serial_id,
                    r.user_email.as_deref()
                ),
                (
                    Some(28894864),
                    Some("testhans"),
                    Some(46113),
                    Some("hans+1@allcode.com")
                )
            );
            assert_eq!(
                (r.id.as_deref(), r.app_id.as_deref(), r.user_id.as_deref()),
                (
                    Some("589d12e07d558e6b91e9370a"),
                    Some("58547f6f4014250a11c201f6"),
                    Some("5840a9328aa2fb674c485436")
                )
            );
            assert!(r.extra.is_empty(), "every field is modelled: {:?}", r.extra);
        }
        // Errors: each gives its code, its predicate and its message.
        "invalid_api_key_60001" => assert!(err(&f).is_invalid_api_key()),
        "user_not_found_60026" => {
            let e = err(&f);
            assert!(e.is_not_found());
            assert_eq!(e.error_code(), Some(&ErrorCode::UserNotFound));
        }
        "users_new_invalid_60027" => {
            let e = err(&f);
            let api = e.api_error().unwrap();
            assert_eq!(
                (api.error_code.clone(), api.message.as_str()),
                (Some(ErrorCode::InvalidUser), "User was not valid")
            );
            assert_eq!(
                api.field_errors().collect::<Vec<_>>(),
                [("cellphone", "is invalid")]
            );
            assert_eq!(
                e.to_string(),
                "Authy answered error 60027 (HTTP 400): User was not valid (cellphone is invalid)"
            );
        }
        "verify_invalid_60020" => {
            let e = err(&f);
            assert!(e.is_invalid_token() && !e.is_token_reused() && !e.is_invalid_api_key());
        }
        // The real 60019 body has no error_code: the code is inferred from its message.
        "verify_reused_60019" => {
            let e = err(&f);
            assert!(e.is_invalid_token() && e.is_token_reused());
        }
        "phones_info_error_60025" => {
            assert_eq!(err(&f).error_code(), Some(&ErrorCode::PhoneInfoUnavailable))
        }
        "verification_check_incorrect_60022" => assert!(err(&f).is_incorrect_verification_code()),
        "verification_check_not_found_60023" => {
            let e = err(&f);
            assert!(e.is_not_found());
            assert_eq!(
                e.api_error().unwrap().message,
                "No pending verifications for 201-555-0123 found."
            );
        }
        "verification_start_invalid_phone_60033" => {
            assert_eq!(err(&f).error_code(), Some(&ErrorCode::InvalidPhoneNumber))
        }
        "verification_start_missing_param_60004" => {
            let e = err(&f);
            assert_eq!(e.error_code(), Some(&ErrorCode::InvalidParameter));
            assert_eq!(
                e.api_error().unwrap().message,
                "Invalid parameter: country_code - Parameter is required"
            );
        }
        "onetouch_status_not_found_60049" => {
            let e = err(&f);
            assert!(e.is_not_found());
            assert!(e.api_error().unwrap().errors.is_empty());
        }
        other => panic!("fixture {other} has no check: add one"),
    }
}

#[test]
fn every_fixture_parses_with_every_field() {
    let names: BTreeSet<String> = std::fs::read_dir(spec_dir().join("fixtures"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .into_string()
                .unwrap()
                .trim_end_matches(".json")
                .to_owned()
        })
        .collect();
    assert_eq!(names.len(), 31);
    for name in &names {
        check_fixture(name);
    }
}

#[test]
fn verify_success_must_say_the_token_is_valid() {
    // A 200 that does not carry "token":"is valid" is not a verification (WIRE.md §10.1).
    let body = br#"{"message":"Token is valid.","token":"is not valid","success":true}"#;
    assert!(parse::<Verification>("tokens.verify", reqwest::StatusCode::OK, body).is_err());
    // `success` false with a 200 is an error too, and "true" as a string is success.
    let body = br#"{"message":"nope","success":false}"#;
    assert!(matches!(
        parse::<Confirmation>("x", reqwest::StatusCode::OK, body),
        Err(Error::Api(_))
    ));
    let body = br#"{"message":"ok","success":"true"}"#;
    assert!(parse::<Confirmation>("x", reqwest::StatusCode::OK, body).is_ok());
}

#[test]
fn the_envelope_is_read_before_the_typed_answer() {
    let ok = reqwest::StatusCode::OK;
    // Only a JSON object is an answer, whatever the status.
    for body in [
        &b"[1,2]"[..],
        b"\"true\"",
        b"",
        b"{\"success\":true",
        b"{} x",
    ] {
        match parse::<Confirmation>("x", ok, body) {
            Err(Error::Decode { .. }) => {}
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    // `success` counts when true or "true" in any case; anything else is an error.
    let escaped = br#"{"message":"ok","succ\u0065ss":"TRUE"}"#;
    assert!(parse::<Confirmation>("x", ok, escaped).is_ok());
    for success in ["1", "null", "\"yes\"", "{\"a\":true}", "[true]"] {
        let body = format!(r#"{{"message":"m","success":{success}}}"#);
        assert!(
            matches!(
                parse::<Confirmation>("x", ok, body.as_bytes()),
                Err(Error::Api(_))
            ),
            "success {success}"
        );
    }
    // A modelled field given twice in a success body is refused, not guessed at.
    let body = br#"{"message":"a","success":true,"message":"b"}"#;
    assert!(matches!(
        parse::<Confirmation>("x", ok, body),
        Err(Error::Decode { .. })
    ));
    // The last `success` wins, as in a JSON tree.
    let body = br#"{"success":true,"message":"m","success":false}"#;
    assert!(matches!(
        parse::<Confirmation>("x", ok, body),
        Err(Error::Api(_))
    ));
    // raw() is the whole body, unknown and nested fields included, read on demand.
    let body = br#"{"message":"ok","success":true,"n\u00e9w":{"deep":[1,"x",null]}}"#;
    let parsed = parse::<Confirmation>("x", ok, body).unwrap();
    assert_eq!(
        parsed.raw(),
        &serde_json::from_slice::<Value>(body).unwrap()
    );
    assert_eq!(parsed.clone().raw()["n\u{e9}w"]["deep"][1], json!("x"));
}

#[test]
fn lenient_fields_accept_numbers_as_strings_and_keep_unknown_fields() {
    let body = br#"{"approval_request":{"_authy_id":"1635","status":"pending","uuid":"u","seconds_to_expire":"600","notified":"false","brand_new":1},"success":"true","also_new":[1]}"#;
    let s: ApprovalRequestStatus = parse("onetouch.status", reqwest::StatusCode::OK, body).unwrap();
    assert_eq!(s.approval_request.authy_id, Some(1635));
    assert_eq!(s.approval_request.seconds_to_expire, Some(600));
    assert_eq!(s.approval_request.notified, Some(false));
    assert_eq!(s.approval_request.extra["brand_new"], json!(1));
    assert_eq!(s.extra["also_new"], json!([1]));
    // A field of the wrong type names its path.
    let body =
        br#"{"approval_request":{"status":"pending","uuid":"u","_authy_id":"abc"},"success":true}"#;
    match parse::<ApprovalRequestStatus>("onetouch.status", reqwest::StatusCode::OK, body) {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "approval_request._authy_id"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn spec_copy_matches_shared_spec() {
    let shared = spec_dir().join("../../shared/spec");
    if !shared.exists() {
        eprintln!("no ../shared/spec beside the repository: nothing to compare");
        return;
    }
    let read = |p: std::path::PathBuf| {
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    assert_eq!(
        read(spec_dir().join("signature-vectors.json")),
        read(shared.join("signature-vectors.json"))
    );
    for entry in std::fs::read_dir(shared.join("fixtures")).unwrap() {
        let name = entry.unwrap().file_name();
        assert_eq!(
            read(spec_dir().join("fixtures").join(&name)),
            read(shared.join("fixtures").join(&name)),
            "{name:?}"
        );
    }
}
