//! Official WikiSQL scoring: logical form (LF), execution (EX) and per-slot accuracies, the
//! prediction file format, and the report the `eval` command prints; and the query family's
//! execution scorer ([`family`]) with its per-shape report ([`family_report`]).

pub mod family;
pub mod family_report;
pub mod predictions;
pub mod report;
pub mod run;
pub mod score;

pub use predictions::{read_predictions, write_predictions, Prediction, PredictionLine};
pub use report::{format_report, EvalReport, ExampleScore};
pub use run::{run_eval, score_example, score_predictions};
pub use score::{logical_form_match, results_match, slot_matches, values_equal, SlotMatches};
