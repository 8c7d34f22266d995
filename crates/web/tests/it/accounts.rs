//! Sign-up, log-in, log-out, password change, CSRF, sessions, API tokens and
//! the login rate limit.

use reqwest::StatusCode;
use reqwest::header::{LOCATION, RETRY_AFTER, SET_COOKIE};
use serde_json::Value;

use crate::{PASSWORD, TestApp, error_code, extract, spawn_app};

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
async fn a_wrong_password_is_refused_and_the_sixth_failure_in_a_minute_gets_429() {
    let app = spawn_app().await;
    app.sign_up("alice", PASSWORD).await;
    for _ in 0..5 {
        let (_, status) = log_in(&app, "alice", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let client = app.client();
    let csrf = app.form_csrf(&client, "/login").await;
    let limited = client
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = limited.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
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
async fn behind_a_trusted_proxy_logins_are_limited_per_forwarded_address() {
    let app = crate::spawn_app_with(|c| c.server.trust_forwarded_for = true).await;
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
