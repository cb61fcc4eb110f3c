//! The checks `create_user` makes before any SQL is sent. Given: you call them, you need not read
//! how they work.

use crate::UserError;

/// At most this many characters fit in `users.name` (`VARCHAR(100)` in the schema).
///
/// `VARCHAR(n)` counts characters, not bytes: 100 Korean syllables (300 bytes in UTF-8) or
/// 100 emoji (400 bytes) fit, 101 ASCII letters do not.
pub const MAX_NAME_CHARS: usize = 100;

/// At most this many characters fit in `users.email` (`VARCHAR(255)` in the schema).
pub const MAX_EMAIL_CHARS: usize = 255;

/// Checks a name before it is sent: not empty (or only spaces), at most [`MAX_NAME_CHARS`] characters.
pub fn validate_name(name: &str) -> Result<(), UserError> {
    validate_text("name", name, MAX_NAME_CHARS)
}

/// Checks an email before it is sent, so that the email a user sees is the email that identifies them.
///
/// Refused (as [`UserError::Invalid`]): an empty email; more than [`MAX_EMAIL_CHARS`] characters;
/// whitespace at either end; a control or invisible format character anywhere (Unicode categories
/// Cc and Cf: NUL, tab, zero-width space and joiner, bidirectional marks, the byte-order mark, ...).
/// The table's collation gives those characters no weight or ignores trailing spaces, so
/// `"plain@example.com\0"`, `"p\u{200B}lain@example.com"` or `"plain@example.com "` would find,
/// or collide with, `plain@example.com` while looking different in a log or a screen.
///
/// Deliberately no format check: the lecture's table stores any string, and a real check means
/// sending a mail. Which spellings count as the same email is the collation's rule (see the README).
pub fn validate_email(email: &str) -> Result<(), UserError> {
    validate_text("email", email, MAX_EMAIL_CHARS)?;
    let invalid = |reason: String| {
        Err(UserError::Invalid {
            field: "email",
            reason,
        })
    };
    if email.trim() != email {
        return invalid("it starts or ends with whitespace".to_string());
    }
    if let Some((at, c)) = email.char_indices().find(|&(_, c)| is_control_or_format(c)) {
        let position = email[..at].chars().count() + 1;
        return invalid(format!(
            "character {position} is the invisible or control character U+{:04X}",
            u32::from(c)
        ));
    }
    Ok(())
}

fn validate_text(field: &'static str, value: &str, max_chars: usize) -> Result<(), UserError> {
    if value.trim().is_empty() {
        return Err(UserError::Invalid {
            field,
            reason: "it is empty".to_string(),
        });
    }
    // Count characters as the server does for VARCHAR, not bytes (`len()` would reject 34 Korean syllables).
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(UserError::Invalid {
            field,
            reason: format!("it has {chars} characters, at most {max_chars} fit"),
        });
    }
    Ok(())
}

/// Unicode general category Cc (`char::is_control`) or Cf (the ranges below, Unicode 15.0).
fn is_control_or_format(c: char) -> bool {
    const FORMAT: [(u32, u32); 21] = [
        (0x00AD, 0x00AD),   // soft hyphen
        (0x0600, 0x0605),   // Arabic number signs
        (0x061C, 0x061C),   // Arabic letter mark
        (0x06DD, 0x06DD),   // Arabic end of ayah
        (0x070F, 0x070F),   // Syriac abbreviation mark
        (0x0890, 0x0891),   // Arabic pound and piastre marks above
        (0x08E2, 0x08E2),   // Arabic disputed end of ayah
        (0x180E, 0x180E),   // Mongolian vowel separator
        (0x200B, 0x200F), // zero-width space, non-joiner, joiner; left-to-right and right-to-left marks
        (0x202A, 0x202E), // bidirectional embeddings and overrides
        (0x2060, 0x2064), // word joiner, invisible operators
        (0x2066, 0x206F), // bidirectional isolates, deprecated format characters
        (0xFEFF, 0xFEFF), // zero-width no-break space (byte-order mark)
        (0xFFF9, 0xFFFB), // interlinear annotation
        (0x110BD, 0x110BD), // Kaithi number sign
        (0x110CD, 0x110CD), // Kaithi number sign above
        (0x13430, 0x1343F), // Egyptian hieroglyph format controls
        (0x1BCA0, 0x1BCA3), // shorthand format controls
        (0x1D173, 0x1D17A), // musical symbol format controls
        (0xE0001, 0xE0001), // language tag
        (0xE0020, 0xE007F), // tag characters
    ];
    let code = u32::from(c);
    c.is_control()
        || FORMAT
            .iter()
            .any(|&(first, last)| (first..=last).contains(&code))
}
