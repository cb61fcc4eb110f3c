//! Each user's data is theirs: a token per user, and every route about one user asks for it.
//!
//! * `POST /users` makes a token: 32 random bytes from the operating system's generator, shown once
//!   in the reply ([`issue_token`] gives one to a user made otherwise, in SQL). The table `user_tokens` keeps only its SHA-256.
//! * A request shows it as `Authorization: Bearer <token>`. [`Caller`] reads it with the user id
//!   of the path; [`authorize`] answers whether the token is that user's, in one statement.
//! * No token, or one that is no user's: 401. Another user's token: the same 404 as a user that
//!   does not exist, so that a token opens one user's data and says nothing about the others.
//!
//! Why SHA-256 and not a password hash (bcrypt, Argon2)? A password hash is slow on purpose, because
//! people choose guessable passwords. A token has 256 random bits: nobody can guess it, slowly or
//! fast, so one fast hash is enough to make a stolen table useless, and it costs no time per request.
//!
//! The comparison happens in the database, on the hash (`WHERE token_hash = ?`): how long it takes
//! depends on the hash of what was sent, which the sender knows already, never on a stored token.

use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use mysql::prelude::Queryable;
use sha2::{Digest, Sha256};

use crate::ApiError;

/// How many random bytes a token holds: 256 bits (at least 128 are needed so that no one can guess).
const TOKEN_BYTES: usize = 32;

/// The SHA-256 of a token: what the table stores and what a request is checked with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of `token`, as a request shows it.
    pub fn of(token: &str) -> TokenHash {
        TokenHash(Sha256::digest(token.as_bytes()).into())
    }

    /// The 32 bytes, as the column `user_tokens.token_hash` holds them.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

// Not the hash's bytes either: a log line has no use for them.
impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// A new token: 32 bytes from the operating system's generator, as 64 hex digits.
pub(crate) fn new_token() -> Result<String, ApiError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|err| ApiError::Internal(format!("no random bytes: {err}").into()))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Stores the hash of a token of `user_id`. Run it in the transaction that creates the user: a user
/// without a token could never be used.
pub(crate) fn store_token(
    conn: &mut impl Queryable,
    user_id: u64,
    hash: TokenHash,
) -> mysql::Result<()> {
    conn.exec_drop(
        "INSERT INTO user_tokens (token_hash, user_id) VALUES (?, ?)",
        (hash.0.to_vec(), user_id),
    )
}

/// A new token for an existing user `user_id`, stored: for scripts and tests that create users in
/// SQL (the API's `POST /users` makes the user and the token together).
pub fn issue_token(conn: &mut impl Queryable, user_id: u64) -> Result<String, ApiError> {
    let token = new_token()?;
    store_token(conn, user_id, TokenHash::of(&token)).map_err(ApiError::from_db)?;
    Ok(token)
}

/// The id of the user whose token has this hash, if any.
pub(crate) fn token_owner(
    conn: &mut impl Queryable,
    hash: TokenHash,
) -> Result<Option<u64>, ApiError> {
    conn.exec_first(
        "SELECT user_id FROM user_tokens WHERE token_hash = ?",
        (hash.0.to_vec(),),
    )
    .map_err(ApiError::from_db)
}

/// The token a request shows in `Authorization: Bearer <token>`, hashed at once. A request without
/// one is refused with 401 before any database work.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bearer(pub(crate) TokenHash);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Bearer, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        // The scheme's name is case-insensitive (RFC 9110); the token is whatever follows it.
        let token = header.and_then(|value| {
            let (scheme, token) = value.split_once(' ')?;
            let token = token.trim();
            (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
        });
        token
            .map(|token| Bearer(TokenHash::of(token)))
            .ok_or(ApiError::Unauthorized(
                "this route needs the header `Authorization: Bearer <token>`, with the token \
                 POST /users gave when the user was created",
            ))
    }
}

/// Who a request about one user claims to be: the user id of the path (`/users/{id}/...`) and the
/// hash of the token it shows. Nothing is checked yet: [`authorize`] does that.
///
/// 한 사용자에 관한 요청이 스스로 누구라고 하는지: 경로의 사용자 id(`/users/{id}/...`)와 요청이 보인
/// 토큰의 해시입니다. 아직 아무것도 확인하지 않았습니다. 확인은 [`authorize`]가 합니다.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// The user the request is about. / 요청이 다루는 사용자.
    pub user_id: u64,
    token: TokenHash,
}

impl Caller {
    /// The caller who claims to be `user_id`, showing `token`.
    pub fn new(user_id: u64, token: &str) -> Caller {
        Caller {
            user_id,
            token: TokenHash::of(token),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Caller, ApiError> {
        let axum::extract::Path(user_id) =
            axum::extract::Path::<u64>::from_request_parts(parts, state).await?;
        let Bearer(token) = Bearer::from_request_parts(parts, state).await?;
        Ok(Caller { user_id, token })
    }
}

/// Succeeds if the caller's token is their user's. Else [`ApiError::Unauthorized`] (401) for a
/// token that is no user's (none sent, mistyped, or its user deleted), and
/// [`ApiError::UserNotFound`] (404), the very answer a user that does not exist gets, for another
/// user's token. A database error is passed on as it is.
///
/// 호출자의 토큰이 그 사용자의 것이면 성공합니다. 아니면 어느 사용자의 것도 아닌 토큰(보내지 않았거나,
/// 잘못 입력했거나, 그 사용자가 삭제됨)은 401 [`ApiError::Unauthorized`]이고, 다른 사용자의 토큰은 없는
/// 사용자가 받는 것과 똑같은 404 [`ApiError::UserNotFound`]입니다. 데이터베이스 오류는 그대로 넘깁니다.
pub fn authorize(conn: &mut impl Queryable, caller: Caller) -> Result<(), ApiError> {
    match token_owner(conn, caller.token)? {
        None => Err(not_a_token()),
        Some(owner) if owner == caller.user_id => Ok(()),
        Some(_) => Err(ApiError::no_user(caller.user_id)),
    }
}

/// The 401 for a token that is no user's.
pub(crate) fn not_a_token() -> ApiError {
    ApiError::Unauthorized(
        "the token is not valid: use the one POST /users gave when the user was created \
         (a deleted user's token is gone with the user)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_token_always_has_the_same_hash_and_another_token_another() {
        assert!(
            TokenHash::of("abc") == TokenHash::of("abc"),
            "a hash must not change"
        );
        assert!(
            TokenHash::of("abc") != TokenHash::of("abd"),
            "two tokens, one hash"
        );
        assert!(
            format!("{:?}", TokenHash::of("abc")) == "TokenHash(..)",
            "a hash's bytes must not be printed"
        );
    }
}
