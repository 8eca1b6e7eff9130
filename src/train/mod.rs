//! Training: slot labels, the tokenized cache, the training loop.

pub mod cache;
pub mod cache_build;
pub mod labels;
pub mod value_span;
