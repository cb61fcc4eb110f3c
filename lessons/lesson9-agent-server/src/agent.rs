//! The agent that answers a question: a small trait, [`Agent`], with two implementations.
//!
//! * [`OfflineAgent`]: built in, deterministic, no network. The default: the demo and the tests
//!   run without an account anywhere.
//! * [`OpenAiAgent`]: a client for any OpenAI-compatible chat-completions service (OpenAI itself,
//!   or a local one such as Ollama or vLLM), chosen with `AGENT=openai`.
//!
//! The server holds an `Arc<dyn Agent>` and does not know which one it talks to.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde_json::{Value, json};

/// What [`Agent::answer`] returns: a future that may be sent to another worker thread.
///
/// `async fn` in a trait cannot be called through `dyn Agent` yet, so the method returns the boxed
/// future that such an `async fn` would be (`Box::pin(async move { ... })`).
pub type AnswerFuture<'a> = Pin<Box<dyn Future<Output = Result<String, AgentError>> + Send + 'a>>;

/// Something that answers a user's question.
pub trait Agent: Send + Sync {
    /// A description safe to print (never an API key): `offline`, or the service and model.
    fn describe(&self) -> String;

    /// The answer to `question`. It may take seconds, and it may fail: see [`AgentError`].
    fn answer<'a>(&'a self, question: &'a str) -> AnswerFuture<'a>;
}

/// Why the agent gave no usable answer. The server replies 502 and stores nothing.
#[derive(Debug)]
pub enum AgentError {
    /// The service could not be reached, or the connection broke.
    Unreachable(reqwest::Error),
    /// No reply within the configured timeout.
    Timeout(Duration),
    /// The service replied with an error status (a wrong key, an unknown model, a rate limit).
    /// Its body is not kept: some services quote part of the key in it.
    Status(u16),
    /// The reply is not the chat-completions JSON expected, or holds no answer text.
    Malformed(String),
    /// The answer is longer than a message may be, so it cannot be stored.
    TooLong {
        /// The answer's length in bytes.
        bytes: usize,
    },
    /// The reply is larger than [`MAX_REPLY_BYTES`]: the rest is not read.
    ReplyTooLarge,
}

/// The most bytes of a service's reply the client reads. An answer that can be stored holds at most
/// lesson 7's `MAX_CONTENT_BYTES`, which JSON spells at most three times as long (an emoji as
/// `\ud83d\ude00`), and the envelope around it is small. Beyond that, the reply cannot be an answer
/// we keep, and reading it would only cost memory (a reply of 512 MiB once cost 2 GB).
pub const MAX_REPLY_BYTES: usize = 3 * lesson7::MAX_CONTENT_BYTES + 64 * 1024;

impl fmt::Display for AgentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentError::Unreachable(_) => write!(f, "the agent's service could not be reached"),
            AgentError::Timeout(limit) => write!(
                f,
                "the agent's service did not answer within {} s",
                limit.as_secs_f64()
            ),
            AgentError::Status(status) => write!(
                f,
                "the agent's service replied with HTTP status {status} \
                 (check LLM_API_KEY, LLM_MODEL and LLM_BASE_URL)"
            ),
            AgentError::Malformed(reason) => {
                write!(
                    f,
                    "the agent's service sent a reply that is not understood: {reason}"
                )
            }
            AgentError::TooLong { bytes } => write!(
                f,
                "the agent's answer is {bytes} bytes long, more than a message may hold"
            ),
            AgentError::ReplyTooLarge => write!(
                f,
                "the agent's service sent a reply of more than {MAX_REPLY_BYTES} bytes"
            ),
        }
    }
}

impl std::error::Error for AgentError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AgentError::Unreachable(err) => Some(err),
            _ => None,
        }
    }
}

/// The built-in agent: the same question always gets the same answer, in the question's language
/// (Korean if it holds a Hangul syllable, else English). It knows a few of this course's topics.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineAgent;

/// `(keywords, Korean answer, English answer)`: the first entry with a keyword in the question wins.
const TOPICS: [(&[&str], &str, &str); 4] = [
    (
        &["트랜잭션", "transaction"],
        "트랜잭션은 여러 SQL 문을 하나로 묶어요: 모두 커밋되거나, 모두 롤백돼요.",
        "A transaction groups statements: all of them are committed, or all are rolled back.",
    ),
    (
        &["풀", "pool"],
        "커넥션 풀은 커넥션을 미리 열어 두고 빌려줬다가 반납받아요. 요청마다 새로 열지 않아요.",
        "A connection pool opens connections once, lends one per request and takes it back.",
    ),
    (
        &["바인딩", "binding", "injection"],
        "파라미터 바인딩을 쓰면 값이 SQL과 따로 전달돼서, 어떤 값도 SQL 문을 바꿀 수 없어요.",
        "With parameter binding the values travel apart from the SQL, so no value can change it.",
    ),
    (
        &["서버", "server"],
        "이 서버는 질문마다 먼저 답을 구하고, 질문과 답을 한 트랜잭션으로 저장해요.",
        "This server gets the answer first, then saves the question and the answer in one transaction.",
    ),
];

impl OfflineAgent {
    /// The answer, computed at once (the trait method wraps it in a future).
    pub fn reply(question: &str) -> String {
        let korean = question.chars().any(|c| ('가'..='힣').contains(&c));
        let lower = question.to_lowercase();
        let topic = TOPICS
            .iter()
            .find(|(keywords, _, _)| keywords.iter().any(|k| lower.contains(k)));
        let chars = question.chars().count();
        match (topic, korean) {
            (Some((_, ko, _)), true) => format!("(오프라인 에이전트) {ko}"),
            (Some((_, _, en)), false) => format!("(offline agent) {en}"),
            (None, true) => format!(
                "(오프라인 에이전트) {chars}자짜리 질문을 잘 받았어요. \
                 진짜 답을 원하면 AGENT=openai로 서버를 시작하세요."
            ),
            (None, false) => format!(
                "(offline agent) I got your question ({chars} characters). \
                 Start the server with AGENT=openai for real answers."
            ),
        }
    }
}

impl Agent for OfflineAgent {
    fn describe(&self) -> String {
        "offline (built in, deterministic)".to_string()
    }

    fn answer<'a>(&'a self, question: &'a str) -> AnswerFuture<'a> {
        Box::pin(async move { Ok(OfflineAgent::reply(question)) })
    }
}

/// Where an OpenAI-compatible service is and how to use it.
///
/// `Debug` never shows the API key, so an `OpenAiConfig` is safe to print.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API's base URL, up to and without `/chat/completions` (`LLM_BASE_URL`).
    pub base_url: String,
    /// The bearer token (`LLM_API_KEY`); empty for a local service that needs none.
    pub api_key: String,
    /// The model to ask (`LLM_MODEL`).
    pub model: String,
    /// How long one answer may take, connecting included.
    pub timeout: Duration,
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &shown_url(&self.base_url))
            .field(
                "api_key",
                &if self.api_key.is_empty() {
                    "<none>"
                } else {
                    "<hidden>"
                },
            )
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The defaults for `AGENT=openai`: OpenAI's own service and a small model.
pub const DEFAULT_LLM_BASE_URL: &str = "https://api.openai.com/v1";
/// See [`DEFAULT_LLM_BASE_URL`].
pub const DEFAULT_LLM_MODEL: &str = "gpt-4o-mini";
/// How long an answer may take unless `LLM_TIMEOUT_SECS` says otherwise.
pub const DEFAULT_LLM_TIMEOUT: Duration = Duration::from_secs(30);

/// An environment variable holds a value the server cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvError {
    /// The variable's name.
    pub variable: &'static str,
    /// What it holds.
    pub value: String,
    /// What it may hold.
    pub expected: &'static str,
}

impl fmt::Display for EnvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let EnvError {
            variable,
            value,
            expected,
        } = self;
        write!(f, "{variable} is {value:?}, but it must be {expected}")
    }
}

impl std::error::Error for EnvError {}

impl OpenAiConfig {
    /// `None` for the offline agent (`AGENT` unset or `offline`); for `AGENT=openai`, the service
    /// from `LLM_BASE_URL`, `LLM_API_KEY`, `LLM_MODEL` and `LLM_TIMEOUT_SECS`, with the defaults.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<OpenAiConfig>, EnvError> {
        match lookup("AGENT").as_deref().map(str::trim) {
            None | Some("" | "offline") => return Ok(None),
            Some("openai") => {}
            Some(other) => {
                return Err(EnvError {
                    variable: "AGENT",
                    value: other.to_string(),
                    expected: "`offline` (the default) or `openai`",
                });
            }
        }
        let timeout = match lookup("LLM_TIMEOUT_SECS") {
            None => DEFAULT_LLM_TIMEOUT,
            Some(value) => match value.trim().parse::<u64>() {
                Ok(secs) if secs > 0 => Duration::from_secs(secs),
                _ => {
                    return Err(EnvError {
                        variable: "LLM_TIMEOUT_SECS",
                        value,
                        expected: "a whole number of seconds, at least 1",
                    });
                }
            },
        };
        let base_url = lookup("LLM_BASE_URL").unwrap_or_else(|| DEFAULT_LLM_BASE_URL.to_string());
        if !is_http_url(&base_url) {
            return Err(EnvError {
                variable: "LLM_BASE_URL",
                // A URL may carry a key (`https://user:KEY@host`): not shown if it might.
                value: if base_url.contains('@') {
                    "<not shown: it holds an @>".to_string()
                } else {
                    base_url
                },
                expected: "an http:// or https:// URL with a host, such as https://api.openai.com/v1",
            });
        }
        Ok(Some(OpenAiConfig {
            base_url,
            api_key: lookup("LLM_API_KEY").unwrap_or_default(),
            model: lookup("LLM_MODEL").unwrap_or_else(|| DEFAULT_LLM_MODEL.to_string()),
            timeout,
        }))
    }
}

/// Whether `url` is an `http` or `https` URL with a host.
fn is_http_url(url: &str) -> bool {
    reqwest::Url::parse(url)
        .is_ok_and(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
}

/// `url` as it may be printed: a user name or password in it (`https://user:KEY@host`) is hidden.
pub fn shown_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed
                .as_str()
                .replacen("://", "://<credentials hidden>@", 1)
        }
        Ok(_) => url.to_string(),
        // Not a URL (from_lookup refuses these): nothing of it is shown.
        Err(_) => "<not a URL>".to_string(),
    }
}

/// A client for `POST {base_url}/chat/completions`.
pub struct OpenAiAgent {
    config: OpenAiConfig,
    http: reqwest::Client,
}

/// What the agent is told before each question.
const SYSTEM_PROMPT: &str = "You are the helpful agent of a course on databases. \
                             Answer briefly, in the language of the question.";

impl OpenAiAgent {
    /// A client with `config`'s timeout. Fails only if the TLS set-up cannot be built.
    pub fn new(config: OpenAiConfig) -> Result<OpenAiAgent, AgentError> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(AgentError::Unreachable)?;
        Ok(OpenAiAgent { config, http })
    }

    async fn ask(&self, question: &str) -> Result<String, AgentError> {
        let url = format!(
            "{}/chat/completions",
            self.config.base_url.trim_end_matches('/')
        );
        let request = json!({
            "model": self.config.model,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": question},
            ],
        });
        let mut call = self.http.post(url).json(&request);
        if !self.config.api_key.is_empty() {
            call = call.bearer_auth(&self.config.api_key);
        }
        let timeout = self.config.timeout;
        let failed = |err: reqwest::Error| {
            if err.is_timeout() {
                AgentError::Timeout(timeout)
            } else {
                AgentError::Unreachable(err)
            }
        };
        let mut reply = call.send().await.map_err(failed)?;
        if !reply.status().is_success() {
            return Err(AgentError::Status(reply.status().as_u16()));
        }
        // Read piece by piece, and stop at the cap: never the whole of whatever is sent.
        let mut body = Vec::new();
        while let Some(piece) = reply.chunk().await.map_err(failed)? {
            if body.len() + piece.len() > MAX_REPLY_BYTES {
                return Err(AgentError::ReplyTooLarge);
            }
            body.extend_from_slice(&piece);
        }
        let json: Value = serde_json::from_slice(&body)
            .map_err(|err| AgentError::Malformed(format!("not JSON ({err})")))?;
        // The answer is choices[0].message.content; anything else is not an answer.
        match json.pointer("/choices/0/message/content") {
            Some(Value::String(answer)) if !answer.trim().is_empty() => Ok(answer.clone()),
            Some(Value::String(_)) => Err(AgentError::Malformed("the answer is empty".into())),
            _ => Err(AgentError::Malformed(
                "no choices[0].message.content string".into(),
            )),
        }
    }
}

impl Agent for OpenAiAgent {
    fn describe(&self) -> String {
        format!(
            "openai-compatible, model {} at {}",
            self.config.model,
            shown_url(&self.config.base_url)
        )
    }

    fn answer<'a>(&'a self, question: &'a str) -> AnswerFuture<'a> {
        Box::pin(self.ask(question))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offline_agent_answers_in_the_language_of_the_question() {
        let korean = OfflineAgent::reply("트랜잭션이 뭐예요?");
        let english = OfflineAgent::reply("What is a transaction?");
        let other = OfflineAgent::reply("안녕하세요 😀");

        assert!(korean.contains("롤백"), "a Korean answer: {korean}");
        assert!(
            english.contains("rolled back"),
            "an English answer: {english}"
        );
        assert!(
            other.contains("7자짜리"),
            "counts characters, not bytes: {other}"
        );
    }

    #[test]
    fn the_offline_agent_gives_the_same_answer_to_the_same_question() {
        assert!(
            OfflineAgent::reply("What is a pool?") == OfflineAgent::reply("What is a pool?"),
            "deterministic answers"
        );
    }

    #[test]
    fn a_key_inside_the_base_url_is_never_shown() {
        let config = OpenAiConfig {
            base_url: "http://user:sk-in-the-url@127.0.0.1:9/v1".into(),
            api_key: String::new(),
            model: "m".into(),
            timeout: Duration::from_secs(1),
        };
        let agent = OpenAiAgent::new(config.clone()).unwrap();

        for shown in [format!("{config:?}"), agent.describe()] {
            assert!(
                !shown.contains("sk-in-the-url"),
                "the key is shown: {shown}"
            );
            assert!(
                shown.contains("127.0.0.1:9/v1"),
                "the service is not named: {shown}"
            );
        }
    }

    #[test]
    fn a_base_url_that_is_not_an_http_url_is_refused_at_start() {
        for bad in [
            "api.openai.com/v1",
            "ftp://host/v1",
            "http://",
            "https://user:sk-x@",
        ] {
            let lookup = |key: &str| match key {
                "AGENT" => Some("openai".to_string()),
                "LLM_BASE_URL" => Some(bad.to_string()),
                _ => None,
            };
            let result = OpenAiConfig::from_lookup(lookup);
            let Err(err) = result else {
                panic!("LLM_BASE_URL={bad:?} was accepted");
            };
            assert!(err.variable == "LLM_BASE_URL", "{err}");
            assert!(!err.to_string().contains("sk-x"), "the key is shown: {err}");
        }
    }

    #[test]
    fn debug_output_hides_the_api_key() {
        let config = OpenAiConfig {
            base_url: "http://127.0.0.1:9/v1".into(),
            api_key: "sk-very-secret-key".into(),
            model: "m".into(),
            timeout: Duration::from_secs(1),
        };
        let shown = format!("{config:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("<hidden>"), "{shown}");
    }
}
