//! Inference: slot scores → queries (greedy or execution-guided), batched prediction, answers.

pub mod answer;
pub mod baseline;
pub mod decide;
pub mod decode;
pub mod family_decode;
pub mod fitting;
pub mod guided;
pub mod mentioned;
pub mod scorer;
pub mod scores;
pub mod sketch;
pub mod snap;
pub mod split;
pub mod testing;
pub mod tune;
pub mod tuned;

pub use answer::{Answer, Answerer};
pub use decide::{decide, AnswerOptions, Decision};
