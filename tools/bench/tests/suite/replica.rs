//! Lesson 10's read case against a real primary and replica, with tiny numbers: every case runs its
//! operations and the table shows each. Without a replica it says SKIPPED and passes
//! (unless DB_REPLICA_HOST or DB_REPLICA_PORT names one: then it fails).

use bench::replica::{self, ReadCase};
use shared::testing::ReplicaTestDb;

#[test]
fn the_read_case_runs_every_way_of_reading_and_reports_each() -> anyhow::Result<()> {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return Ok(());
    };

    let measurements = replica::run(&db, 6, 3, 2, 1)?;

    let cases: Vec<ReadCase> = measurements.iter().map(|m| m.case).collect();
    assert_eq!(cases, ReadCase::ALL, "one measurement per case, in order");
    for m in &measurements {
        assert_eq!(
            m.summary.count, 6,
            "{:?} measured {} ops",
            m.case, m.summary.count
        );
    }
    let unrouted = measurements
        .iter()
        .filter(|m| {
            matches!(
                m.case,
                ReadCase::ReplicaNoWrite | ReadCase::ReplicaOwnWriteApplied
            )
        })
        .map(|m| m.served_by_primary)
        .sum::<usize>();
    assert_eq!(unrouted, 0, "a caught-up replica sent reads to the primary");
    let table = replica::render("MariaDB", &measurements);
    for case in ReadCase::ALL {
        assert!(
            table.contains(case.label()),
            "the table lacks {}:\n{table}",
            case.label()
        );
    }
    Ok(())
}
