//! SQL: naming, value semantics, the assembler (Query → executable SQL + parameters), the display
//! form, WikiSQL's human-readable strings, and execution.

pub mod human;
pub mod naming;
pub mod value;
