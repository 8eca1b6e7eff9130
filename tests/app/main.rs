//! Integration tests of what users run: `ask`, own tables, the web app (HTTP and a real
//! browser), command-line errors, README's links and examples. One binary per theme, so each
//! links burn once.

#[path = "../support/mod.rs"]
mod support;

mod ask;
mod browser;
mod cli_errors;
mod install;
mod own_tables;
mod postgres;
mod query_limits;
mod readme;
mod shown_sql;
mod web;
mod web_uploads;
mod xlsx;
