//! Integration tests of training: labels, the cache, overfitting a few examples, resuming after
//! a kill (determinism has its own binary). One binary per theme, so each links burn once.

#[path = "../support/mod.rs"]
mod support;

mod cache;
mod distill;
mod labels;
mod overfit;
mod resume;
mod train_only;
