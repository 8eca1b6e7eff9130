//! Integration tests of the model's inputs and batches, encoder parity with the reference, and
//! execution-guided decoding. One binary per theme, so each links burn once.

#[path = "../support/mod.rs"]
mod support;

mod batch_shapes;
mod encoder_parity;
mod guided;
mod input;
