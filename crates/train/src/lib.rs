//! Training: labels from gold queries, the tokenized cache, losses, the training loop
//! ([`trainer::Trainer`]) and its entry point ([`run::run`], the `train` command).

pub mod cache;
pub mod cache_build;
mod cache_family;
pub mod checkpoint;
pub mod config;
pub mod distill;
pub mod family_labels;
pub mod labels;
pub mod loss;
pub mod loss_family;
pub mod metrics;
pub mod plot;
pub mod run;
pub mod trainer;
pub mod val;
pub mod value_span;

pub use run::run;
