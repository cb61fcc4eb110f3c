//! The course's claims about lesson 4's pool, checked against a finished run: what
//! `--check-targets` prints, and why it fails when one is missed. The report itself only reports.
//!
//! The direct call against HTTP for lesson 9's server is information, not a target: on 2 cores the
//! load generator takes its CPU from the server it measures.

use std::fmt::Write as _;

use crate::cases::{Case, Workload};
use crate::report::{Report, thousands};

/// The most lesson 4's pool may cost over a held connection on `SELECT 1` with one thread.
pub const LESSON4_MAX_RATIO: f64 = 1.15;

/// One claim, checked against one run.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCheck {
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured in this run.
    pub met: Option<bool>,
    pub detail: String,
}

/// Lesson 4's pool close to a held connection with one thread, and ahead of r2d2's defaults with
/// several threads (once per workload), each met, missed or not measured.
pub fn check(report: &Report) -> Vec<TargetCheck> {
    let many = report.settings.plan.max_threads();
    let threads = if many == 1 {
        "1 thread".to_string()
    } else {
        format!("{many} threads")
    };
    let mut checks = vec![verdict(
        format!(
            "lesson4 pool, 1 thread, SELECT 1: within {LESSON4_MAX_RATIO:.2}x of the held connection"
        ),
        report.find(Case::Lesson4, Workload::SelectOne, 1),
        report.find(Case::Held, Workload::SelectOne, 1),
        |pool, held| {
            let ratio = held.ops_per_sec() / pool.ops_per_sec();
            let detail = format!(
                "{ratio:.2}x ({} vs {} ops/s; medians {} vs {})",
                thousands(pool.ops_per_sec()),
                thousands(held.ops_per_sec()),
                crate::report::micros(pool.latency.median),
                crate::report::micros(held.latency.median),
            );
            (ratio <= LESSON4_MAX_RATIO, detail)
        },
    )];
    for &workload in &report.settings.plan.workloads {
        // With one thread only, "several threads" was not measured.
        let pair = |case| report.find(case, workload, many).filter(|_| many > 1);
        checks.push(verdict(
            format!(
                "lesson4 pool, {threads}, {}: at least r2d2 (defaults)'s throughput",
                workload.label()
            ),
            pair(Case::Lesson4),
            pair(Case::R2d2Defaults),
            |pool, r2d2| {
                let (a, b) = (pool.ops_per_sec(), r2d2.ops_per_sec());
                let detail = format!("{} vs {} ops/s ({:.2}x)", thousands(a), thousands(b), a / b);
                (a >= b, detail)
            },
        ));
    }
    checks
}

fn verdict<M>(
    target: String,
    measured: Option<M>,
    against: Option<M>,
    judge: impl FnOnce(M, M) -> (bool, String),
) -> TargetCheck {
    let (met, detail) = match (measured, against) {
        (Some(m), Some(a)) => {
            let (met, detail) = judge(m, a);
            (Some(met), detail)
        }
        _ => (None, "not measured in this run".to_string()),
    };
    TargetCheck {
        target,
        met,
        detail,
    }
}

/// The verdicts as the report's last block.
pub fn render(checks: &[TargetCheck]) -> String {
    let mut out = String::from("Targets\n");
    for check in checks {
        let verdict = match check.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "  -   ",
        };
        let _ = writeln!(out, "  [{verdict}] {}", check.target);
        let _ = writeln!(out, "           {}", check.detail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{measurement, report};

    #[test]
    fn targets_are_met_or_missed_by_the_numbers_and_unmeasured_ones_say_so() {
        use Case::*;
        let w = Workload::SelectOne;
        let r = report(vec![
            measurement(Held, w, 1, 20_000.0),
            measurement(Lesson4, w, 1, 18_000.0), // 1.11x: met
            measurement(R2d2Defaults, w, 1, 10_000.0),
            measurement(Held, w, 8, 30_000.0),
            measurement(Lesson4, w, 8, 9_000.0),
            measurement(R2d2Defaults, w, 8, 10_000.0), // lesson4 slower: missed
        ]);
        let checks = check(&r);
        let verdicts: Vec<Option<bool>> = checks.iter().map(|c| c.met).collect();
        assert_eq!(
            verdicts,
            vec![Some(true), Some(false)],
            "lesson4 at 1.11x of held is within 1.15x; at 0.9x r2d2's throughput it is behind: {checks:?}"
        );
        assert!(
            checks[0].detail.starts_with("1.11x"),
            "the detail should start with the ratio: {}",
            checks[0].detail
        );
        let text = render(&checks);
        assert!(
            text.contains("[met   ]") && text.contains("[MISSED]"),
            "each verdict is printed: {text}"
        );

        let empty = check(&report(vec![]));
        assert!(
            empty.iter().all(|c| c.met.is_none()),
            "with nothing measured no target can be met or missed: {empty:?}"
        );
    }

    #[test]
    fn with_one_thread_the_many_threads_target_is_not_measured_and_says_1_thread() {
        let mut r = report(vec![
            measurement(Case::Lesson4, Workload::SelectOne, 1, 18_000.0),
            measurement(Case::R2d2Defaults, Workload::SelectOne, 1, 10_000.0),
        ]);
        r.settings.plan.threads = vec![1];
        let checks = check(&r);
        assert!(
            checks[1]
                .target
                .starts_with("lesson4 pool, 1 thread, SELECT 1:"),
            "{}",
            checks[1].target
        );
        assert_eq!(checks[1].met, None, "{checks:?}");
    }

    #[test]
    fn the_server_and_a_connection_per_call_are_no_targets() {
        let r = report(vec![]);
        let checks = check(&r);
        assert_eq!(
            checks.len(),
            2,
            "one workload: lesson4 near held and against r2d2, nothing else: {checks:?}"
        );
        assert!(
            checks
                .iter()
                .all(|t| !t.target.contains("per call") && !t.target.contains("lesson9")),
            "{checks:?}"
        );
    }
}
