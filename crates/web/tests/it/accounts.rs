//! Sign-up, log-in, log-out, password change and its rules, CSRF (signed
//! before log-in), sessions, API tokens, signing out everywhere, and the
//! login and sign-up limits.

use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};
use serde_json::Value;

use crate::{PASSWORD, TestApp, error_code, extract, spawn_app, spawn_app_with_still_clock};

async fn me(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    client.get(app.url("/api/v1/me")).send().await.unwrap()
}

async fn log_in(app: &TestApp, username: &str, password: &str) -> (reqwest::Client, StatusCode) {
    let client = app.client();
    let csrf = app.form_csrf(&client, "/login").await;
    let status = client
        .post(app.url("/login"))
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap()
        .status();
    (client, status)
}

/// A log-in through the form, from `from` (an `X-Forwarded-For` address) when given.
async fn log_in_from(
    app: &TestApp,
    username: &str,
    password: &str,
    from: Option<&str>,
) -> reqwest::Response {
    let client = app.client();
    let csrf = app.form_csrf(&client, "/login").await;
    let mut request = client.post(app.url("/login")).form(&[
        ("username", username),
        ("password", password),
        ("csrf", &csrf),
    ]);
    if let Some(from) = from {
        request = request.header("x-forwarded-for", from);
    }
    request.send().await.unwrap()
}

/// A sign-up through the form from the `X-Forwarded-For` address `from`.
async fn sign_up_from(
    app: &TestApp,
    username: &str,
    password: &str,
    from: &str,
) -> reqwest::Response {
    let client = app.client();
    let csrf = app.form_csrf(&client, "/signup").await;
    client
        .post(app.url("/signup"))
        .header("x-forwarded-for", from)
        .form(&[
            ("username", username),
            ("password", password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap()
}

/// A new API token of `user`, created through the JSON API with the session.
async fn new_token(app: &TestApp, user: &crate::User, name: &str) -> String {
    let created: Value = user
        .client
        .post(app.url("/api/v1/tokens"))
        .header("X-CSRF-Token", &user.csrf)
        .json(&serde_json::json!({ "name": name }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["secret"].as_str().unwrap().to_owned()
}

async fn me_with_token(app: &TestApp, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn sign_up_starts_a_session_and_the_first_account_is_the_admin() {
    let app = spawn_app().await;
    let first = app.sign_up("alice", PASSWORD).await;
    let second = app.sign_up("bob", PASSWORD).await;
    let a: Value = me(&app, &first.client).await.json().await.unwrap();
    let b: Value = me(&app, &second.client).await.json().await.unwrap();
    assert_eq!(a["username"], "alice");
    assert_eq!(a["is_admin"], true);
    assert_eq!(b["is_admin"], false);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = spawn_app().await;
    let client = app.client();
    let csrf = app.form_csrf(&client, "/signup").await;
    let response = client
        .post(app.url("/signup"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("filmroom_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.contains("Secure"),
        "Secure is off by default for plain HTTP"
    );
}

#[tokio::test]
async fn a_taken_username_or_a_short_password_is_refused() {
    let app = spawn_app().await;
    app.sign_up("alice", PASSWORD).await;
    let client = app.client();
    let csrf = app.form_csrf(&client, "/signup").await;
    let taken = client
        .post(app.url("/signup"))
        .form(&[
            ("username", "ALICE"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let short = client
        .post(app.url("/signup"))
        .form(&[
            ("username", "carol"),
            ("password", "short"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), StatusCode::BAD_REQUEST);
    assert_eq!(me(&app, &client).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn log_in_and_log_out() {
    let app = spawn_app().await;
    app.sign_up("alice", PASSWORD).await;
    let (client, status) = log_in(&app, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(me(&app, &client).await.status(), StatusCode::OK);

    let csrf = app.form_csrf(&client, "/account").await;
    let out = client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&app, &client).await.status(), StatusCode::UNAUTHORIZED);
    let page = client.get(app.url("/games")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login");
}

#[tokio::test]
async fn after_five_failures_a_pair_backs_off_one_then_two_seconds_and_a_success_resets_it() {
    let app = spawn_app_with_still_clock(|_| {}).await;
    app.sign_up("alice", PASSWORD).await;
    for _ in 0..5 {
        let (_, status) = log_in(&app, "alice", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits: a throttled guess learns nothing.
    let limited = log_in_from(&app, "alice", PASSWORD, None).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.headers()[RETRY_AFTER], "1");
    assert!(
        limited
            .text()
            .await
            .unwrap()
            .contains("try again in a second")
    );
    app.advance_clock(1);
    let (_, status) = log_in(&app, "alice", "wrong password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let limited = log_in_from(&app, "alice", PASSWORD, None).await;
    assert_eq!(limited.headers()[RETRY_AFTER], "2");
    app.advance_clock(1);
    let limited = log_in_from(&app, "alice", PASSWORD, None).await;
    assert_eq!(limited.headers()[RETRY_AFTER], "1");
    app.advance_clock(1);
    let (_, status) = log_in(&app, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The success wiped the streak: the next mistake is not throttled.
    let (_, status) = log_in(&app, "alice", "wrong password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, status) = log_in(&app, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn posts_with_a_missing_or_forged_csrf_token_get_403_and_change_nothing() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let forged = "0".repeat(64);
    for csrf in [None, Some(forged.as_str())] {
        let mut form = vec![
            ("current_password", PASSWORD),
            ("new_password", "a brand new password"),
        ];
        if let Some(csrf) = csrf {
            form.push(("csrf", csrf));
        }
        let response = alice
            .client
            .post(app.url("/account/password"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        let mut token_form = vec![("name", "sneaky")];
        if let Some(csrf) = csrf {
            token_form.push(("csrf", csrf));
        }
        let response = alice
            .client
            .post(app.url("/account/tokens"))
            .form(&token_form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        let mut logout = vec![];
        if let Some(csrf) = csrf {
            logout.push(("csrf", csrf));
        }
        let response = alice
            .client
            .post(app.url("/logout"))
            .form(&logout)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);

        // JSON writes with the cookie need the header too.
        let mut request = alice
            .client
            .post(app.url("/api/v1/tokens"))
            .json(&serde_json::json!({ "name": "sneaky" }));
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(error_code(response).await, "csrf_failed");
    }
    // Nothing changed: still logged in, old password works, no tokens.
    assert_eq!(me(&app, &alice.client).await.status(), StatusCode::OK);
    let (_, status) = log_in(&app, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let tokens: Value = alice.get_json(&app, "/api/v1/tokens").await;
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn log_in_and_sign_up_forms_need_their_double_submit_token() {
    let app = spawn_app().await;
    app.sign_up("alice", PASSWORD).await;
    let client = app.client();
    let _ = app.form_csrf(&client, "/login").await;
    let forged = client
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf", "forged"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let fresh = app.client();
    let missing = fresh
        .post(app.url("/signup"))
        .form(&[("username", "mallory"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert_eq!(me(&app, &client).await.status(), StatusCode::UNAUTHORIZED);
    // No account was created.
    let (_, status) = log_in(&app, "mallory", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_session_is_sent_to_the_login_page_and_gets_401_from_the_api() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    assert_eq!(me(&app, &alice.client).await.status(), StatusCode::OK);
    app.advance_clock(15 * 24 * 3600);
    assert_eq!(
        me(&app, &alice.client).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let page = alice.client.get(app.url("/uploads")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login");
    let post = alice
        .client
        .post(app.url("/account/tokens"))
        .form(&[("name", "late"), ("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let (other, _) = log_in(&app, "alice", PASSWORD).await;
    let response = alice
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("current_password", PASSWORD),
            ("new_password", "a brand new password"),
            ("csrf", alice.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(me(&app, &other).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &alice.client).await.status(), StatusCode::OK);
    let (_, old) = log_in(&app, "alice", PASSWORD).await;
    assert_eq!(old, StatusCode::UNAUTHORIZED);
    let (_, new) = log_in(&app, "alice", "a brand new password").await;
    assert_eq!(new, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_api_token_is_shown_once_works_as_bearer_and_stops_when_revoked() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    // Created from the account page, the secret appears once.
    let page = alice
        .client
        .post(app.url("/account/tokens"))
        .form(&[("name", "laptop"), ("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let secret = extract(&page, "<code id=\"new-token\">", "</code>").unwrap();
    assert!(secret.starts_with("frt_"));
    let again = alice
        .client
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&secret));

    let bare = reqwest::Client::new();
    let with = |path: &str| bare.get(app.url(path)).bearer_auth(&secret);
    let me: Value = with("/api/v1/me")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
    // Bearer calls need no CSRF token.
    let created = bare
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({ "name": "script" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let tokens: Value = with("/api/v1/tokens")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let laptop = tokens["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "laptop")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = bare
        .delete(app.url(&format!("/api/v1/tokens/{laptop}")))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let after = with("/api/v1/me").send().await.unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(after).await, "unauthorized");
}

#[tokio::test]
async fn behind_a_trusted_proxy_failed_logins_across_accounts_are_limited_per_forwarded_address() {
    let app = crate::spawn_app_with(|c| {
        c.server.trust_forwarded_for = true;
        c.auth.login_failures_per_address_per_hour = 5;
    })
    .await;
    app.sign_up("alice", PASSWORD).await;
    app.sign_up("bob", PASSWORD).await;
    let attempt = |user: &'static str, from: &'static str| {
        let app = &app;
        async move {
            let client = app.client();
            let csrf = app.form_csrf(&client, "/login").await;
            client
                .post(app.url("/login"))
                .header("x-forwarded-for", from)
                .form(&[
                    ("username", user),
                    ("password", "wrong password"),
                    ("csrf", &csrf),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // Five failures from one client against different accounts use up that address.
    for user in ["alice", "bob", "alice", "bob", "carol"] {
        assert_eq!(attempt(user, "10.0.0.1").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        attempt("dave", "10.0.0.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not affected.
    assert_eq!(attempt("dave", "10.0.0.2").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_pair_in_backoff_leaves_the_owner_able_to_log_in_from_another_address() {
    let app = spawn_app_with_still_clock(|c| c.server.trust_forwarded_for = true).await;
    app.sign_up("alice", PASSWORD).await;
    let attacker = Some("203.0.113.9");
    let mut limited = 0;
    for _ in 0..20 {
        let status = log_in_from(&app, "alice", "guess", attacker).await.status();
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS].contains(&status),
            "{status}"
        );
        limited += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(limited, 15, "five free failures, then the pair waits");
    // The attacker's address cannot get in even with the right password ...
    let blocked = log_in_from(&app, "alice", PASSWORD, attacker).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    // ... while the owner, elsewhere, is not locked out.
    let owner = log_in_from(&app, "alice", PASSWORD, Some("198.51.100.7")).await;
    assert_eq!(owner.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sign_ups_from_one_address_stop_at_the_hourly_limit_and_others_are_unaffected() {
    let app = spawn_app_with_still_clock(|c| c.server.trust_forwarded_for = true).await;
    let from = "203.0.113.50";
    for n in 0..5 {
        let status = sign_up_from(&app, &format!("bulk{n}"), PASSWORD, from)
            .await
            .status();
        assert_eq!(status, StatusCode::SEE_OTHER, "sign-up {n}");
    }
    let refused = sign_up_from(&app, "bulk5", PASSWORD, from).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(wait, 3600);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Too many accounts were created from your address; try again in 60 minutes."),
        "{page}"
    );
    // The refused account does not exist.
    let (_, status) = log_in(&app, "bulk5", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Another address may still sign up, and the first one may again an hour later.
    let other = sign_up_from(&app, "elsewhere", PASSWORD, "198.51.100.7").await;
    assert_eq!(other.status(), StatusCode::SEE_OTHER);
    app.advance_clock(3600);
    let later = sign_up_from(&app, "bulk5", PASSWORD, from).await;
    assert_eq!(later.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn blank_and_common_passwords_are_refused_at_sign_up_and_on_change() {
    let app = spawn_app().await;
    let client = app.client();
    let csrf = app.form_csrf(&client, "/signup").await;
    for (password, message) in [
        ("        ", "A password cannot be only spaces."),
        ("Password1", "one of the most common ones"),
        ("iloveyou", "one of the most common ones"),
    ] {
        let response = client
            .post(app.url("/signup"))
            .form(&[
                ("username", "carol"),
                ("password", password),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{password:?}");
        assert!(
            response.text().await.unwrap().contains(message),
            "{password:?}"
        );
    }
    assert_eq!(me(&app, &client).await.status(), StatusCode::UNAUTHORIZED);

    let alice = app.sign_up("alice", PASSWORD).await;
    for password in ["          ", "password123"] {
        let response = alice
            .client
            .post(app.url("/account/password"))
            .form(&[
                ("current_password", PASSWORD),
                ("new_password", password),
                ("csrf", alice.csrf.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{password:?}");
    }
    let (_, status) = log_in(&app, "alice", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the old password still works"
    );
}

#[tokio::test]
async fn sign_out_everywhere_ends_every_session_and_revokes_every_api_token() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let (other_browser, _) = log_in(&app, "alice", PASSWORD).await;
    let laptop = new_token(&app, &alice, "laptop").await;
    let ci = new_token(&app, &alice, "ci").await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let bobs = new_token(&app, &bob, "bob's").await;
    assert_eq!(me_with_token(&app, &laptop).await, StatusCode::OK);
    assert_eq!(me_with_token(&app, &ci).await, StatusCode::OK);

    let page = alice
        .client
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/account/sign-out-everywhere\""));
    let response = alice
        .client
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf", alice.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/login");

    assert_eq!(me_with_token(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with_token(&app, &ci).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&app, &alice.client).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        me(&app, &other_browser).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Bob is untouched.
    assert_eq!(me_with_token(&app, &bobs).await, StatusCode::OK);
    assert_eq!(me(&app, &bob.client).await.status(), StatusCode::OK);
    // Alice can sign in again, with no tokens left.
    let (again, status) = log_in(&app, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let tokens: Value = again
        .get(app.url("/api/v1/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn sign_out_everywhere_through_the_api_revokes_the_calling_token_too() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let script = new_token(&app, &alice, "script").await;
    let other = new_token(&app, &alice, "other").await;
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/sign-out-everywhere"))
        .bearer_auth(&script)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({ "sessions_ended": 1, "tokens_revoked": 2 })
    );
    assert_eq!(me_with_token(&app, &script).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_with_token(&app, &other).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(&app, &alice.client).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_needs_its_csrf_header_to_sign_out_everywhere_through_the_api() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let token = new_token(&app, &alice, "kept").await;
    let forged = alice
        .client
        .post(app.url("/api/v1/sign-out-everywhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(me_with_token(&app, &token).await, StatusCode::OK);
    assert_eq!(me(&app, &alice.client).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_revokes_api_tokens_when_sign_out_everywhere_is_ticked_and_only_then() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let token = new_token(&app, &alice, "laptop").await;
    let page = alice
        .client
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("name=\"sign_out_everywhere\" type=\"checkbox\" value=\"on\" checked"),
        "the box is ticked by default"
    );
    // Unticked (the browser sends no field): the token survives.
    let unticked = alice
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("current_password", PASSWORD),
            ("new_password", "a brand new password"),
            ("csrf", alice.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unticked.status(), StatusCode::SEE_OTHER);
    assert_eq!(me_with_token(&app, &token).await, StatusCode::OK);

    let csrf = app.form_csrf(&alice.client, "/account").await;
    let ticked = alice
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("current_password", "a brand new password"),
            ("new_password", "a third fine password"),
            ("sign_out_everywhere", "on"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ticked.status(), StatusCode::SEE_OTHER);
    assert_eq!(ticked.headers()[LOCATION], "/account?changed=everywhere");
    assert_eq!(me_with_token(&app, &token).await, StatusCode::UNAUTHORIZED);
    // The browser that changed it keeps a fresh session.
    assert_eq!(me(&app, &alice.client).await.status(), StatusCode::OK);
    let page = alice
        .client
        .get(app.url("/account?changed=everywhere"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("every API token revoked"));
}

/// Posts the log-in form with a cookie and field pair the test made up.
async fn log_in_with_planted_pair(app: &TestApp, value: &str) -> StatusCode {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(app.url("/login"))
        .header(COOKIE, format!("filmroom_csrf={value}"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf", value),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_planted_pre_login_csrf_pair_the_server_did_not_sign_gets_403() {
    let app = spawn_app().await;
    app.sign_up("alice", PASSWORD).await;
    let unsigned = "ab".repeat(32);
    let forged_signature = format!("{unsigned}.{}", "cd".repeat(32));
    for planted in [unsigned.as_str(), forged_signature.as_str()] {
        assert_eq!(
            log_in_with_planted_pair(&app, planted).await,
            StatusCode::FORBIDDEN
        );
    }
    // A value the server signed passes the same way.
    let client = app.client();
    let signed = app.form_csrf(&client, "/login").await;
    assert_ne!(signed, unsigned);
    assert_eq!(
        log_in_with_planted_pair(&app, &signed).await,
        StatusCode::SEE_OTHER
    );
    // The log-in page replaces a planted cookie instead of adopting it.
    let page = reqwest::Client::new()
        .get(app.url("/login"))
        .header(COOKIE, format!("filmroom_csrf={unsigned}"))
        .send()
        .await
        .unwrap();
    let set = page.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        set.starts_with("filmroom_csrf=") && !set.contains(&unsigned),
        "{set}"
    );
    assert!(!page.text().await.unwrap().contains(&unsigned));
}

#[tokio::test]
async fn a_second_server_on_the_same_database_accepts_the_first_ones_log_in_form() {
    let app = spawn_app().await;
    app.sign_up("alice", PASSWORD).await;
    let client = app.client();
    let signed = app.form_csrf(&client, "/login").await;

    let mut config = crate::test_config(app.dir.path());
    config.jobs.workers = 0;
    let second = filmroom_web::App::build(config, crate::rl_domains())
        .await
        .unwrap();
    let second_addr = second.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(second.serve(async move {
        let _ = stopped.await;
    }));
    let status = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("http://{second_addr}/login"))
        .header(COOKIE, format!("filmroom_csrf={signed}"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf", &signed),
        ])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::SEE_OTHER);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_tokens_last_use_is_written_at_most_once_a_minute() {
    let app = spawn_app_with_still_clock(|_| {}).await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let token = new_token(&app, &alice, "script").await;
    let last_used = || async {
        let tokens: Value = alice.get_json(&app, "/api/v1/tokens").await;
        tokens["tokens"][0]["last_used_at"].as_i64()
    };
    assert_eq!(last_used().await, None);
    assert_eq!(me_with_token(&app, &token).await, StatusCode::OK);
    let first = last_used().await.expect("the first use is recorded");
    for step in [1, 29, 29] {
        app.advance_clock(step);
        assert_eq!(me_with_token(&app, &token).await, StatusCode::OK);
        assert_eq!(
            last_used().await,
            Some(first),
            "within the minute: no write"
        );
    }
    app.advance_clock(1);
    assert_eq!(me_with_token(&app, &token).await, StatusCode::OK);
    assert_eq!(last_used().await, Some(first + 60));
}

/// A `Set-Cookie` value as its name, value and attributes, whatever order
/// the attributes come in.
fn cookie_parts(header: &str) -> (String, String, std::collections::BTreeSet<String>) {
    let mut parts = header.split(';').map(str::trim);
    let (name, value) = parts.next().unwrap().split_once('=').unwrap();
    (
        name.to_owned(),
        value.to_owned(),
        parts.map(str::to_owned).collect(),
    )
}

fn set_cookies(
    response: &reqwest::Response,
) -> Vec<(String, String, std::collections::BTreeSet<String>)> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| cookie_parts(v.to_str().unwrap()))
        .collect()
}

fn attributes(list: &[&str]) -> std::collections::BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

async fn every_cookie_the_server_sets(secure: bool) {
    let app = crate::spawn_app_with(|c| c.auth.secure_cookies = secure).await;
    let client = app.client();
    let page = client.get(app.url("/signup")).send().await.unwrap();
    let secure_flag: &[&str] = if secure { &["Secure"] } else { &[] };
    let expected = |max_age: &str| {
        let mut set = attributes(&["Path=/", "HttpOnly", "SameSite=Lax", max_age]);
        set.extend(attributes(secure_flag));
        set
    };
    let pre = set_cookies(&page);
    assert_eq!(pre.len(), 1, "{pre:?}");
    assert_eq!(pre[0].0, "filmroom_csrf");
    assert_eq!(pre[0].2, expected("Max-Age=86400"));
    let csrf = pre[0].1.clone();
    // A secure cookie is not sent back over plain HTTP by a browser: send it by hand.
    let signed_up = client
        .post(app.url("/signup"))
        .header(COOKIE, format!("filmroom_csrf={csrf}"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_up.status(), StatusCode::SEE_OTHER);
    let session = set_cookies(&signed_up);
    assert_eq!(session.len(), 1, "{session:?}");
    assert_eq!(session[0].0, "filmroom_session");
    assert_eq!(session[0].1.len(), 64, "a 32-byte secret in hex");
    assert_eq!(session[0].2, expected("Max-Age=1209600"));
    let secret = session[0].1.clone();
    let account = client
        .get(app.url("/account"))
        .header(COOKIE, format!("filmroom_session={secret}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form_csrf = extract(&account, "name=\"csrf\" value=\"", "\"").unwrap();
    let logged_out = client
        .post(app.url("/logout"))
        .header(COOKIE, format!("filmroom_session={secret}"))
        .form(&[("csrf", &form_csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(logged_out.status(), StatusCode::SEE_OTHER);
    let cleared = set_cookies(&logged_out);
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert_eq!(cleared[0].0, "filmroom_session");
    assert_eq!(cleared[0].1, "");
    assert_eq!(cleared[0].2, expected("Max-Age=0"));
}

#[tokio::test]
async fn every_cookie_keeps_its_name_path_http_only_same_site_and_max_age() {
    every_cookie_the_server_sets(false).await;
}

#[tokio::test]
async fn with_secure_cookies_on_every_cookie_is_also_secure() {
    every_cookie_the_server_sets(true).await;
}
