//! Lesson 7's functions through lesson 4's pool, from several threads at once: the way a server
//! would call them. Not an exercise test: it checks the pool and the functions together.

use lesson7::{Role, get_recent_conversations, save_answer, save_question};
use shared::testing::TestDb;

#[test]
fn exchanges_saved_from_four_threads_through_a_pool_of_two_all_arrive_with_their_user()
-> anyhow::Result<()> {
    const THREADS: usize = 4;
    const EXCHANGES: usize = 10;
    let db = TestDb::new()?;
    let pool = lesson4::Pool::new(db.opts(), 2)?;
    let users: Vec<u64> = (0..THREADS)
        .map(|t| {
            let name = format!("pooled{t}");
            lesson2::create_user(&mut pool.get()?, &name, &format!("{name}@example.com"))
                .map_err(anyhow::Error::from)
        })
        .collect::<anyhow::Result<_>>()?;

    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = users
            .iter()
            .map(|&user_id| {
                let pool = &pool;
                scope.spawn(move || -> anyhow::Result<()> {
                    for i in 0..EXCHANGES {
                        // A checkout per request; the guard goes back to the pool at the end of the loop body.
                        let mut conn = pool.get()?;
                        let question_id = save_question(&mut conn, user_id, &format!("q{i}"))?;
                        save_answer(&mut conn, user_id, question_id, &format!("a{i}"))?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a worker panicked")?;
        }
        Ok(())
    })?;

    for &user_id in &users {
        let all = get_recent_conversations(&mut pool.get()?, user_id, 100)?;
        assert_eq!(all.len(), 2 * EXCHANGES, "user {user_id}");
        assert!(
            all.iter().all(|m| m.user_id == user_id),
            "user {user_id}: {all:?}"
        );
        // Newest first: the last answer, then its question.
        assert_eq!(
            (
                all[0].role,
                all[0].content.as_str(),
                all[1].content.as_str()
            ),
            (Role::Assistant, "a9", "q9")
        );
        assert_eq!(all[0].reply_to, Some(all[1].id));
    }
    assert_eq!(
        pool.state().connections,
        2,
        "no connection was lost or added"
    );
    Ok(())
}
