//! Registration and profile bodies: arbitrary bytes as JSON `RegisterInput` (self-registration and
//! admin-created accounts) and `ProfileInput` (applied to an expert and to an organisation), and
//! arbitrary text as a username and a password. Never a panic; every refusal is a 4xx naming its
//! field with a Chinese message; an accepted account meets every documented rule.
#![no_main]

use kejiyun_domain::user::{ProfileInput, RegisterInput, validate_password, validate_username};
use kejiyun_domain::{Role, User, credit_code, regions};
use kejiyun_fuzz::{assert_field_error, assert_optional_text, assert_required_text, assert_tag_list};
use libfuzzer_sys::fuzz_target;

fn check_username(name: &str) {
    assert!((3..=32).contains(&name.chars().count()), "username {name:?}");
    assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')), "username {name:?}");
}

fn check_password(username: &str, password: &str) {
    assert!((10..=128).contains(&password.chars().count()), "password length");
    assert!(password.chars().any(char::is_alphabetic) && password.chars().any(|c| c.is_ascii_digit()));
    assert!(!password.to_lowercase().contains(&username.to_lowercase()), "password contains the username");
    assert!(!kejiyun_domain::user::is_common_password(password), "a common password was accepted");
}

fn check_phone(phone: Option<&str>) {
    assert_optional_text(phone, 20, "phone");
    if let Some(p) = phone {
        assert!(p.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | ' ')), "phone {p:?}");
    }
}

fn check_email(email: Option<&str>) {
    assert_optional_text(email, 100, "email");
    if let Some(e) = email {
        let (local, domain) = e.split_once('@').unwrap_or_else(|| panic!("email without @: {e:?}"));
        assert!(!local.is_empty() && domain.contains('.') && !domain.contains('@'), "email {e:?}");
        assert!(!e.contains(char::is_whitespace), "email {e:?}");
    }
}

fn register(input: &RegisterInput, allow_staff: bool) {
    match input.clone().validate(allow_staff) {
        Ok(u) => {
            assert!(allow_staff || u.role.self_registrable(), "{:?} registered itself", u.role);
            check_username(&u.username);
            check_password(&u.username, &u.password);
            assert_required_text(&u.display_name, 2, 50, "display name");
            assert!(regions().get(&u.region_code).is_some(), "region {:?}", u.region_code);
            assert_eq!(u.scope_region_code.is_some(), matches!(u.role, Role::Admin | Role::Steward), "scope");
            check_phone(u.phone.as_deref());
            check_email(u.email.as_deref());
            assert_optional_text(u.industry.as_deref(), 30, "industry");
            assert_optional_text(u.title.as_deref(), 30, "title");
            assert_optional_text(u.employer.as_deref(), 100, "employer");
            assert_tag_list(&u.disciplines, 10, 30, "disciplines");
            assert_tag_list(&u.fields, 10, 30, "fields");
            if u.role == Role::Org {
                let code = u.credit_code.as_deref().unwrap_or_else(|| panic!("organisation without a credit code"));
                assert_eq!(credit_code::validate(code).as_deref(), Ok(code), "credit code");
                assert_required_text(u.org_name.as_deref().unwrap_or(""), 2, 100, "org name");
                assert!(u.org_type.is_some(), "organisation without a type");
            } else {
                assert!(u.credit_code.is_none() && u.org_name.is_none() && u.org_type.is_none(), "{:?}", u.role);
            }
        }
        Err(e) => assert_field_error(&e, "register"),
    }
}

fn user(role: Role) -> User {
    User {
        id: 7,
        username: "zigong_salt".into(),
        role,
        display_name: "自贡盐化有限公司".into(),
        region_code: "510321".into(),
        scope_region_code: None,
        phone: None,
        email: None,
        title: None,
        employer: None,
        disciplines: vec![],
        fields: vec![],
        org_name: (role == Role::Org).then(|| "自贡盐化有限公司".into()),
        credit_code: (role == Role::Org).then(|| "91110000802100433B".into()),
        org_type: None,
        industry: None,
        created_at: Default::default(),
    }
}

fn profile(input: &ProfileInput, role: Role) {
    let mut u = user(role);
    match input.clone().apply(&mut u) {
        Ok(()) => {
            assert_required_text(&u.display_name, 2, 50, "display name");
            assert!(regions().get(&u.region_code).is_some(), "region {:?}", u.region_code);
            check_phone(u.phone.as_deref());
            check_email(u.email.as_deref());
            assert_optional_text(u.industry.as_deref(), 30, "industry");
            assert_optional_text(u.title.as_deref(), 30, "title");
            assert_optional_text(u.employer.as_deref(), 100, "employer");
            assert_tag_list(&u.disciplines, 10, 30, "disciplines");
            assert_tag_list(&u.fields, 10, 30, "fields");
            if role == Role::Org {
                assert_required_text(u.org_name.as_deref().unwrap_or(""), 2, 100, "org name");
            } else {
                assert!(u.org_name.is_none() && u.org_type.is_none(), "{role:?} got organisation fields");
            }
            assert_eq!((u.id, u.role, u.username.as_str()), (7, role, "zigong_salt"), "identity changed");
        }
        Err(e) => assert_field_error(&e, "profile"),
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        match validate_username(text) {
            Ok(name) => check_username(&name),
            Err(e) => assert_field_error(&e, "username"),
        }
        // The password checked against a fixed name and against the input's own first word.
        let name = text.split_whitespace().next().unwrap_or("zigong_salt");
        for username in ["zigong_salt", name] {
            match validate_password(username, text) {
                Ok(()) => check_password(username.trim(), text),
                Err(e) => assert_field_error(&e, "password"),
            }
        }
    }
    if let Ok(input) = serde_json::from_slice::<RegisterInput>(data) {
        register(&input, false);
        register(&input, true);
    }
    if let Ok(input) = serde_json::from_slice::<ProfileInput>(data) {
        profile(&input, Role::Expert);
        profile(&input, Role::Org);
    }
});
