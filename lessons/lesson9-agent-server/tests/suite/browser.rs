//! The chat page in a real headless browser (Debian's chromium, driven by chromedriver over the
//! WebDriver protocol): create a user, type a question, send it, see the answer on the page, and
//! find both rows in the database; stay signed in across a reload (the token kept in the browser),
//! sign out and in again with the token, and see a clear message when a token is refused (401).
//!
//! Without chromium and chromedriver the test says loudly why it skips, and fails when `CI=true`.
//! Paths: `CHROME_BIN` and `CHROMEDRIVER`, or /usr/bin/chromium and /usr/bin/chromedriver.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{offline_server, totals};
use lesson9::OfflineAgent;
use serde_json::{Value, json};
use shared::testing::TestDb;

/// The W3C WebDriver key under which an element reference is returned.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn tool(variable: &str, default: &str) -> Option<PathBuf> {
    let path = PathBuf::from(std::env::var(variable).unwrap_or_else(|_| default.to_string()));
    path.exists().then_some(path)
}

/// chromedriver, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A WebDriver session: each method is one command of the protocol.
struct Session {
    http: reqwest::Client,
    base: String,
}

impl Session {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(
            reply["value"]["error"].is_null(),
            "WebDriver {path}: {reply}"
        );
        reply["value"].clone()
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        let element = found[ELEMENT].as_str();
        element
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    async fn clear(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/clear"),
            Some(json!({})),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        let text = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/text"),
                None,
            )
            .await;
        text.as_str().unwrap().to_string()
    }

    /// Polls `css`'s text until `done` holds (at most 10 s); returns the last text seen.
    async fn wait_for_text(&self, css: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = self.text(css).await;
            if done(&text) || Instant::now() >= deadline {
                return text;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn in_the_browser_a_question_is_answered_shown_and_stored() {
    let (Some(chromium), Some(chromedriver)) = (
        tool("CHROME_BIN", "/usr/bin/chromium"),
        tool("CHROMEDRIVER", "/usr/bin/chromedriver"),
    ) else {
        let why = "SKIPPED: the browser test needs chromium and chromedriver \
                   (Debian: apt-get install chromium chromium-driver; or set CHROME_BIN and CHROMEDRIVER)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{why}, and CI=true"
        );
        eprintln!("\n!!!!! {why} !!!!!\n");
        return;
    };
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;

    // chromedriver on a free loopback port (chosen by binding port 0, then released for it).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _driver = Driver(
        Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let http = crate::common::client();
    let driver = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !matches!(http.get(format!("{driver}/status")).send().await, Ok(r) if r.status() == 200) {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not answer on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = std::env::temp_dir().join(format!("lesson9-chromium-{}", std::process::id()));
    let capabilities = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     format!("--user-data-dir={}", profile.display())],
        },
    }}});
    let created: Value = http
        .post(format!("{driver}/session"))
        .json(&capabilities)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {created}"));
    let page = Session {
        http: http.clone(),
        base: format!("{driver}/session/{id}"),
    };

    let open_page = || async {
        page.call(
            reqwest::Method::POST,
            "/url",
            Some(json!({"url": server.at("/")})),
        )
        .await
    };
    open_page().await;
    page.type_into("#email", "jisu@example.com").await;
    page.type_into("#name", "이지수").await;
    page.click("#create").await;
    let user = page.wait_for_text("#user", |t| t.contains("이지수")).await;
    assert!(
        user.contains("jisu@example.com"),
        "the page shows the new user: {user:?}"
    );
    let token = page.text("#token-shown").await;
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "the page shows the new user's token once: {token:?}"
    );

    // chromedriver types only characters of the Basic Multilingual Plane: the emoji is set by script.
    let question = "트랜잭션이 뭐예요? 🤔";
    page.call(
        reqwest::Method::POST,
        "/execute/sync",
        Some(json!({"script": "document.getElementById('question').value = arguments[0]", "args": [question]})),
    )
    .await;
    page.click("#send").await;
    let expected = OfflineAgent::reply(question);
    let answer = page.wait_for_text("#answer", |t| !t.is_empty()).await;
    assert!(answer == expected, "the page shows the answer: {answer:?}");
    let history = page
        .wait_for_text("#history", |t| t.contains(question))
        .await;
    assert!(
        history.contains(question) && history.contains(&expected),
        "the conversation: {history:?}"
    );

    // An error is shown on the page, not swallowed.
    page.click("#send").await;
    let error = page.wait_for_text("#error", |t| !t.is_empty()).await;
    assert!(
        error.contains("422") && error.contains("question"),
        "the page shows the error: {error:?}"
    );

    let jisu = lesson2::get_user_by_email(&mut db.conn(), "jisu@example.com").unwrap();
    let jisu = jisu.expect("the page created the user");
    let stored = lesson7::get_recent_conversations(&mut db.conn(), jisu.id, 10).unwrap();
    let contents: Vec<&str> = stored.iter().map(|m| m.content.as_str()).collect();
    assert!(
        contents == [expected.as_str(), question],
        "both rows are in the database: {contents:?}"
    );
    assert!(
        stored[0].reply_to == Some(stored[1].id),
        "the answer replies to the question"
    );
    assert!(totals(&db) == (2, 0), "{:?}", totals(&db));

    // The token is kept in the browser: a reload is still signed in, with the conversation.
    open_page().await;
    let user = page.wait_for_text("#user", |t| t.contains("이지수")).await;
    let history = page
        .wait_for_text("#history", |t| t.contains(question))
        .await;
    assert!(
        user.contains("이지수") && history.contains(question),
        "after a reload the page is still signed in: {user:?}, {history:?}"
    );

    // Signed out, a wrong token is refused with a message that says so; the right one signs in.
    page.click("#signout").await;
    page.type_into("#email", "jisu@example.com").await;
    page.type_into("#token", &"0".repeat(64)).await;
    page.click("#signin").await;
    let error = page.wait_for_text("#error", |t| !t.is_empty()).await;
    assert!(
        error.contains("401") && error.contains("token is not valid"),
        "a wrong token is refused with a clear message: {error:?}"
    );
    page.clear("#token").await;
    page.type_into("#token", &token).await;
    page.click("#signin").await;
    let user = page.wait_for_text("#user", |t| t.contains("이지수")).await;
    assert!(
        user.contains("이지수"),
        "signed in with the token: {user:?}"
    );

    // The user deleted elsewhere: the next question is refused (401), and the page says why.
    let deleted = http
        .delete(server.at(&format!("/users/{}", jisu.id)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        deleted.status() == 204,
        "deleting the user: {}",
        deleted.status()
    );
    page.type_into("#question", "still there?").await;
    page.click("#send").await;
    let error = page.wait_for_text("#error", |t| t.contains("401")).await;
    assert!(
        error.contains("401") && error.contains("Sign in again"),
        "a refused token is shown on the page: {error:?}"
    );
    let kept: Value = page
        .call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": "return localStorage.getItem('lesson9.session')", "args": []})),
        )
        .await;
    assert!(
        kept.is_null(),
        "a refused token is removed from the browser: {kept}"
    );

    page.call(reqwest::Method::DELETE, "", None).await;
    let _ = std::fs::remove_dir_all(&profile);
    assert!(totals(&db) == (0, 0), "{:?}", totals(&db));
}
