//! A second user walks every route in `ROUTES` with the first user's ids and
//! gets 404 (or, for routes without ids, nothing of the first user's). The
//! `match` on `RouteId` has no wildcard arm: a new route does not compile
//! here until someone decides how it is probed.

use std::time::Duration;

use filmroom_web::routes::{Access, ROUTES, RouteId, Verb};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{PASSWORD, TestApp, User, replay_bytes, spawn_app};

enum Expect {
    /// The caller asked for another user's resource: 404.
    NotFound,
    /// A route without ids: any status, but no trace of the first user.
    NoLeak,
}

struct Secrets {
    game_id: String,
    token_id: String,
    filename: String,
    conversation_id: String,
    note_id: String,
    note_text: String,
    /// A participant key of alice's game: who she is, or plays with.
    participant: String,
}

impl Secrets {
    fn assert_absent(&self, route: &str, body: &str) {
        for secret in [
            &self.game_id,
            &self.token_id,
            &self.filename,
            &self.conversation_id,
            &self.note_id,
            &self.note_text,
            &self.participant,
        ] {
            assert!(
                !body.contains(secret.as_str()),
                "{route} leaked {secret} to another user: {body}"
            );
        }
    }
}

async fn probe(app: &TestApp, bob: &User, id: RouteId, s: &Secrets) -> (reqwest::Response, Expect) {
    let c = &bob.client;
    let anon = app.client();
    let csrf = bob.csrf.as_str();
    let get = |path: String| c.get(app.url(&path));
    let form = |path: String, fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf", csrf.to_owned()));
        c.post(app.url(&path)).form(&fields)
    };
    use Expect::{NoLeak, NotFound};
    let (request, expect) = match id {
        RouteId::GamePage => (get(format!("/games/{}", s.game_id)), NotFound),
        RouteId::ApiGame => (get(format!("/api/v1/games/{}", s.game_id)), NotFound),
        RouteId::ApiRecording => (get(format!("/api/v1/recordings/{}", s.game_id)), NotFound),
        RouteId::ApiRecordingExport => (
            get(format!("/api/v1/recordings/{}/export", s.game_id)),
            NotFound,
        ),
        RouteId::ApiRecordingMedia => (
            get(format!("/api/v1/recordings/{}/media", s.game_id)),
            NotFound,
        ),
        RouteId::ApiRecordingReport => (
            get(format!("/api/v1/recordings/{}/report", s.game_id)),
            NotFound,
        ),
        RouteId::RevokeTokenForm => (
            form(format!("/account/tokens/{}/revoke", s.token_id), vec![]),
            NotFound,
        ),
        RouteId::ApiRevokeToken => (
            c.delete(app.url(&format!("/api/v1/tokens/{}", s.token_id)))
                .header("X-CSRF-Token", csrf),
            NotFound,
        ),
        RouteId::CoachConversationPage => {
            (get(format!("/coach/{}", s.conversation_id)), NotFound)
        }
        RouteId::ApiConversation => (
            get(format!("/api/v1/coach/conversations/{}", s.conversation_id)),
            NotFound,
        ),
        RouteId::ApiDeleteConversation => (
            c.delete(app.url(&format!("/api/v1/coach/conversations/{}", s.conversation_id)))
                .header("X-CSRF-Token", csrf),
            NotFound,
        ),
        RouteId::ApiCoachChat => (
            c.post(app.url("/api/v1/coach/chat"))
                .header("X-CSRF-Token", csrf)
                .json(&serde_json::json!({ "conversation_id": s.conversation_id, "message": "what did alice say?" })),
            NotFound,
        ),
        RouteId::CoachNoteUpdateForm => (
            form(format!("/coach/notes/{}", s.note_id), vec![("text", "bob was here".into())]),
            NotFound,
        ),
        RouteId::CoachNoteDeleteForm => (
            form(format!("/coach/notes/{}/delete", s.note_id), vec![]),
            NotFound,
        ),
        RouteId::ApiUpdateNote => (
            c.patch(app.url(&format!("/api/v1/coach/notes/{}", s.note_id)))
                .header("X-CSRF-Token", csrf)
                .json(&serde_json::json!({ "text": "bob was here" })),
            NotFound,
        ),
        RouteId::ApiDeleteNote => (
            c.delete(app.url(&format!("/api/v1/coach/notes/{}", s.note_id)))
                .header("X-CSRF-Token", csrf),
            NotFound,
        ),
        RouteId::ApiDeleteRecording => (
            c.delete(app.url(&format!("/api/v1/recordings/{}", s.game_id)))
                .header("X-CSRF-Token", csrf),
            NotFound,
        ),
        RouteId::DeleteRecordingForm => (
            form(
                format!("/games/{}/delete", s.game_id),
                vec![("confirm", "yes".into())],
            ),
            NotFound,
        ),
        RouteId::ApiExport => (get("/api/v1/me/export".into()), NoLeak),
        // Bob cannot erase anything with a wrong password (the right one
        // would erase only Bob: rights.rs shows what an erasure leaves).
        RouteId::ApiEraseMe => (
            c.delete(app.url("/api/v1/me"))
                .header("X-CSRF-Token", csrf)
                .json(&serde_json::json!({ "password": "not bob's password" })),
            NoLeak,
        ),
        RouteId::EraseAccountForm => (
            form(
                "/account/delete".into(),
                vec![("password", "not bob's password".into())],
            ),
            NoLeak,
        ),
        RouteId::CoachNoteForm => (
            form("/coach/notes".into(), vec![("text", "bob's own note".into())]),
            NoLeak,
        ),
        RouteId::ApiCreateNote => (
            c.post(app.url("/api/v1/coach/notes"))
                .header("X-CSRF-Token", csrf)
                .json(&serde_json::json!({ "text": "bob's api note" })),
            NoLeak,
        ),
        RouteId::Home
        | RouteId::CoachPage
        | RouteId::UsagePage
        | RouteId::CoachScript
        | RouteId::PageScript
        | RouteId::ProgressPage
        | RouteId::ApiProgress
        | RouteId::ApiCoachProfiles
        | RouteId::ApiConversations
        | RouteId::ApiNotes
        | RouteId::ApiUsageCurrent
        | RouteId::ApiUsageHistory
        | RouteId::AccountPage
        | RouteId::GamesPage
        | RouteId::UploadsPage
        | RouteId::ApiMe
        | RouteId::ApiIdentities
        | RouteId::ApiGames
        | RouteId::ApiGamesCsv
        | RouteId::ApiRecordings
        | RouteId::ApiUploads
        | RouteId::ApiTokens
        | RouteId::OpenApi
        | RouteId::Health
        | RouteId::Status
        | RouteId::Metrics
        | RouteId::StyleSheet
        | RouteId::UploadScript => {
            let path = ROUTES.iter().find(|r| r.id == id).unwrap().path;
            (get(path.to_owned()), NoLeak)
        }
        RouteId::SignupPage | RouteId::LoginPage => {
            let path = ROUTES.iter().find(|r| r.id == id).unwrap().path;
            (anon.get(app.url(path)), NoLeak)
        }
        RouteId::Signup | RouteId::Login => {
            let path = ROUTES.iter().find(|r| r.id == id).unwrap().path;
            let csrf = app.form_csrf(&anon, path).await;
            (
                anon.post(app.url(path)).form(&[
                    ("username", "alice"),
                    ("password", "not alice's password"),
                    ("csrf", &csrf),
                ]),
                NoLeak,
            )
        }
        RouteId::ChangePassword => (
            form(
                "/account/password".into(),
                vec![
                    ("current_password", PASSWORD.into()),
                    ("new_password", BOBS_SECOND_PASSWORD.into()),
                ],
            ),
            NoLeak,
        ),
        RouteId::SetPlayerNames => (
            form(
                "/account/player-names".into(),
                vec![("names", "Bob".into())],
            ),
            NoLeak,
        ),
        RouteId::SetIdentityForm => (
            form(
                "/account/identity".into(),
                vec![
                    ("kind", "rl_replay".into()),
                    ("participant", "name:Bob".into()),
                ],
            ),
            NoLeak,
        ),
        RouteId::ApiSetIdentities => (
            c.put(app.url("/api/v1/me/identities"))
                .header("X-CSRF-Token", csrf)
                .json(&serde_json::json!({ "kind": "rl_replay", "participants": ["name:Bob"] })),
            NoLeak,
        ),
        RouteId::CreateTokenForm => (
            form("/account/tokens".into(), vec![("name", "bob's".into())]),
            NoLeak,
        ),
        RouteId::ApiCreateToken => (
            c.post(app.url("/api/v1/tokens"))
                .header("X-CSRF-Token", csrf)
                .json(&serde_json::json!({ "name": "bob's api" })),
            NoLeak,
        ),
        RouteId::ApiUploadReplays => (
            c.post(app.url("/api/v1/replays"))
                .header("X-CSRF-Token", csrf)
                .multipart(
                    reqwest::multipart::Form::new().part(
                        "files",
                        reqwest::multipart::Part::bytes(replay_bytes("07e9.replay"))
                            .file_name("bob.replay"),
                    ),
                ),
            NoLeak,
        ),
        RouteId::ApiUploadRecordings => (
            c.post(app.url("/api/v1/recordings"))
                .header("X-CSRF-Token", csrf)
                .multipart(
                    reqwest::multipart::Form::new().part(
                        "files",
                        reqwest::multipart::Part::bytes(replay_bytes("07e9.replay"))
                            .file_name("bob-recording.replay"),
                    ),
                ),
            NoLeak,
        ),
        RouteId::ApiEvents => (get("/api/v1/events".into()), NoLeak),
        // These end Bob's session (and tokens): probed last, below.
        RouteId::ApiSignOutEverywhere => (
            c.post(app.url("/api/v1/sign-out-everywhere"))
                .header("X-CSRF-Token", csrf),
            NoLeak,
        ),
        RouteId::SignOutEverywhereForm => (
            form("/account/sign-out-everywhere".into(), vec![]),
            NoLeak,
        ),
        RouteId::Logout => return (form("/logout".into(), vec![]).send().await.unwrap(), NoLeak),
    };
    (request.send().await.unwrap(), expect)
}

/// What the password-change probe sets Bob's password to.
const BOBS_SECOND_PASSWORD: &str = "bob's second password";

/// Routes after which Bob must sign in again, besides logging out.
const ENDS_THE_SESSION: [RouteId; 2] = [
    RouteId::ApiSignOutEverywhere,
    RouteId::SignOutEverywhereForm,
];

/// Signs Bob in again on his client; his new session's CSRF token.
async fn log_in_again(app: &TestApp, bob: &User) -> String {
    let csrf = app.form_csrf(&bob.client, "/login").await;
    let response = bob
        .client
        .post(app.url("/login"))
        .form(&[
            ("username", bob.username.as_str()),
            ("password", BOBS_SECOND_PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.form_csrf(&bob.client, "/account").await
}

async fn body_text(response: reqwest::Response) -> String {
    let is_stream = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream"));
    if !is_stream {
        return response.text().await.unwrap();
    }
    // An event stream never ends: read what the first second brings.
    let mut response = response;
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, response.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test]
async fn a_second_user_gets_404_for_every_route_with_the_first_users_ids() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let filename = "alice-private-name.replay";
    let uploaded: Value = alice
        .upload(&app, vec![(filename, replay_bytes("00bb.replay"))])
        .await
        .json()
        .await
        .unwrap();
    let game_id = uploaded["uploads"][0]["game_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token: Value = alice
        .client
        .post(app.url("/api/v1/tokens"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&serde_json::json!({ "name": "alice-token-name" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    alice.wait_until_done(&app, &game_id).await;
    let answer = alice
        .chat(
            &app,
            serde_json::json!({ "message": "Explain my last game" }),
        )
        .await;
    let conversation_id = answer.event("conversation").unwrap()["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let note_text = "alice-private-note about her kickoffs";
    let note: Value = alice
        .client
        .post(app.url("/api/v1/coach/notes"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&serde_json::json!({ "text": note_text }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secrets = Secrets {
        game_id: game_id.clone(),
        token_id: token["id"].as_str().unwrap().to_owned(),
        filename: filename.to_owned(),
        conversation_id: conversation_id.clone(),
        note_id: note["id"].as_str().unwrap().to_owned(),
        note_text: note_text.to_owned(),
        participant: alice
            .get_json(&app, &format!("/api/v1/recordings/{game_id}"))
            .await["participants"][0]["key"]
            .as_str()
            .unwrap()
            .to_owned(),
    };

    let mut bob = app.sign_up("bob", PASSWORD).await;
    let mut logout = None;
    for route in ROUTES {
        if route.id == RouteId::Logout {
            logout = Some(route);
            continue;
        }
        if ENDS_THE_SESSION.contains(&route.id) {
            continue;
        }
        let (response, expect) = probe(&app, &bob, route.id, &secrets).await;
        let status = response.status();
        let body = body_text(response).await;
        match expect {
            Expect::NotFound => assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{:?} {} answered {status} to another user",
                route.verb,
                route.path
            ),
            Expect::NoLeak => assert!(
                status.as_u16() < 500,
                "{} failed with {status}: {body}",
                route.path
            ),
        }
        secrets.assert_absent(route.path, &body);
        // Some probes (password change) start a new session with a new token.
        bob.csrf = app.form_csrf(&bob.client, "/account").await;
    }
    for id in ENDS_THE_SESSION {
        let (response, _) = probe(&app, &bob, id, &secrets).await;
        let status = response.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::SEE_OTHER,
            "{id:?}: {status}"
        );
        secrets.assert_absent(&format!("{id:?}"), &body_text(response).await);
        bob.csrf = log_in_again(&app, &bob).await;
    }
    let logout = logout.expect("a logout route");
    assert_eq!(logout.verb, Verb::Post);
    assert_eq!(logout.access, Access::SignedIn);
    let (response, _) = probe(&app, &bob, RouteId::Logout, &secrets).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // Alice was never touched: her game and token are still hers.
    let game = alice
        .client
        .get(app.url(&format!("/api/v1/games/{game_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(game.status(), StatusCode::OK);
    let tokens: Value = alice.get_json(&app, "/api/v1/tokens").await;
    assert_eq!(tokens["tokens"].as_array().unwrap().len(), 1);
    let notes: Value = alice.get_json(&app, "/api/v1/coach/notes").await;
    assert_eq!(notes["notes"][0]["text"], note_text);
    let conversation: Value = alice
        .get_json(
            &app,
            &format!("/api/v1/coach/conversations/{conversation_id}"),
        )
        .await;
    assert_eq!(conversation["messages"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_coachs_tools_read_only_the_asking_users_games_and_notes() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let alice_games = alice.upload_and_wait(&app, &["00bb.replay"]).await;
    let note: Value = alice
        .client
        .post(app.url("/api/v1/coach/notes"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&serde_json::json!({ "text": "alice-secret-note" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bob = app.sign_up("bob", PASSWORD).await;
    let bob_games = bob.upload_and_wait(&app, &["07e9.replay"]).await;
    for question in [
        "How was my last session?",
        "Explain my last game",
        "What are my strongest and weakest areas?",
        "What notes do I have?",
    ] {
        let reply = bob
            .chat(&app, serde_json::json!({ "message": question }))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{question}");
        let everything = format!("{:?}", reply.events);
        assert!(
            !everything.contains(&alice_games[0]),
            "{question}: {everything}"
        );
        assert!(!everything.contains("alice-secret-note"), "{question}");
        assert!(
            !everything.contains(note["id"].as_str().unwrap()),
            "{question}"
        );
        let done = reply.event("done").expect("every question is answered");
        for citation in done["citations"].as_array().unwrap() {
            assert_eq!(citation["game_id"], bob_games[0].as_str());
        }
    }
    // Asked by id about alice's game, the tool finds nothing and nothing is cited.
    let reply = bob
        .chat(
            &app,
            serde_json::json!({ "message": format!("Explain game {}", alice_games[0]) }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.error);
    assert_eq!(reply.event("tool_finished").unwrap()["is_error"], true);
    assert!(
        reply.event("done").unwrap()["citations"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let everything = format!("{:?}", reply.events);
    for secret in ["alice-secret-note", "00bb.replay", "TrainStation"] {
        assert!(!everything.contains(secret), "{secret}: {everything}");
    }
}

#[tokio::test]
async fn signed_in_routes_refuse_visitors() {
    let app = spawn_app().await;
    let visitor = app.client();
    for route in ROUTES.iter().filter(|r| r.access == Access::SignedIn) {
        let path = route
            .path
            .replace("{id}", "00000000-0000-4000-8000-000000000000");
        let request = match route.verb {
            Verb::Get => visitor.get(app.url(&path)),
            Verb::Post => visitor.post(app.url(&path)),
            Verb::Patch => visitor.patch(app.url(&path)),
            Verb::Delete => visitor.delete(app.url(&path)),
            Verb::Put => visitor.put(app.url(&path)),
        };
        let status = request.send().await.unwrap().status();
        let expected = if path.starts_with("/api/") {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::SEE_OTHER
        };
        assert_eq!(status, expected, "{:?} {path}", route.verb);
    }
}

/// What a 404 says, without the request id that makes each answer unique.
async fn not_found_answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let mut body: Value = response.json().await.unwrap();
    body["error"].as_object_mut().unwrap().remove("request_id");
    (status, body)
}

#[tokio::test]
async fn a_malformed_a_missing_and_another_users_id_get_the_same_404_on_every_owned_id_route() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice", PASSWORD).await;
    let bob = app.sign_up("bob", PASSWORD).await;
    let uploaded: Value = alice
        .upload(&app, vec![("alice.replay", replay_bytes("07e9.replay"))])
        .await
        .json()
        .await
        .unwrap();
    let recording = uploaded["uploads"][0]["game_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let answered = alice
        .client
        .post(app.url("/api/v1/coach/chat"))
        .header("X-CSRF-Token", &alice.csrf)
        .json(&serde_json::json!({ "message": "hello" }))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), StatusCode::OK);
    answered.text().await.unwrap();
    let conversations = alice.get_json(&app, "/api/v1/coach/conversations").await;
    let conversation = conversations["conversations"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = "00000000-0000-4000-8000-000000000000";
    for (template, alices) in [
        ("/api/v1/recordings/ID", &recording),
        ("/api/v1/recordings/ID/report", &recording),
        ("/api/v1/games/ID", &recording),
        ("/api/v1/coach/conversations/ID", &conversation),
    ] {
        let mut answers = Vec::new();
        for id in ["not-an-id", missing, alices.as_str()] {
            let url = app.url(&template.replace("ID", id));
            answers.push(not_found_answer(bob.client.get(&url).send().await.unwrap()).await);
        }
        if alices == &conversation {
            let deleted = bob
                .client
                .delete(app.url(&format!("/api/v1/coach/conversations/{conversation}")))
                .header("X-CSRF-Token", &bob.csrf)
                .send()
                .await
                .unwrap();
            answers.push(not_found_answer(deleted).await);
        }
        for answer in &answers {
            assert_eq!(answer, &answers[0], "{template}");
        }
        assert_eq!(answers[0].0, StatusCode::NOT_FOUND, "{template}");
        assert_eq!(answers[0].1["error"]["code"], "not_found", "{template}");
    }
    // The pages answer an error page for each.
    for template in ["/games/ID", "/coach/ID"] {
        for id in [
            "not-an-id",
            missing,
            recording.as_str(),
            conversation.as_str(),
        ] {
            let response = bob
                .client
                .get(app.url(&template.replace("ID", id)))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{template} {id}");
            let page = response.text().await.unwrap();
            assert!(page.contains("Not Found"), "{page}");
        }
    }
    // Alice still has both.
    let own = alice
        .client
        .get(app.url(&format!("/api/v1/coach/conversations/{conversation}")))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    let own = alice
        .client
        .get(app.url(&format!("/api/v1/recordings/{recording}")))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}
