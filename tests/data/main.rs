//! Integration tests of the data formats, the SQL layer and official scoring. One binary per
//! theme, so each links burn once.

#[path = "../support/mod.rs"]
mod support;

mod eval_gold;
mod family;
mod family_traps;
mod formats;
mod human_roundtrip;
mod sql_property;
mod xlsx;
