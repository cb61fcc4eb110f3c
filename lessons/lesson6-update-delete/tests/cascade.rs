//! What the schema's one cascade does for `delete_user`, on every tested server.
//!
//! conversations.reply_to has no foreign key of its own: MySQL 9.7 refuses a cascade through a table
//! that points at itself once a user has three exchanges (ERROR 6575), so a user with a real history
//! could not be deleted. This test keeps that from coming back.

use mysql::prelude::Queryable;
use shared::testing::{TestDb, insert_user};

#[test]
fn deleting_a_user_with_many_exchanges_removes_every_message_and_no_one_elses() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let leaving = insert_user(&mut conn, "Leaving", "leaving@example.com")?;
    let staying = insert_user(&mut conn, "Staying", "staying@example.com")?;
    for user in [leaving, staying] {
        for n in 0..10 {
            let question = conn
                .exec_iter(
                    "INSERT INTO conversations (user_id, role, content) VALUES (?, 'user', ?)",
                    (user, format!("question {n}")),
                )?
                .last_insert_id();
            conn.exec_drop(
                "INSERT INTO conversations (user_id, role, content, reply_to) VALUES (?, 'assistant', ?, ?)",
                (user, format!("answer {n}"), question),
            )?;
        }
    }

    lesson6::delete_user(&mut conn, leaving)
        .map_err(|err| anyhow::anyhow!("deleting a user with 10 exchanges failed: {err:?}"))?;

    let count = |conn: &mut mysql::Conn, user: u64| -> mysql::Result<Option<u64>> {
        conn.exec_first(
            "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
            (user,),
        )
    };
    let left = count(&mut conn, leaving)?;
    let others = count(&mut conn, staying)?;
    assert_eq!(
        left,
        Some(0),
        "the deleted user still has {left:?} messages; expected 0: the cascade on user_id should remove them"
    );
    assert_eq!(
        others,
        Some(20),
        "the other user has {others:?} messages; expected all 20 kept"
    );
    Ok(())
}
