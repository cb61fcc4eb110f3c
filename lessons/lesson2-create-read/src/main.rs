//! `cargo run -p lesson2`: register a user, read it back, and see a duplicate email rejected.

use lesson2::UserError;
use mysql::prelude::Queryable;

/// This demo's own user. Only this row is removed at the start, so the demo can run again and again
/// without touching anyone else's rows.
const NAME: &str = "김민수";
const EMAIL: &str = "minsu.kim.lesson2@example.com";

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let mut conn = shared::connect(&config)?;
    println!("Connected to {}/{}.", config.address(), config.database);

    let autocommit: Option<u8> = conn.query_first("SELECT @@autocommit")?;
    println!(
        "@@autocommit = {} (each statement is committed as soon as it succeeds)",
        autocommit.unwrap_or(0)
    );

    // Start from the same state every time: the row an earlier run left behind goes first.
    // (Deleting is lesson 6's topic; here it is only the demo's clean-up.)
    let removed = conn
        .exec_iter("DELETE FROM users WHERE email = ?", (EMAIL,))?
        .affected_rows();
    println!("Clean-up: removed {removed} row(s) left by an earlier run.");

    println!("\ncreate_user({NAME:?}, {EMAIL:?})");
    let id = lesson2::create_user(&mut conn, NAME, EMAIL)?;
    println!("  -> new id {id}, saved without conn.commit()");

    println!("\nget_user_by_email({EMAIL:?})");
    let user = lesson2::get_user_by_email(&mut conn, EMAIL)?.expect("the user was just created");
    println!(
        "  -> id {}, name {}, email {}, created_at {}",
        user.id, user.name, user.email, user.created_at
    );

    println!("\nget_user_by_email(\"nobody@example.com\")");
    println!(
        "  -> {:?}",
        lesson2::get_user_by_email(&mut conn, "nobody@example.com")?
    );

    // The collation decides which spellings are the same email: letter case is not a difference.
    let other_spelling = EMAIL.to_uppercase();
    println!("\nget_user_by_email({other_spelling:?})  -- the same email for the server");
    match lesson2::get_user_by_email(&mut conn, &other_spelling)? {
        Some(found) => println!(
            "  -> id {}, email {} (as first stored)",
            found.id, found.email
        ),
        None => anyhow::bail!("expected the collation to find {EMAIL}"),
    }

    println!("\ncreate_user(\"김민수 (twin)\", {EMAIL:?})  -- the same email again");
    match lesson2::create_user(&mut conn, "김민수 (twin)", EMAIL) {
        Err(err @ UserError::EmailTaken { .. }) => println!("  -> handled EmailTaken: {err}"),
        other => anyhow::bail!("expected EmailTaken, got {other:?}"),
    }

    println!("\ncreate_user(\"\", \"empty.name@example.com\")  -- rejected before any SQL");
    match lesson2::create_user(&mut conn, "", "empty.name@example.com") {
        Err(err @ UserError::Invalid { .. }) => println!("  -> handled Invalid: {err}"),
        other => anyhow::bail!("expected Invalid, got {other:?}"),
    }

    // A zero-width space is invisible, and the collation would ignore it: refused before any SQL.
    let hidden = EMAIL.replacen('.', "\u{200B}.", 1);
    println!("\ncreate_user({NAME:?}, {hidden:?})  -- an invisible character inside");
    match lesson2::create_user(&mut conn, NAME, &hidden) {
        Err(err @ UserError::Invalid { .. }) => println!("  -> handled Invalid: {err}"),
        other => anyhow::bail!("expected Invalid, got {other:?}"),
    }
    Ok(())
}
