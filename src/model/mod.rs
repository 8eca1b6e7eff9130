//! The model: the BERT encoder, its input builder, and the SQLova slot heads.

pub mod heads;
