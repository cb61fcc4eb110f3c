//! [`ApiError`]: every way a request can fail, as an HTTP status and a JSON body
//! `{"error": code, "message": text}`.
//!
//! The lessons' errors become `ApiError`s through `From`, each with a `match` that names every
//! variant: when a lesson adds a variant, this file stops compiling until the new case has a status.
//!
//! The body's message is the error's own text only ([`fmt::Display`]), never its cause: the cause of
//! a database error may quote the server's message or SQL, so it goes to the server's log instead.

use std::error::Error as StdError;
use std::fmt;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lesson2::UserError;
use lesson5::PoolError;
use lesson7::ConversationError;
use lesson8::ExchangeError;
use serde_json::{Value, json};

use crate::agent::AgentError;

/// How many seconds a client is asked to wait (`Retry-After`) when the database is unavailable.
pub const RETRY_AFTER_SECS: u64 = 2;

/// Any error, with what the server's log needs from it.
pub type BoxError = Box<dyn StdError + Send + Sync>;

/// Why a request failed. [`ApiError::status`] and [`ApiError::code`] say how the client sees it.
///
/// 요청이 실패한 이유입니다. 클라이언트에게 어떻게 보이는지는 [`ApiError::status`]와 [`ApiError::code`]가 말합니다.
#[derive(Debug)]
pub enum ApiError {
    /// 422: an input is missing, empty or too long. / 입력이 없거나, 비었거나, 너무 깁니다.
    Invalid {
        /// Which input: `"name"`, `"email"`, `"question"`, `"limit"`. / 어느 입력인지.
        field: &'static str,
        /// What is wrong with it. / 무엇이 잘못되었는지.
        reason: String,
    },
    /// 401 with `WWW-Authenticate: Bearer`: the request shows no token, or one that is no user's.
    /// / 요청에 토큰이 없거나, 어느 사용자의 것도 아닌 토큰입니다.
    Unauthorized(&'static str),
    /// 404: no user has this id or email (or the token shown is another user's: the same answer).
    /// / 이 id나 이메일을 가진 사용자가 없습니다(보인 토큰이 다른 사용자의 것일 때도 같은 답).
    UserNotFound(String),
    /// 409: another user has this email.
    EmailTaken(String),
    /// 502: the agent gave no usable answer; nothing was stored.
    /// / 에이전트가 쓸 수 있는 답을 주지 않았습니다. 아무것도 저장되지 않았습니다.
    Agent(AgentError),
    /// 503 with `Retry-After`: the database is down, restarting, or every pooled connection is busy.
    /// / 데이터베이스가 멈췄거나, 다시 시작하는 중이거나, 풀의 커넥션이 모두 사용 중입니다.
    Unavailable(BoxError),
    /// 503 without `Retry-After`: the connection was lost after a write was sent (an exchange's
    /// `COMMIT`, a new user's `INSERT`), so it may or may not be stored. Asking again at once could
    /// store it twice.
    /// / 쓰기를 보낸 뒤(대화의 `COMMIT`, 새 사용자의 `INSERT`) 커넥션이 끊겨, 저장되었는지 알 수 없습니다.
    /// 바로 다시 요청하면 두 번 저장될 수 있습니다.
    OutcomeUnknown(mysql::Error),
    /// 500: a bug or a state the code does not expect. Details in the server's log only.
    Internal(BoxError),
    /// 400, 415 or 422 from axum's extractors: malformed JSON, a wrong content type, a bad path
    /// or query; 404 or 405 from the router's fallbacks: no such route, or not that method.
    /// `message` quotes the request at most, never the server's state.
    Request {
        /// The status axum (or the fallback) chose.
        status: StatusCode,
        /// axum's description (or the fallback's).
        message: String,
    },
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::UserNotFound(_) => StatusCode::NOT_FOUND,
            ApiError::EmailTaken(_) => StatusCode::CONFLICT,
            ApiError::Agent(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) | ApiError::OutcomeUnknown(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Request { status, .. } => *status,
        }
    }

    /// The body's `error` field: a stable code a client can `match` on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Invalid { .. } => "invalid",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::UserNotFound(_) => "user_not_found",
            ApiError::EmailTaken(_) => "email_taken",
            ApiError::Agent(_) => "agent_failed",
            ApiError::Unavailable(_) => "db_unavailable",
            ApiError::OutcomeUnknown(_) => "outcome_unknown",
            ApiError::Internal(_) => "internal",
            ApiError::Request { status, .. } => match *status {
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::REQUEST_TIMEOUT => "request_timeout",
                StatusCode::UNPROCESSABLE_ENTITY => "invalid",
                _ => "bad_request",
            },
        }
    }

    /// 404 for user `id`.
    pub fn no_user(id: u64) -> ApiError {
        ApiError::UserNotFound(format!("no user has id {id}"))
    }

    /// A database error: 503 if the connection or the server is gone (the client may try again
    /// later), else 500.
    pub fn from_db(err: mysql::Error) -> ApiError {
        /// `ER_CON_COUNT_ERROR`: the server's `max_connections` are all taken.
        const TOO_MANY_CONNECTIONS: u16 = 1040;
        let busy = matches!(&err, mysql::Error::MySqlError(e) if e.code == TOO_MANY_CONNECTIONS);
        if busy || shared::is_connection_lost(&err) {
            ApiError::Unavailable(err.into())
        } else {
            ApiError::Internal(err.into())
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Invalid { field, reason } => write!(f, "invalid {field}: {reason}"),
            ApiError::Unauthorized(message) => f.write_str(message),
            ApiError::UserNotFound(message) => f.write_str(message),
            ApiError::EmailTaken(email) => {
                write!(f, "the email {email:?} is already registered")
            }
            ApiError::Agent(err) => write!(f, "the agent failed, nothing was stored: {err}"),
            ApiError::Unavailable(_) => write!(
                f,
                "the database is unavailable right now; try again in {RETRY_AFTER_SECS} s"
            ),
            ApiError::OutcomeUnknown(_) => f.write_str(
                "the database connection was lost while saving: it may or may not be stored. \
                 Look before trying again (reload the conversation; a new user's email answers \
                 409 if the user was stored).",
            ),
            ApiError::Internal(_) => {
                f.write_str("internal error; the server's log has the details")
            }
            ApiError::Request { message, .. } => f.write_str(message),
        }
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            // The agent's error is part of the message (it holds no secret), so it is not a source.
            ApiError::Invalid { .. }
            | ApiError::Unauthorized(_)
            | ApiError::UserNotFound(_)
            | ApiError::EmailTaken(_)
            | ApiError::Agent(_)
            | ApiError::Request { .. } => None,
            ApiError::Unavailable(err) | ApiError::Internal(err) => Some(err.as_ref()),
            ApiError::OutcomeUnknown(err) => Some(err),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut body = json!({"error": self.code(), "message": self.to_string()});
        if status.is_server_error() {
            // The whole chain, for the operator: "<status> <code>: <own part>; caused by: <source> ...".
            let mut log = format!("{} {}: {self}", status.as_u16(), self.code());
            let mut cause = self.source();
            while let Some(err) = cause {
                log.push_str(&format!("; caused by: {err}"));
                cause = err.source();
            }
            // The same id in the user's error and in the log line: what a user reports can be found.
            let request_id = crate::serve::current_request_id();
            tracing::error!(request_id, "{log}");
            if let Some(id) = request_id {
                body["request_id"] = Value::String(id);
            }
        }
        let body = Json(body);
        if matches!(self, ApiError::Unavailable(_)) {
            let retry = [(header::RETRY_AFTER, RETRY_AFTER_SECS.to_string())];
            (status, retry, body).into_response()
        } else if matches!(self, ApiError::Unauthorized(_)) {
            // What a client must send (RFC 6750): a bearer token.
            (status, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response()
        } else {
            (status, body).into_response()
        }
    }
}

impl From<UserError> for ApiError {
    fn from(err: UserError) -> ApiError {
        match err {
            UserError::Invalid { field, reason } => ApiError::Invalid { field, reason },
            UserError::EmailTaken { email } => ApiError::EmailTaken(email),
            UserError::NotFound { id } => ApiError::no_user(id),
            UserError::Db(err) => ApiError::from_db(err),
        }
    }
}

impl From<ConversationError> for ApiError {
    fn from(err: ConversationError) -> ApiError {
        match err {
            ConversationError::TooLong { bytes } => ApiError::Invalid {
                field: "question",
                reason: format!(
                    "it is {bytes} bytes long, at most {} fit",
                    lesson7::MAX_CONTENT_BYTES
                ),
            },
            ConversationError::UnknownUser { user_id } => ApiError::no_user(user_id),
            // The answer replies to the question just saved in the same transaction: it exists,
            // is a question of this user, and has no answer yet. Anything else is a bug.
            err @ (ConversationError::UnknownQuestion { .. }
            | ConversationError::NotAQuestion { .. }
            | ConversationError::AnotherUsersQuestion { .. }
            | ConversationError::AlreadyAnswered { .. }) => ApiError::Internal(err.into()),
            // Lost inside lesson 8's transaction, before its commit: the server rolled it back.
            ConversationError::ConnectionLost(err) => ApiError::Unavailable(err.into()),
            ConversationError::Db(err) => ApiError::from_db(err),
        }
    }
}

impl From<ExchangeError> for ApiError {
    fn from(err: ExchangeError) -> ApiError {
        match err {
            ExchangeError::Begin(err) => ApiError::from_db(err),
            ExchangeError::Question(err) => err.into(),
            // The agent's answer does not fit: the agent failed, not the client.
            ExchangeError::Answer(ConversationError::TooLong { bytes }) => {
                ApiError::Agent(AgentError::TooLong { bytes })
            }
            ExchangeError::Answer(err) => err.into(),
            ExchangeError::Commit(err) if shared::is_connection_lost(&err) => {
                ApiError::OutcomeUnknown(err)
            }
            ExchangeError::Commit(err) => ApiError::from_db(err),
        }
    }
}

impl From<PoolError> for ApiError {
    fn from(err: PoolError) -> ApiError {
        match err {
            PoolError::InvalidSettings(_) => ApiError::Internal(err.into()),
            // No connection within the checkout timeout: the server is down or every one is busy.
            PoolError::Build(_) | PoolError::Timeout { .. } => ApiError::Unavailable(err.into()),
        }
    }
}

impl From<AgentError> for ApiError {
    fn from(err: AgentError) -> ApiError {
        ApiError::Agent(err)
    }
}

/// axum's extractor errors, as JSON like every other error. A body that stopped coming before the
/// server's body timeout (src/serve.rs) is 408, where axum would say 400.
macro_rules! from_rejection {
    ($($rejection:ty),*) => {$(
        impl From<$rejection> for ApiError {
            fn from(rejection: $rejection) -> ApiError {
                let mut cause = StdError::source(&rejection);
                while let Some(err) = cause {
                    if err.is::<tower_http::timeout::TimeoutError>() {
                        return ApiError::Request {
                            status: StatusCode::REQUEST_TIMEOUT,
                            message: "the request's body did not arrive in time".to_string(),
                        };
                    }
                    cause = err.source();
                }
                ApiError::Request { status: rejection.status(), message: rejection.body_text() }
            }
        }
    )*};
}
from_rejection!(JsonRejection, PathRejection, QueryRejection);
