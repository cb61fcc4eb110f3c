//! What a [`UserError`] says. Each error says its own part once: the driver's error behind
//! [`UserError::Db`] is its `source()`, which the program's edge prints as the next link of the
//! chain (anyhow's `Caused by:`), so it is not repeated here.

use std::fmt;

use crate::UserError;

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserError::Invalid { field, reason } => {
                write!(f, "invalid {field}: {reason}. Correct it and try again.")
            }
            UserError::EmailTaken { email } => write!(
                f,
                "the email {email:?} is already registered. Look the user up with it, or use another email."
            ),
            UserError::NotFound { id } => write!(
                f,
                "no user has id {id} (never created, or deleted since). Look the user up again by email."
            ),
            UserError::Db(_) => f.write_str("the database could not complete the user operation"),
        }
    }
}

impl std::error::Error for UserError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UserError::Db(err) => Some(err),
            _ => None,
        }
    }
}
