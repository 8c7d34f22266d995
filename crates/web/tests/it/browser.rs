//! The app in headless Chromium (Debian's `chromium` and `chromium-driver`,
//! installed by `scripts/setup`), driven over the W3C WebDriver protocol with
//! a few reqwest calls: sign up, upload replays through the file input, watch
//! them reach `done` over server-sent events, open every tab of a game, then
//! ask the coach and follow a citation to the moment it cites.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{replay_path, spawn_app};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    process: Child,
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn find_driver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

impl Driver {
    async fn start() -> Driver {
        let path = find_driver().expect(
            "chromedriver not found: run scripts/setup (installs chromium and chromium-driver)",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let process = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut driver = Driver {
            process,
            http,
            base,
            session: String::new(),
        };
        let created = driver
            .call(
                reqwest::Method::POST,
                "/session",
                json!({ "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:loggingPrefs": { "browser": "ALL" },
                    "goog:chromeOptions": {
                        "binary": "/usr/bin/chromium",
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage", "--window-size=1280,900"]
                    }
                }}}),
            )
            .await;
        driver.session = created["sessionId"].as_str().unwrap().to_owned();
        driver
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let mut request = self.http.request(method.clone(), url);
        if method == reqwest::Method::POST {
            request = request.json(&body);
        }
        let response: Value = request.send().await.unwrap().json().await.unwrap();
        let value = response["value"].clone();
        assert!(
            value.get("error").is_none(),
            "webdriver {path} failed: {value}"
        );
        value
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/click"),
            json!({}),
        )
        .await;
    }

    async fn script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// Runs `script` until it returns `expected` (a page that just navigated
    /// may still be loading), or fails the test after 20 s.
    async fn wait_for_script(&self, script: &str, expected: Value) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let value = self.script(script).await;
            if value == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{script} gave {value}, not {expected}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's URL passes `check`: a click returns before the
    /// navigation it starts has finished.
    async fn wait_for_url(&self, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let url = self.url().await;
            if check(&url) {
                return url;
            }
            assert!(Instant::now() < deadline, "the page stayed at {url}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails the test on any console error since the last call, such as a
    /// script or style the Content-Security-Policy blocked.
    async fn assert_no_console_errors(&self, when: &str) {
        let entries = self
            .call(
                reqwest::Method::POST,
                "/se/log",
                json!({ "type": "browser" }),
            )
            .await;
        let errors: Vec<&Value> = entries
            .as_array()
            .expect("the browser log is a list")
            .iter()
            .filter(|e| {
                e["level"] == "SEVERE"
                    || e["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("Content Security Policy"))
            })
            .collect();
        assert!(errors.is_empty(), "console errors {when}: {errors:?}");
    }

    async fn url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", Value::Null)
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }
}

#[tokio::test]
async fn in_a_browser_a_player_signs_up_uploads_replays_and_opens_every_tab_of_a_game() {
    let app = spawn_app().await;
    let browser = Driver::start().await;

    browser.goto(&app.url("/signup")).await;
    browser.type_into("input[name=username]", "alice").await;
    browser
        .type_into("input[name=password]", "correct horse battery")
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_url(|url| url.ends_with("/uploads")).await;
    browser.assert_no_console_errors("signing up").await;

    let files: Vec<String> = ["07e9.replay", "00bb.replay"]
        .iter()
        .map(|n| replay_path(n).canonicalize().unwrap().display().to_string())
        .collect();
    browser.type_into("#files", &files.join("\n")).await;

    // Each file's job row reaches `done` through the event stream, without a reload.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let states = browser
            .script(
                "return Array.from(document.querySelectorAll('#jobs tbody td.state'))\
                 .map(function (td) { return td.textContent; });",
            )
            .await;
        let states: Vec<&str> = states
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        if states.len() == files.len() && states.iter().all(|s| *s == "done") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "uploads did not finish: {states:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let progress = browser
        .script("return Array.from(document.querySelectorAll('#progress progress')).map(function (p) { return p.value; });")
        .await;
    assert_eq!(progress, json!([100, 100]));
    browser.assert_no_console_errors("on the upload page").await;

    browser.goto(&app.url("/games")).await;
    browser.click("tr.game-row a").await;
    browser.wait_for_url(|url| url.contains("/games/")).await;
    for (tab, label) in [
        ("overview", "Overview"),
        ("boost", "Boost"),
        ("movement", "Movement"),
        ("positioning", "Positioning"),
        ("timeline", "Timeline"),
    ] {
        let id = browser
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "link text", "value": label }),
            )
            .await[ELEMENT]
            .as_str()
            .unwrap()
            .to_owned();
        browser
            .call(
                reqwest::Method::POST,
                &format!("/element/{id}/click"),
                json!({}),
            )
            .await;
        browser
            .wait_for_url(|url| url.ends_with(&format!("tab={tab}")))
            .await;
        // Every tab has a chart.
        browser
            .wait_for_script(
                &format!("return document.querySelectorAll('#tab-{tab} svg').length > 0;"),
                json!(true),
            )
            .await;
    }

    browser.assert_no_console_errors("on the game's tabs").await;

    // Two strangers' games infer nobody: the player picks who they are on the
    // account page, and the coach then has that game from their side.
    browser.goto(&app.url("/account")).await;
    browser.click("form.identity-pick button").await;
    browser
        .wait_for_script(
            "return document.body.innerText.includes('You appear as');",
            json!(true),
        )
        .await;

    // The coach streams a cited answer; a citation opens the game at its moment.
    browser.goto(&app.url("/coach")).await;
    browser
        .type_into("#message", "How was my last session?")
        .await;
    browser.click("#send").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = browser
            .script(
                "var a = document.querySelector('.message.assistant');\
                 return a !== null && !a.classList.contains('streaming') \
                   && a.querySelectorAll('a.citation').length > 0;",
            )
            .await;
        if done == json!(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the coach's answer did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tools = browser
        .script("return document.querySelectorAll('.message.assistant .tool').length;")
        .await;
    assert!(tools.as_u64().unwrap() >= 1, "tool activity is shown");
    let conversation = browser.wait_for_url(|url| url.contains("/coach/")).await;
    // Reloaded, the conversation shows the same answer with its citation links.
    browser.goto(&conversation).await;
    browser.click(".message.assistant a.citation").await;
    browser
        .wait_for_url(|url| url.contains("/games/") && url.contains("tab=timeline&t="))
        .await;
    // The cited moment is highlighted.
    browser
        .wait_for_script(
            "return document.querySelectorAll('tr.cited').length;",
            json!(1),
        )
        .await;
    browser
        .assert_no_console_errors("asking the coach and following a citation")
        .await;
    for page in ["/account", "/usage", "/games", "/login"] {
        browser.goto(&app.url(page)).await;
        browser
            .assert_no_console_errors(&format!("on {page}"))
            .await;
    }
    let _ = browser.call(reqwest::Method::DELETE, "", Value::Null).await;
}

/// The player's position once it has moved near `t` (playing on from it).
async fn wait_for_position(browser: &Driver, t: f64) {
    browser
        .wait_for_script(
            &format!(
                "var p = document.getElementById('player'); \
                 return p.currentTime >= {t} - 0.05 && p.currentTime < {t} + 1.5;"
            ),
            json!(true),
        )
        .await;
}

/// Gives the first element matching `css` whose text contains `text` the id
/// `id`, and returns its `data-seek` second.
async fn mark(browser: &Driver, css: &str, text: &str, id: &str) -> f64 {
    let seek = browser
        .script(&format!(
            "var all = Array.from(document.querySelectorAll({css:?})); \
             var el = all.find(function (e) {{ return e.textContent.indexOf({text:?}) >= 0; }}); \
             if (!el) {{ return null; }} \
             el.id = {id:?}; return el.getAttribute('data-seek');"
        ))
        .await;
    seek.as_str()
        .unwrap_or_else(|| panic!("no {css} with {text:?}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn in_a_browser_a_talks_page_plays_its_webm_and_a_flag_a_word_and_a_citation_seek_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = crate::spawn_app_with_domains(crate::talk::heard_talk_domains()).await;
    let alice = app.sign_up("alice", crate::PASSWORD).await;
    // A 4 s silence after the first sentence: a long pause, flagged.
    let wav = filmroom_test_support::speech::spoken_wav(
        dir.path(),
        &[
            "Good morning, and thank you all for coming today.",
            "Let me show you what we built this year.",
        ],
        140,
        4.0,
    );
    let webm = filmroom_test_support::speech::in_webm(dir.path(), &wav);
    let (status, body) = alice
        .upload_recordings(&app, vec![("rehearsal.webm", std::fs::read(webm).unwrap())])
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let id = body["recordings"][0]["recording_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let detail = alice.settled_recording(&app, &id).await;
    assert_eq!(detail["state"], "done", "{detail}");
    let duration = detail["facts"]["duration_s"].as_f64().unwrap();

    let browser = Driver::start().await;
    browser.goto(&app.url("/login")).await;
    browser.type_into("input[name=username]", "alice").await;
    browser
        .type_into("input[name=password]", crate::PASSWORD)
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_url(|url| !url.contains("/login")).await;

    // The flags tab: the player has the file's metadata (its length), and
    // clicking the long pause's flag moves it there.
    browser
        .goto(&app.url(&format!("/games/{id}?tab=flags")))
        .await;
    browser
        .wait_for_script(
            "var p = document.getElementById('player'); \
             return p.tagName + ' ' + (p.readyState >= 1);",
            json!("VIDEO true"),
        )
        .await;
    let shown = browser
        .script("return document.getElementById('player').duration;")
        .await
        .as_f64()
        .unwrap();
    assert!(
        (shown - duration).abs() < 0.5,
        "{shown} s played, {duration} s analysed"
    );
    browser.assert_no_console_errors("opening a talk").await;
    let flag = mark(&browser, "tr[data-seek]", "points", "a-flag").await;
    assert!(
        flag > 2.0,
        "the pause comes after the first sentence: {flag}"
    );
    browser.click("#a-flag").await;
    wait_for_position(&browser, flag).await;

    // The transcript: clicking a word of the second sentence moves it there.
    browser
        .goto(&app.url(&format!("/games/{id}?tab=transcript")))
        .await;
    browser
        .wait_for_script(
            "return document.getElementById('player').readyState >= 1;",
            json!(true),
        )
        .await;
    // The last word Whisper heard: the player reopened at 0 with the page.
    let word = browser
        .script(
            "var all = document.querySelectorAll('.word[data-seek]'); \
             if (!all.length) { return null; } \
             var w = all[all.length - 1]; w.id = 'a-word'; return w.getAttribute('data-seek');",
        )
        .await;
    let word: f64 = word
        .as_str()
        .unwrap_or_else(|| panic!("no timed word on the transcript tab"))
        .parse()
        .unwrap();
    assert!(word > 1.0, "a word away from the start: {word}");
    browser.click("#a-word").await;
    wait_for_position(&browser, word).await;

    // A coach citation's link opens the player at the cited second.
    browser
        .goto(&app.url(&format!("/games/{id}?tab=timeline&t=5")))
        .await;
    browser
        .wait_for_script(
            "var p = document.getElementById('player'); \
             return p.readyState >= 1 && Math.abs(p.currentTime - 5) < 0.01;",
            json!(true),
        )
        .await;
    browser.assert_no_console_errors("seeking a talk").await;
}
