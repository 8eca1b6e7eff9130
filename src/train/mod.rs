//! Training: labels from gold queries, the tokenized cache, losses and the training loop.

pub mod config;
pub mod loss;
pub mod plot;
