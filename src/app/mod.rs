//! What users touch: the command line (and, on top of it, the question-answering application).

pub mod cli;
pub mod data_cmd;
