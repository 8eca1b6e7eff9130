//! Inference: slot scores → queries (greedy or execution-guided), batched prediction, answers.

pub mod decode;
pub mod predictor;
pub mod scores;
