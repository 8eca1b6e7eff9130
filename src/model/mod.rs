//! The model: tokenizer input, BERT encoder, slot heads.

pub mod input;
