//! What users touch: the command line and the question-answering applications on top of it.

pub mod ask;
pub mod cli;
pub mod data_cmd;
pub mod http;
pub mod predict;
pub mod repl;
pub mod session;
pub mod tune;
pub mod web;
