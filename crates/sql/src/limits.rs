//! Time limits on the queries run against a user's database: a table can be a view that never
//! ends (a recursive CTE), and guided decoding runs up to dozens of candidate queries for one
//! answer. Each statement gets the sooner of its own limit and what is left of its answer's budget.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// How long queries may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Longest one statement may run.
    pub per_query: Duration,
    /// Longest all the statements of one answer (guided decoding's candidates) may run together.
    pub per_answer: Duration,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            per_query: Duration::from_millis(2000),
            per_answer: Duration::from_millis(10_000),
        }
    }
}

/// A statement stopped by a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueryTimeout {
    #[error("query stopped: it ran over the time limit of {} ms per query (--query-timeout-ms)", .0.as_millis())]
    Query(Duration),
    #[error("query stopped: this answer's queries ran over their time budget of {} ms (--answer-timeout-ms)", .0.as_millis())]
    Answer(Duration),
}

/// When the statement about to run must stop, and which limit says so.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    pub at: Instant,
    /// The error a statement stopped there gets.
    pub reason: QueryTimeout,
}

impl Deadline {
    /// Time left before the deadline (zero once it has passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }
}

/// An executor's limits and its current answer's budget.
#[derive(Debug, Default)]
pub struct Clock {
    limits: Option<QueryLimits>,
    answer_until: Cell<Option<Instant>>,
}

impl Clock {
    pub fn new(limits: Option<QueryLimits>) -> Self {
        Self {
            limits,
            answer_until: Cell::new(None),
        }
    }

    /// Starts an answer's budget: the statements from now on share [`QueryLimits::per_answer`].
    pub fn begin_answer(&self) {
        self.answer_until
            .set(self.limits.map(|l| Instant::now() + l.per_answer));
    }

    /// The deadline of a statement starting now (`None`: no limits).
    pub fn deadline(&self) -> Option<Deadline> {
        let limits = self.limits?;
        let own = Deadline {
            at: Instant::now() + limits.per_query,
            reason: QueryTimeout::Query(limits.per_query),
        };
        Some(match self.answer_until.get() {
            Some(at) if at < own.at => Deadline {
                at,
                reason: QueryTimeout::Answer(limits.per_answer),
            },
            _ => own,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sooner_limit_applies() {
        assert!(Clock::new(None).deadline().is_none());
        let clock = Clock::new(Some(QueryLimits {
            per_query: Duration::from_secs(5),
            per_answer: Duration::from_millis(10),
        }));
        assert!(matches!(
            clock.deadline().unwrap().reason,
            QueryTimeout::Query(_)
        ));
        clock.begin_answer();
        let d = clock.deadline().unwrap();
        assert_eq!(d.reason, QueryTimeout::Answer(Duration::from_millis(10)));
        std::thread::sleep(Duration::from_millis(15));
        assert!(d.passed());
        assert!(d.reason.to_string().contains("10 ms"));
    }
}
