//! The routes: each handler reads the request, calls a lesson's function through [`AppState::db`],
//! and turns the result into JSON. No SQL here but the reads no earlier lesson has (a user by id,
//! by token, the two messages of a saved exchange). Every route about one user takes a [`Caller`]
//! and starts its database work with [`authorize`] (src/auth.rs).

use axum::extract::{FromRequest, FromRequestParts, RawQuery, Request, State};
use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDateTime;
use lesson2::User;
use lesson7::Conversation;
use lesson8::Exchange;
use mysql::prelude::Queryable;
use mysql::{Conn, TxOpts};
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::auth::{
    Bearer, Caller, TokenHash, authorize, new_token, not_a_token, store_token, token_owner,
};
use crate::{ApiError, AppState, chat};

/// The chat page: HTML, its script and its style, plain files compiled into the binary.
const CHAT_PAGE: &str = include_str!("../static/index.html");
const CHAT_JS: &str = include_str!("../static/chat.js");
const CHAT_CSS: &str = include_str!("../static/chat.css");

/// What the browser may load and run on the chat page: this server's own files and API, nothing
/// inline, nothing from elsewhere. A message that slipped into the page as HTML could run nothing.
const CHAT_PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The most messages `GET /users/{id}/conversations` returns, and how many without `?limit=`.
const MAX_LIMIT: u32 = 100;
const DEFAULT_LIMIT: u32 = 20;

/// All the routes of the contract (see the README), over `state`.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(chat_page))
        .route(
            "/chat.js",
            get(|| async { ([(CONTENT_TYPE, "text/javascript; charset=utf-8")], CHAT_JS) }),
        )
        .route(
            "/chat.css",
            get(|| async { ([(CONTENT_TYPE, "text/css; charset=utf-8")], CHAT_CSS) }),
        )
        .route("/health", get(health))
        .route("/users", post(create_user).get(find_user))
        .route(
            "/users/{id}",
            get(get_user).patch(update_user).delete(delete_user),
        )
        .route("/users/{id}/chat", post(post_chat))
        .route("/users/{id}/conversations", get(conversations))
        .fallback(|| async {
            ApiError::Request {
                status: StatusCode::NOT_FOUND,
                message: "no such route".to_string(),
            }
        })
        .method_not_allowed_fallback(|| async {
            ApiError::Request {
                status: StatusCode::METHOD_NOT_ALLOWED,
                message: "this route does not take that method".to_string(),
            }
        })
        .layer(axum::middleware::map_response(no_sniffing))
        .with_state(state)
}

async fn chat_page() -> impl IntoResponse {
    (
        [(CONTENT_SECURITY_POLICY, CHAT_PAGE_POLICY)],
        Html(CHAT_PAGE),
    )
}

/// Every response: a browser must take the declared content type as it is (a JSON error is never
/// read as a script or a page).
async fn no_sniffing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

// axum's own extractors, whose rejections answer in JSON like every other error.

/// A JSON body that must be an object: serde would also fill a struct from an array of its
/// fields in order (`["Mina", "mina@example.com"]`), which is not the contract.
struct AppJson<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AppJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(object) = Json::<Map<String, Value>>::from_request(request, state).await?;
        serde_json::from_value(Value::Object(object))
            .map(AppJson)
            .map_err(|err| ApiError::Request {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                message: format!("Failed to deserialize the JSON body into the target type: {err}"),
            })
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
struct Query<T>(T);

/// A user, as the API shows it: `{id, name, email, created_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserJson {
    /// `users.id`.
    pub id: u64,
    /// The name.
    pub name: String,
    /// The email, unique.
    pub email: String,
    /// When the user was created, in the database's time zone; JSON `"YYYY-MM-DDTHH:MM:SS"`.
    pub created_at: NaiveDateTime,
}

impl From<User> for UserJson {
    fn from(user: User) -> UserJson {
        UserJson {
            id: user.id,
            name: user.name,
            email: user.email,
            created_at: user.created_at,
        }
    }
}

/// A message, as the API shows it: `{id, role, content, reply_to, created_at}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// `conversations.id`.
    pub id: u64,
    /// `"user"` for a question, `"assistant"` for an answer.
    pub role: String,
    /// The text.
    pub content: String,
    /// For an answer, the question's id; `null` for a question.
    pub reply_to: Option<u64>,
    /// When it was stored, in the database's time zone; JSON `"YYYY-MM-DDTHH:MM:SS"`.
    pub created_at: NaiveDateTime,
}

impl From<Conversation> for Message {
    fn from(row: Conversation) -> Message {
        Message {
            id: row.id,
            role: row.role.as_str().to_string(),
            content: row.content,
            reply_to: row.reply_to,
            created_at: row.created_at,
        }
    }
}

/// What `POST /users` answers: the new user and, this once, its token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUserJson {
    /// The user, as every other route shows it.
    #[serde(flatten)]
    pub user: UserJson,
    /// What the user shows as `Authorization: Bearer <token>` from now on. Only its hash is stored:
    /// nobody, the server included, can show it again.
    pub token: String,
}

// Written by hand: a `{:?}` in a log line or a failed assertion must not print the token.
impl std::fmt::Debug for NewUserJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserJson")
            .field("user", &self.user)
            .field("token", &"..")
            .finish()
    }
}

/// What `POST /users/{id}/chat` answers: the two stored messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatReply {
    /// The user's question, as stored.
    pub question: Message,
    /// The agent's answer, as stored (`reply_to` = the question's id).
    pub answer: Message,
    /// The GTID of the transaction that stored them, when the primary's reply carried one: what
    /// the user's next read waits for on a replica. Not part of the JSON.
    #[serde(skip)]
    pub written: Option<lesson10::Gtid>,
}

/// Reads back the two rows `save_exchange` stored, with the ids and times the server gave them.
pub fn read_exchange(conn: &mut Conn, saved: Exchange) -> Result<ChatReply, ApiError> {
    // Before the SELECT, whose reply replaces the COMMIT's: that one carried the GTID.
    let written = lesson10::gtid::tracked_gtid(conn);
    let rows: Vec<Conversation> = conn
        .exec(
            "SELECT id, user_id, role, content, reply_to, created_at FROM conversations \
             WHERE id IN (?, ?) ORDER BY id",
            (saved.question_id, saved.answer_id),
        )
        .map_err(ApiError::from_db)?;
    let mut rows = rows.into_iter().map(Message::from);
    match (rows.next(), rows.next()) {
        (Some(question), Some(answer)) => Ok(ChatReply {
            question,
            answer,
            written,
        }),
        _ => Err(ApiError::Internal(
            "a committed exchange is not in the table".into(),
        )),
    }
}

/// Lesson 2's `get_user_by_email` finds a user by email; the API also needs one by id.
fn user_by_id(conn: &mut impl Queryable, id: u64) -> Result<UserJson, ApiError> {
    let user: Option<User> = conn
        .exec_first(
            "SELECT id, name, email, created_at FROM users WHERE id = ?",
            (id,),
        )
        .map_err(ApiError::from_db)?;
    user.map(UserJson::from)
        .ok_or_else(|| ApiError::no_user(id))
}

/// The user whose token has this hash, if any.
fn user_by_token(
    conn: &mut impl Queryable,
    token: TokenHash,
) -> Result<Option<UserJson>, ApiError> {
    match token_owner(conn, token)? {
        Some(id) => user_by_id(conn, id).map(Some),
        None => Ok(None),
    }
}

async fn health(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state
        .db(|conn| conn.ping().map_err(ApiError::from_db))
        .await?;
    let Some(replica) = state.replica.clone() else {
        return Ok(Json(json!({"status": "ok"})));
    };
    // The replica's trouble is reported, never a failure: the primary serves every read then.
    let replica = tokio::task::spawn_blocking(move || replica.health())
        .await
        .map_err(|panicked| ApiError::Internal(panicked.into()))?;
    Ok(Json(json!({"status": "ok", "replica": replica})))
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    email: String,
}

async fn create_user(
    State(state): State<AppState>,
    AppJson(new): AppJson<NewUser>,
) -> Result<(StatusCode, Json<NewUserJson>), ApiError> {
    let NewUser { name, email } = new;
    // Made here, and only its hash goes to the database; the hash also finds out, after a lost
    // COMMIT, whether this very request's user was stored.
    let token = new_token()?;
    let hash = TokenHash::of(&token);
    let note_write = state.note_write();
    let created = state
        .db(move |conn| {
            // The user and their token together: a user without a token could never be used.
            // A connection lost before the COMMIT rolls both back: 503, try again.
            let mut tx = conn
                .start_transaction(TxOpts::default())
                .map_err(ApiError::from_db)?;
            let id = lesson2::create_user(&mut tx, &name, &email)?;
            store_token(&mut tx, id, hash).map_err(ApiError::from_db)?;
            let user = user_by_id(&mut tx, id)?;
            match tx.commit() {
                // The COMMIT was sent and its answer lost: the server may have applied it.
                Err(err) if shared::is_connection_lost(&err) => Err(ApiError::OutcomeUnknown(err)),
                other => other.map_err(ApiError::from_db),
            }?;
            note_write(id, conn);
            Ok(user)
        })
        .await;
    match created {
        Ok(user) => Ok((StatusCode::CREATED, Json(NewUserJson { user, token }))),
        // Never "try again" for something that may be done: ask the table, on a new connection.
        Err(ApiError::OutcomeUnknown(lost)) => {
            match state.db(move |conn| user_by_token(conn, hash)).await {
                Ok(Some(user)) => Ok((StatusCode::CREATED, Json(NewUserJson { user, token }))),
                // Not there (yet), or the table cannot be read: the COMMIT may still be applied.
                Ok(None) | Err(_) => Err(ApiError::OutcomeUnknown(lost)),
            }
        }
        Err(err) => Err(err),
    }
}

#[derive(Deserialize)]
struct ByEmail {
    email: String,
}

/// `GET /users?email=`: the user with this email, to the holder of their token only. Open to
/// anyone, it would tell who uses the service; with the token, it is how the chat page signs in
/// (an email and a token).
async fn find_user(
    State(state): State<AppState>,
    Bearer(token): Bearer,
    RawQuery(raw): RawQuery,
    Query(query): Query<ByEmail>,
) -> Result<Json<UserJson>, ApiError> {
    // Decoding would turn bytes that are not UTF-8 into U+FFFD, which a stored email may hold.
    if let Some(raw) = raw
        && percent_decode_str(&raw).decode_utf8().is_err()
    {
        return Err(ApiError::Request {
            status: StatusCode::BAD_REQUEST,
            message: "the query string is not UTF-8 once percent-decoded".to_string(),
        });
    }
    let email = query.email;
    // The rules of creation: an email that cannot be stored cannot be found (no look-alikes).
    lesson2::validate_email(&email)?;
    let user = state
        .db(move |conn| {
            let owner = token_owner(conn, token)?.ok_or_else(not_a_token)?;
            // Another user's email is answered like an email nobody has.
            match lesson2::get_user_by_email(conn, &email)? {
                Some(user) if user.id == owner => Ok(user),
                _ => Err(ApiError::UserNotFound(format!(
                    "no user has the email {email:?}"
                ))),
            }
        })
        .await?;
    Ok(Json(user.into()))
}

async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<UserJson>, ApiError> {
    let user = state
        .db(move |conn| {
            authorize(conn, caller)?;
            user_by_id(conn, caller.user_id)
        })
        .await?;
    Ok(Json(user))
}

#[derive(Deserialize)]
struct UserChanges {
    name: Option<String>,
    email: Option<String>,
}

async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(changes): AppJson<UserChanges>,
) -> Result<Json<UserJson>, ApiError> {
    if changes.name.is_none() && changes.email.is_none() {
        return Err(ApiError::Invalid {
            field: "name",
            reason: "give a new name, a new email, or both".to_string(),
        });
    }
    let id = caller.user_id;
    let user = state
        .db(move |conn| {
            authorize(conn, caller)?;
            // Both changes or neither: a taken email must not leave the new name behind.
            let mut tx = conn
                .start_transaction(TxOpts::default())
                .map_err(ApiError::from_db)?;
            if let Some(name) = &changes.name {
                lesson6::update_user_name(&mut tx, id, name)?;
            }
            if let Some(email) = &changes.email {
                lesson6::update_user_email(&mut tx, id, email)?;
            }
            let user = user_by_id(&mut tx, id)?;
            tx.commit().map_err(ApiError::from_db)?;
            Ok(user)
        })
        .await?;
    Ok(Json(user))
}

async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    let note_write = state.note_write();
    state
        .db(move |conn| {
            authorize(conn, caller)?;
            // The user's tokens go with the user (ON DELETE CASCADE).
            lesson6::delete_user(conn, caller.user_id)?;
            note_write(caller.user_id, conn);
            Ok(())
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Question {
    question: String,
}

async fn post_chat(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<Question>,
) -> Result<(StatusCode, Json<ChatReply>), ApiError> {
    // `chat` checks the token itself, as its first database step (the exercise).
    let reply = chat(&state, caller, body.question).await?;
    if let (Some(replica), Some(written)) = (&state.replica, &reply.written) {
        replica.note(caller.user_id, written.clone());
    }
    Ok((StatusCode::CREATED, Json(reply)))
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<u32>,
}

async fn conversations(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<Limit>,
) -> Result<Json<Vec<Message>>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::Invalid {
            field: "limit",
            reason: format!("it is {limit}, it must be from 1 to {MAX_LIMIT}"),
        });
    }
    let messages = state
        .read_db(caller.user_id, move |conn| {
            // The token's row exists only while its user does: no other check of the user needed.
            authorize(conn, caller)?;
            Ok(lesson7::get_recent_conversations(
                conn,
                caller.user_id,
                limit,
            )?)
        })
        .await?;
    Ok(Json(messages.into_iter().map(Message::from).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_shows_its_time_as_date_t_time_in_whole_seconds() {
        let stored = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
            .and_then(|day| day.and_hms_opt(9, 5, 7))
            .unwrap();
        let message = Message {
            id: 1,
            role: "user".to_string(),
            content: "안녕".to_string(),
            reply_to: None,
            created_at: stored,
        };
        let json = serde_json::to_value(&message).unwrap();
        assert_eq!(json["created_at"], "2026-12-02T09:05:07", "{json}");
    }

    #[test]
    fn a_new_users_debug_form_shows_the_user_and_never_the_token() {
        let created = NewUserJson {
            user: UserJson {
                id: 7,
                name: "Ada".to_string(),
                email: "ada@example.com".to_string(),
                created_at: NaiveDateTime::default(),
            },
            token: "5ec7e7".repeat(10),
        };
        let shown = format!("{created:?}");
        assert!(
            shown.contains("ada@example.com") && !shown.contains("5ec7e7"),
            "the Debug form of a new user must not print its token: {shown}"
        );
    }
}
