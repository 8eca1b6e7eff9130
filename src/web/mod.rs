//! `sqlcoder serve`: a small web app over one database and one model.
//!
//! `GET /` is the page (`/app.js`, `/app.css` beside it); `GET /api/tables` lists table ids,
//! `GET /api/tables/<id>` shows a table's header and first rows, `POST /api/ask {"table",
//! "question"}` answers, `POST /api/upload?name=…` (the file as the body, [`intake`]) and `POST
//! /api/csv {"name", "text"}` load a CSV file as a new table under a random id ([`uploads`],
//! docs/uploads.md); `GET /healthz` and `GET /metrics` are for operators. The HTTP
//! front ([`server`]) bounds what a client may send or hold; at most `--workers` answers run the
//! one shared model at once ([`app`]), each on a read-only database connection from a pool. Bad
//! requests get a 4xx status and `{"error": "…"}`.

pub mod app;
pub mod intake;
pub mod limits;
mod memory;
pub mod metrics;
pub mod reply;
pub mod server;
pub mod uploads;

pub use app::WebApp;
pub use limits::{AccessToken, Limits};
pub use server::{start, RunningServer, ServerConfig};

use crate::session::{AnswererArgs, DbArgs};
use anyhow::{bail, Context, Result};
use clap::Args;
use sqlcoder_sql::Executor;
use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (0.0.0.0 to accept other machines; needs --token-file, see also
    /// --allow-host).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Also accept requests whose Host (and Origin) is this name (repeatable); by default only
    /// the served address (and localhost when serving on loopback) is accepted.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// A file holding the access token that clients send as `Authorization: Bearer <token>`
    /// (required when --host is not a loopback address).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Answers computed at once (each runs the shared model) [default: CPU cores].
    #[arg(long)]
    pub workers: Option<usize>,
    /// With --sqlite: the table to serve.
    #[arg(long)]
    pub table: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub answerer: AnswererArgs,
}

/// Whether every address `host` names is a loopback address.
fn is_loopback(host: &str, port: u16) -> Result<bool> {
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve --host {host}"))?
        .collect();
    Ok(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()))
}

pub fn run(args: &ServeArgs) -> Result<()> {
    let token = args
        .token_file
        .as_deref()
        .map(AccessToken::from_file)
        .transpose()?;
    if token.is_none() && !is_loopback(&args.host, args.port)? {
        bail!(
            "--host {} listens beyond loopback: give --token-file FILE (a secret that clients \
             send as Authorization: Bearer <token>)",
            args.host
        );
    }
    // Check the tables before the (slower) model load.
    let workers = args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let app = if let Some(conn) = &args.db.postgres {
        let name = args.table.as_deref();
        drop(args.db.open_table(name)?);
        let answerer = args.answerer.load()?;
        WebApp::with_postgres(answerer, conn, name, workers)?
    } else {
        let own = args.db.own_table(args.table.as_deref())?;
        let db = match own {
            Some(_) => None,
            None => {
                let db = args.db.resolve()?;
                drop(Executor::open(&db)?.table_ids()?);
                Some(db)
            }
        };
        let answerer = args.answerer.load()?;
        match (own, db) {
            (Some((memory, _)), _) => WebApp::with_memory(answerer, memory, workers)?,
            (None, Some(db)) => WebApp::new(answerer, &db, workers)?,
            (None, None) => unreachable!("a database is resolved when there is no own table"),
        }
    };
    let app = Arc::new(app.with_query_limits(args.db.query_limits()));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
    let n_tables = app.ids().len();
    let addr = format!("{}:{}", args.host, args.port);
    let config = ServerConfig {
        allow_hosts: args.allow_hosts.clone(),
        token,
        stop_on_signals: true,
        ..Default::default()
    };
    let server = start(app, &addr, config)?;
    eprintln!(
        "serving {n_tables} tables on http://{}/ with {workers} workers (Ctrl-C to stop)",
        server.addr()
    );
    if args.allow_hosts.is_empty() && server.addr().ip().is_unspecified() {
        eprintln!(
            "warning: serving on all interfaces without --allow-host: any Host header is accepted"
        );
    }
    server.wait();
    eprintln!("stopped");
    Ok(())
}
