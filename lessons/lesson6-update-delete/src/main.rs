//! `cargo run -p lesson6`: rename a user, try a taken email and a missing id, delete the user and
//! watch their conversations go with them.

use lesson6::UserError;
use mysql::prelude::Queryable;

/// The demo's own users. An earlier run's are deleted first, so every run starts the same.
const NAME: &str = "이서연";
const EMAIL: &str = "seoyeon.lee.lesson6@example.com";
const OTHER_NAME: &str = "최우진";
const OTHER_EMAIL: &str = "woojin.choi.lesson6@example.com";

fn conversations_of(conn: &mut mysql::Conn, user_id: u64) -> mysql::Result<u64> {
    let count: Option<u64> = conn.exec_first(
        "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
        (user_id,),
    )?;
    Ok(count.unwrap_or(0))
}

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let mut conn = shared::connect(&config)?;
    println!("Connected to {}/{}.", config.address(), config.database);

    for email in [EMAIL, OTHER_EMAIL] {
        if let Some(old) = lesson2::get_user_by_email(&mut conn, email)? {
            lesson6::delete_user(&mut conn, old.id)?;
            println!(
                "Clean-up: deleted {} (id {}) left by an earlier run.",
                old.email, old.id
            );
        }
    }

    let id = lesson2::create_user(&mut conn, NAME, EMAIL)?;
    let other = lesson2::create_user(&mut conn, OTHER_NAME, OTHER_EMAIL)?;
    conn.exec_drop(
        "INSERT INTO conversations (user_id, role, content) VALUES (?, 'user', ?)",
        (id, "서울 날씨 어때?"),
    )?;
    let question = conn.last_insert_id();
    conn.exec_drop(
        "INSERT INTO conversations (user_id, role, content, reply_to) VALUES (?, 'assistant', ?, ?)",
        (id, "맑고 따뜻해요.", question),
    )?;
    println!("Created {NAME} (id {id}) with 2 messages, and {OTHER_NAME} (id {other}).\n");

    println!("update_user_name({id}, \"이서연 (Seoyeon)\")");
    lesson6::update_user_name(&mut conn, id, "이서연 (Seoyeon)")?;
    let renamed = lesson2::get_user_by_email(&mut conn, EMAIL)?.expect("the user exists");
    println!("  -> Ok; the name is now {}", renamed.name);

    println!("\nupdate_user_name({id}, \"이서연 (Seoyeon)\")  -- the name it already has");
    let same = conn.exec_iter(
        "UPDATE users SET name = ? WHERE id = ?",
        ("이서연 (Seoyeon)", id),
    )?;
    println!(
        "  the server says {:?}, affected_rows = {}",
        same.info_str(),
        same.affected_rows()
    );
    drop(same);
    lesson6::update_user_name(&mut conn, id, "이서연 (Seoyeon)")?;
    println!("  -> Ok, not NotFound: 0 rows changed, but the user exists");

    println!("\nupdate_user_email({id}, {OTHER_EMAIL:?})  -- {OTHER_NAME}'s email");
    match lesson6::update_user_email(&mut conn, id, OTHER_EMAIL) {
        Err(err @ UserError::EmailTaken { .. }) => println!("  -> handled EmailTaken: {err}"),
        other => anyhow::bail!("expected EmailTaken, got {other:?}"),
    }
    let unchanged = lesson2::get_user_by_email(&mut conn, EMAIL)?.expect("the user exists");
    println!("  the email is still {}", unchanged.email);

    let missing = id + 1_000_000;
    println!("\nupdate_user_name({missing}, \"Nobody\")  -- an id nobody has");
    match lesson6::update_user_name(&mut conn, missing, "Nobody") {
        Err(err @ UserError::NotFound { .. }) => println!("  -> handled NotFound: {err}"),
        other => anyhow::bail!("expected NotFound, got {other:?}"),
    }

    println!(
        "\ndelete_user({id})  -- {} message(s) of this user before",
        conversations_of(&mut conn, id)?
    );
    lesson6::delete_user(&mut conn, id)?;
    println!(
        "  -> Ok; {} message(s) left: ON DELETE CASCADE removed them with the user",
        conversations_of(&mut conn, id)?
    );

    println!("\ndelete_user({id})  -- again");
    match lesson6::delete_user(&mut conn, id) {
        Err(err @ UserError::NotFound { .. }) => println!("  -> handled NotFound: {err}"),
        other => anyhow::bail!("expected NotFound, got {other:?}"),
    }

    lesson6::delete_user(&mut conn, other)?;
    println!("\nClean-up: deleted {OTHER_NAME} (id {other}).");
    Ok(())
}
