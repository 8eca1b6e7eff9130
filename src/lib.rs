//! What users touch: the command line and the question-answering applications on top of it.

pub mod ask;
pub mod backend;
pub mod cli;
pub mod data_cmd;
pub mod eval_cmd;
pub mod locate;
pub mod predict;
pub mod prepare;
pub mod repl;
pub mod session;
pub mod tune;
pub mod web;
