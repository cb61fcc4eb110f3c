//! Checks exercise 10a (`route_read`). Run against your version with
//! `cargo test -p lesson10 --features exercise --test suite exercises::`.
//!
//! These tests hand your function a stand-in replica that plays each situation exactly (lagging by
//! a given time, stopped, down) and notes every question asked: its clock moves only while your code
//! waits through it, so nothing here sleeps.

use std::time::Duration;

use lesson10::{Fallback, Gtid, Replica, ReplicaState, Route, route_read};
use shared::bilingual;

/// What the stand-in was asked, in order.
#[derive(Debug, Clone, PartialEq)]
enum Asked {
    State,
    WaitFor(String, Duration),
}

/// A replica that plays one situation.
struct StandIn {
    /// What `state()` answers; `None`: it fails, as a replica that is down.
    state: Option<ReplicaState>,
    /// How long after the read starts the replica has applied the user's write; `None`: never.
    applies_after: Option<Duration>,
    /// `wait_for` fails, as a replica that goes down during the wait.
    wait_fails: bool,
    /// The time spent waiting through this replica so far: its clock.
    waited: Duration,
    asked: Vec<Asked>,
}

impl StandIn {
    fn new(state: Option<ReplicaState>, applies_after: Option<Duration>) -> StandIn {
        StandIn {
            state,
            applies_after,
            wait_fails: false,
            waited: Duration::ZERO,
            asked: Vec::new(),
        }
    }

    fn waits(&self) -> usize {
        self.asked
            .iter()
            .filter(|asked| matches!(asked, Asked::WaitFor(..)))
            .count()
    }
}

fn down() -> mysql::Error {
    mysql::Error::IoError(std::io::Error::new(
        std::io::ErrorKind::ConnectionRefused,
        "the stand-in replica is down",
    ))
}

impl Replica for StandIn {
    fn state(&mut self) -> mysql::Result<ReplicaState> {
        self.asked.push(Asked::State);
        self.state.ok_or_else(down)
    }

    fn wait_for(&mut self, gtid: &Gtid, timeout: Duration) -> mysql::Result<bool> {
        self.asked
            .push(Asked::WaitFor(gtid.as_str().to_string(), timeout));
        if self.wait_fails {
            return Err(down());
        }
        match self.applies_after {
            Some(at) if self.waited >= at => Ok(true),
            Some(at) if self.waited + timeout >= at => {
                self.waited = at;
                Ok(true)
            }
            _ => {
                self.waited += timeout;
                Ok(false)
            }
        }
    }
}

const MAX_WAIT: Duration = Duration::from_millis(500);

fn minji_wrote() -> Gtid {
    Gtid::new("0-1-42")
}

/// The two users every situation is tried with: who they are (in English, in Korean), their last write.
fn users(gtid: &Gtid) -> [(&'static str, &'static str, Option<&Gtid>); 2] {
    [
        ("a user who wrote nothing", "쓴 것이 없는 사용자", None),
        ("a user who just wrote", "방금 쓴 사용자", Some(gtid)),
    ]
}

#[test]
fn a_user_who_wrote_nothing_is_served_by_the_replica_without_a_wait() {
    let mut replica = StandIn::new(Some(ReplicaState::Applying), None);

    let route = route_read(&mut replica, None, MAX_WAIT);

    assert!(
        route == Route::Replica,
        "{}",
        bilingual!(
            "got {route:?} for a user who wrote nothing, on a running replica; expected Replica: \
             there is no write of theirs to miss, and reads are what the replica is for",
            "쓴 것이 없는 사용자가 실행 중인 레플리카에서 받은 결과는 {route:?}입니다. 기대한 것은 Replica입니다. \
             그 사용자가 놓칠 쓰기가 없고, 읽기를 맡는 것이 레플리카의 일입니다"
        )
    );
    let waits = replica.waits();
    assert!(
        waits == 0,
        "{}",
        bilingual!(
            "the replica was asked to wait {waits} time(s) for a user who wrote nothing; expected 0: \
             there is nothing to wait for. Asked: {:?}",
            "쓴 것이 없는 사용자를 위해 레플리카에게 {waits}번 기다리라고 했습니다. 기대한 횟수는 0입니다. \
             기다릴 쓰기가 없습니다. 물은 것: {:?}",
            replica.asked
        )
    );
}

#[test]
fn a_caught_up_replica_serves_the_user_who_just_wrote_after_two_questions_at_most() {
    let mut replica = StandIn::new(Some(ReplicaState::Applying), Some(Duration::ZERO));
    let gtid = minji_wrote();

    let route = route_read(&mut replica, Some(&gtid), MAX_WAIT);

    assert!(
        route == Route::Replica,
        "{}",
        bilingual!(
            "got {route:?}; expected Replica: the replica has applied the user's last write ({gtid}) \
             already. Asked: {:?}",
            "받은 결과는 {route:?}입니다. 기대한 것은 Replica입니다. 레플리카는 사용자의 마지막 쓰기({gtid})를 \
             이미 적용했습니다. 물은 것: {:?}",
            replica.asked
        )
    );
    let asked = &replica.asked;
    assert!(
        asked.len() <= 2
            && asked
                .iter()
                .any(|asked| matches!(asked, Asked::WaitFor(about, _) if about == gtid.as_str())),
        "{}",
        bilingual!(
            "the replica was asked {asked:?}; expected at most two questions, one of them about the \
             user's write {gtid}: each question is a round trip added to every read",
            "레플리카에게 물은 것은 {asked:?}입니다. 기대한 것은 많아야 질문 두 번이고, 그중 하나는 사용자의 \
             쓰기 {gtid}에 관한 것입니다. 질문 하나하나가 모든 읽기에 더해지는 왕복입니다"
        )
    );
}

#[test]
fn a_lagging_replica_that_catches_up_within_the_wait_serves_the_read() {
    // The replica applies the write 200 ms into the read; the read may wait 500 ms.
    let mut replica = StandIn::new(
        Some(ReplicaState::Applying),
        Some(Duration::from_millis(200)),
    );
    let gtid = minji_wrote();

    let route = route_read(&mut replica, Some(&gtid), MAX_WAIT);

    assert!(
        route == Route::Replica,
        "{}",
        bilingual!(
            "got {route:?}; expected Replica: the replica applies the user's write 200 ms after the \
             read starts, well within the {MAX_WAIT:?} it may wait, but it only catches up while your \
             code waits for it (it waited {:?} in total). Asked: {:?}",
            "받은 결과는 {route:?}입니다. 기대한 것은 Replica입니다. 레플리카는 읽기가 시작되고 200 ms 뒤에 \
             사용자의 쓰기를 적용하므로 기다려도 되는 {MAX_WAIT:?} 안에 넉넉히 들어오지만, 여러분의 코드가 \
             레플리카를 기다리는 동안에만 따라잡습니다(기다린 시간은 모두 {:?}입니다). 물은 것: {:?}",
            replica.waited,
            replica.asked
        )
    );
}

#[test]
fn a_replica_too_far_behind_sends_the_read_to_the_primary_after_at_most_max_wait() {
    let mut replica = StandIn::new(Some(ReplicaState::Applying), None);
    let gtid = minji_wrote();

    let route = route_read(&mut replica, Some(&gtid), MAX_WAIT);

    assert!(
        route == Route::Primary(Fallback::TooFarBehind),
        "{}",
        bilingual!(
            "got {route:?}; expected Primary(TooFarBehind): the replica never applies the user's write \
             {gtid}, so only the primary has it. Asked: {:?}",
            "받은 결과는 {route:?}입니다. 기대한 것은 Primary(TooFarBehind)입니다. 레플리카는 사용자의 \
             쓰기({gtid})를 끝내 적용하지 않으므로, 그 쓰기는 프라이머리에만 있습니다. 물은 것: {:?}",
            replica.asked
        )
    );
    let waited = replica.waited;
    assert!(
        waited <= MAX_WAIT,
        "{}",
        bilingual!(
            "the read waited {waited:?} for the replica in total; expected at most max_wait, \
             {MAX_WAIT:?}: a user's page must not hang on a slow replica. Asked: {:?}",
            "읽기가 레플리카를 기다린 시간은 모두 {waited:?}입니다. 기대한 것은 많아야 max_wait({MAX_WAIT:?})입니다. \
             느린 레플리카 때문에 사용자의 페이지가 멈춰 있으면 안 됩니다. 물은 것: {:?}",
            replica.asked
        )
    );
}

#[test]
fn a_stopped_replica_serves_no_one_and_is_not_waited_for() {
    let gtid = minji_wrote();
    for (who, who_ko, last_write) in users(&gtid) {
        let mut replica = StandIn::new(Some(ReplicaState::Stopped), Some(Duration::ZERO));

        let route = route_read(&mut replica, last_write, MAX_WAIT);

        assert!(
            route == Route::Primary(Fallback::ReplicaStopped),
            "{}",
            bilingual!(
                "got {route:?} for {who}; expected Primary(ReplicaStopped): a replica whose \
                 replication is stopped falls further behind every second, for every user. Asked: {:?}",
                "{who_ko}에 대해 받은 결과는 {route:?}입니다. 기대한 것은 Primary(ReplicaStopped)입니다. 복제가 \
                 멈춘 레플리카는 모든 사용자에게 매초 더 뒤처집니다. 물은 것: {:?}",
                replica.asked
            )
        );
        let waits = replica.waits();
        assert!(
            waits == 0,
            "{}",
            bilingual!(
                "a stopped replica was asked to wait {waits} time(s) for {who}; expected 0: it applies \
                 nothing, so a wait would only spend the whole deadline before the same fallback. \
                 Asked: {:?}",
                "{who_ko}를 위해 멈춘 레플리카에게 {waits}번 기다리라고 했습니다. 기대한 횟수는 0입니다. 멈춘 \
                 레플리카는 아무것도 적용하지 않으므로, 기다려 봐야 주어진 시간을 다 쓴 뒤 똑같이 프라이머리로 \
                 갈 뿐입니다. 물은 것: {:?}",
                replica.asked
            )
        );
    }
}

#[test]
fn a_replica_that_cannot_tell_its_state_is_still_used_within_the_wait() {
    let gtid = minji_wrote();
    for (who, who_ko, last_write) in users(&gtid) {
        let mut replica = StandIn::new(
            Some(ReplicaState::Unknown),
            Some(Duration::from_millis(200)),
        );

        let route = route_read(&mut replica, last_write, MAX_WAIT);

        // What "used as a running one is" means for this user: only a user who wrote waits.
        let (served_en, served_ko) = match last_write {
            None => (
                "this user wrote nothing, so it serves the read at once, with no wait",
                "이 사용자는 쓴 것이 없으므로, 기다리지 않고 바로 읽기를 맡습니다",
            ),
            Some(_) => (
                "this user just wrote, and it applies that write 200 ms in, within the bounded wait",
                "이 사용자는 방금 썼고, 레플리카는 제한된 기다림 안인 200 ms 만에 그 쓰기를 적용합니다",
            ),
        };
        assert!(
            route == Route::Replica,
            "{}",
            bilingual!(
                "got {route:?} for {who}; expected Replica: a replica that cannot tell its state \
                 (Unknown) is still used, as a running one is ({served_en}). Unknown is not \
                 Stopped. Asked: {:?}",
                "{who_ko}에 대해 받은 결과는 {route:?}입니다. 기대한 것은 Replica입니다. 자기 상태를 알려 줄 수 없는 \
                 레플리카(Unknown)도 실행 중인 레플리카처럼 씁니다({served_ko}). Unknown은 Stopped가 \
                 아닙니다. 물은 것: {:?}",
                replica.asked
            )
        );
    }
}

#[test]
fn a_replica_that_does_not_answer_sends_the_read_to_the_primary() {
    let gtid = minji_wrote();
    for (who, who_ko, last_write) in users(&gtid) {
        let mut replica = StandIn::new(None, Some(Duration::ZERO));

        let route = route_read(&mut replica, last_write, MAX_WAIT);

        assert!(
            route == Route::Primary(Fallback::ReplicaDown),
            "{}",
            bilingual!(
                "got {route:?} for {who}, with a replica whose every answer is an error; expected \
                 Primary(ReplicaDown). Asked: {:?}",
                "모든 대답이 오류인 레플리카로 {who_ko}에 대해 받은 결과는 {route:?}입니다. 기대한 것은 \
                 Primary(ReplicaDown)입니다. 물은 것: {:?}",
                replica.asked
            )
        );
    }
}

#[test]
fn a_replica_that_fails_during_the_wait_sends_the_read_to_the_primary_as_down() {
    let mut replica = StandIn::new(Some(ReplicaState::Applying), Some(Duration::ZERO));
    replica.wait_fails = true;
    let gtid = minji_wrote();

    let route = route_read(&mut replica, Some(&gtid), MAX_WAIT);

    assert!(
        route == Route::Primary(Fallback::ReplicaDown),
        "{}",
        bilingual!(
            "got {route:?}; expected Primary(ReplicaDown): the replica answered its state, then failed \
             while the read waited for the user's write. An error is not a \"no\": it says nothing \
             about how far behind the replica is, only that it did not answer. Asked: {:?}",
            "받은 결과는 {route:?}입니다. 기대한 것은 Primary(ReplicaDown)입니다. 레플리카는 상태에는 대답했지만, \
             읽기가 사용자의 쓰기를 기다리는 동안 실패했습니다. 오류는 \"아니요\"가 아닙니다. 레플리카가 \
             얼마나 뒤처졌는지는 말해 주지 않고, 대답하지 않았다는 것만 말해 줍니다. 물은 것: {:?}",
            replica.asked
        )
    );
}
