//! `sqlcoder serve`: a small web app over one database and one model.
//!
//! `GET /` is the page (`/app.js`, `/app.css` beside it); `GET /api/tables` lists table ids,
//! `GET /api/tables/<id>` shows a table's header and first rows, `POST /api/ask {"table",
//! "question"}` answers, `POST /api/csv {"name", "text"}` loads a CSV file's text as a new
//! table (`csv-<n>`, held in memory; the oldest of [`MAX_UPLOADS`] is forgotten first). Requests are answered concurrently (the HTTP front, [`super::http`],
//! gives each connection a thread and bounds what a client may send or hold); at most
//! `workers` answers run the model at once, sharing the one read-only model, and each takes a
//! read-only database connection from a pool. Bad requests get a 4xx status and `{"error": "…"}`.

use super::http::{self, Handler, Limits, Request, Response, RunningServer};
use super::session::{answer_json, check_id, closest_ids, AnswererArgs, DbArgs};
use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};
use sqlcoder_data::csv::{parse_csv, TableLimits};
use sqlcoder_data::Table;
use sqlcoder_infer::Answerer;
use sqlcoder_model::input::InputError;
use sqlcoder_sql::own::MemoryDb;
use sqlcoder_sql::{Executor, QueryLimits};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

const PAGE: &str = include_str!("web_page.html");
const SCRIPT: &str = include_str!("web_app.js");
const STYLE: &str = include_str!("web_app.css");
/// Largest `/api/ask` body (a question and a table id are far smaller).
const MAX_ASK_BODY: usize = 64 * 1024;
/// Largest `/api/csv` body (the CSV text inside JSON).
const MAX_CSV_BODY: usize = 2 << 20;
/// Uploaded tables held at once.
pub const MAX_UPLOADS: usize = 32;
/// Bounds on an uploaded table.
const UPLOAD_LIMITS: TableLimits = TableLimits {
    max_rows: 20_000,
    max_columns: 64,
    max_cell_chars: 1_000,
};
/// Rows a table preview returns.
const PREVIEW_ROWS: usize = 10;
/// The page loads only its own script and style and talks only to this server; no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (0.0.0.0 to accept other machines; see --allow-host).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Also accept requests whose Host (and Origin) is this name (repeatable); by default only
    /// the served address (and localhost when serving on loopback) is accepted.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
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

/// A counting semaphore: at most `n` holders at once.
struct Permits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Permits {
    fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
            }
            *free -= 1;
        }
        // Give the permit back even if `f` panics.
        struct Release<'a>(&'a Permits);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        f()
    }
}

/// Where the served tables are: a database file, a user's own table in memory, or a
/// PostgreSQL server (its connection string).
enum DbSource {
    File(PathBuf),
    Memory(Box<MemoryDb>),
    Postgres(String),
}

impl DbSource {
    fn open(&self) -> Result<Executor> {
        match self {
            DbSource::File(db) => Executor::open(db),
            DbSource::Memory(m) => m.executor(),
            DbSource::Postgres(conn) => Executor::open_postgres(conn),
        }
    }
}

/// Read-only connections to one database, reused across requests (each is used by one thread
/// at a time: SQLite connections are not shared).
/// At most one connection per concurrent request is ever open (for PostgreSQL, a few).
struct ExecutorPool {
    db: DbSource,
    limits: QueryLimits,
    idle: Mutex<Vec<Executor>>,
}

impl ExecutorPool {
    fn with<T>(&self, f: impl FnOnce(&Executor) -> Result<T>) -> Result<T> {
        let taken = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let exec = match taken {
            Some(e) => e,
            None => self.db.open()?.with_limits(self.limits),
        };
        let out = f(&exec);
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(exec);
        out
    }
}

/// A table loaded through `/api/csv`, with its own in-memory database.
struct Upload {
    table: Arc<Table>,
    db: MemoryDb,
}

/// Uploaded tables, oldest first.
#[derive(Default)]
struct Uploads {
    next: u64,
    held: Vec<(String, Arc<Upload>)>,
}

/// The app's state: the model, the database, and tables already read from it. Shared by every
/// connection thread.
pub struct WebApp {
    answerer: Answerer,
    pool: ExecutorPool,
    ids: Vec<String>,
    tables: Mutex<HashMap<String, Arc<Table>>>,
    uploads: Mutex<Uploads>,
    permits: Permits,
}

impl WebApp {
    /// The app over the database `db`, computing at most `workers` answers at once.
    pub fn new(answerer: Answerer, db: &Path, workers: usize) -> Result<Self> {
        Self::over(answerer, DbSource::File(db.to_path_buf()), workers)
    }

    /// The app over a user's own tables held in memory.
    pub fn with_memory(answerer: Answerer, db: MemoryDb, workers: usize) -> Result<Self> {
        Self::over(answerer, DbSource::Memory(Box::new(db)), workers)
    }

    /// The app over the table `table` (or every table) of a PostgreSQL server.
    pub fn with_postgres(
        answerer: Answerer,
        conn: &str,
        table: Option<&str>,
        workers: usize,
    ) -> Result<Self> {
        let mut app = Self::over(answerer, DbSource::Postgres(conn.to_string()), workers)?;
        if let Some(name) = table {
            app.ids = vec![name.to_string()];
        }
        Ok(app)
    }

    /// Time limits on every query this app runs.
    pub fn with_query_limits(mut self, limits: QueryLimits) -> Self {
        self.pool.limits = limits;
        self.pool
            .idle
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self
    }

    fn over(answerer: Answerer, db: DbSource, workers: usize) -> Result<Self> {
        let limits = QueryLimits::default();
        let exec = db.open()?.with_limits(limits);
        let ids = exec.table_ids()?;
        Ok(Self {
            answerer,
            pool: ExecutorPool {
                db,
                limits,
                idle: Mutex::new(vec![exec]),
            },
            ids,
            tables: Mutex::new(HashMap::new()),
            uploads: Mutex::new(Uploads::default()),
            permits: Permits::new(workers),
        })
    }

    fn upload(&self, id: &str) -> Option<Arc<Upload>> {
        let uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        uploads
            .held
            .iter()
            .find(|(i, _)| i == id)
            .map(|(_, u)| Arc::clone(u))
    }

    /// The table ids served.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    fn table(&self, id: &str) -> std::result::Result<Arc<Table>, Response> {
        if let Err(e) = check_id(id) {
            return Err(Response::error(400, format!("{e:#}")));
        }
        if let Some(upload) = self.upload(id) {
            return Ok(Arc::clone(&upload.table));
        }
        if let Some(t) = self
            .tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
        {
            return Ok(Arc::clone(t));
        }
        if !self.ids.iter().any(|t| t == id) {
            let close = closest_ids(id, &self.ids, 3).join(", ");
            return Err(Response::error(
                404,
                format!("unknown table id {id:?}; did you mean {close}?"),
            ));
        }
        let table = self
            .pool
            .with(|exec| exec.table(id))
            .map(Arc::new)
            .map_err(|e| Response::error(500, format!("{e:#}")))?;
        self.tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), Arc::clone(&table));
        Ok(table)
    }

    fn preview(&self, id: &str) -> Response {
        match self.table(id) {
            Ok(t) => json_response(200, preview_json(&t)),
            Err(reply) => reply,
        }
    }

    /// `POST /api/csv {"name", "text"}`: the CSV becomes table `csv-<n>`.
    fn load_csv(&self, body: &[u8]) -> Response {
        let request: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return Response::error(
                    400,
                    format!("the body must be JSON {{\"name\": …, \"text\": …}}: {e}"),
                )
            }
        };
        let Some(text) = request.get("text").and_then(Value::as_str) else {
            return Response::error(400, "the body needs a string field \"text\"");
        };
        let name: String = request
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("upload.csv")
            .chars()
            .take(100)
            .collect();
        let id = {
            let mut uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
            uploads.next += 1;
            format!("csv-{}", uploads.next)
        };
        let loaded = parse_csv(&id, &name, text.as_bytes(), &UPLOAD_LIMITS).and_then(|table| {
            let db = MemoryDb::build(&[&table], Path::new(&name))?;
            Ok(Upload {
                table: Arc::new(table),
                db,
            })
        });
        let upload = match loaded {
            Ok(u) => Arc::new(u),
            Err(e) => return Response::error(400, format!("{e:#}")),
        };
        let mut body = preview_json(&upload.table);
        body["name"] = json!(name);
        let mut uploads = self.uploads.lock().unwrap_or_else(|e| e.into_inner());
        if uploads.held.len() >= MAX_UPLOADS {
            uploads.held.remove(0);
        }
        uploads.held.push((id, upload));
        json_response(200, body)
    }

    fn ask(&self, body: &[u8]) -> Response {
        let request: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return Response::error(
                    400,
                    format!("the body must be JSON {{\"table\": …, \"question\": …}}: {e}"),
                )
            }
        };
        let field = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(id), Some(question)) = (field("table"), field("question")) else {
            return Response::error(
                400,
                "the body needs string fields \"table\" and \"question\"",
            );
        };
        if question.trim().is_empty() {
            return Response::error(400, "empty question");
        }
        let table = match self.table(&id) {
            Ok(t) => t,
            Err(reply) => return reply,
        };
        let upload = self.upload(&id);
        let answer = self.permits.run(|| match &upload {
            Some(u) => {
                u.db.executor()
                    .and_then(|exec| self.answerer.answer(&question, &table, &exec))
            }
            None => self
                .pool
                .with(|exec| self.answerer.answer(&question, &table, exec)),
        });
        match answer {
            Ok(a) => json_response(
                200,
                answer_json(&question, &a, self.answerer.options.guided),
            ),
            Err(e) if e.downcast_ref::<InputError>().is_some() => {
                Response::error(400, format!("{e:#}"))
            }
            Err(e) => Response::error(500, format!("{e:#}")),
        }
    }
}

fn preview_json(t: &Table) -> Value {
    json!({
        "id": t.id,
        "header": t.header,
        "types": t.types,
        "n_rows": t.rows.len(),
        "rows": t.rows.iter().take(PREVIEW_ROWS).collect::<Vec<_>>(),
    })
}

fn json_response(status: u16, body: Value) -> Response {
    Response::new(status, "application/json", body.to_string())
}

/// The methods a path allows, or `None` for an unknown path.
fn allowed_methods(path: &str) -> Option<&'static str> {
    match path {
        "/" | "/app.js" | "/app.css" | "/api/tables" => Some("GET, HEAD"),
        p if p.starts_with("/api/tables/") => Some("GET, HEAD"),
        "/api/ask" | "/api/csv" => Some("POST"),
        _ => None,
    }
}

impl Handler for WebApp {
    fn admit(&self, method: &str, path: &str) -> std::result::Result<usize, Response> {
        let Some(allowed) = allowed_methods(path) else {
            return Err(Response::error(
                404,
                format!("no such page: {}", http::bounded(path, 100)),
            ));
        };
        let method_ok = allowed.split(", ").any(|m| m == method);
        if !method_ok {
            return Err(Response::error(
                405,
                format!(
                    "{} is not allowed on {}",
                    http::bounded(method, 16),
                    http::bounded(path, 100)
                ),
            )
            .with_header("Allow", allowed));
        }
        Ok(match path {
            "/api/csv" => MAX_CSV_BODY,
            _ if method == "POST" => MAX_ASK_BODY,
            _ => 0,
        })
    }

    fn handle(&self, request: &Request) -> Response {
        let path = request.path();
        match path {
            "/" => Response::new(200, "text/html; charset=utf-8", PAGE),
            "/app.js" => Response::new(200, "text/javascript; charset=utf-8", SCRIPT),
            "/app.css" => Response::new(200, "text/css; charset=utf-8", STYLE),
            "/api/tables" => json_response(200, json!({ "tables": self.ids })),
            "/api/ask" => self.ask(&request.body),
            "/api/csv" => self.load_csv(&request.body),
            p => match p.strip_prefix("/api/tables/") {
                Some(id) => self.preview(&percent_decode(id)),
                None => Response::error(404, "no such page"),
            },
        }
    }

    fn common_headers(&self, path: &str) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Content-Security-Policy", CSP.to_string()),
            ("X-Content-Type-Options", "nosniff".to_string()),
            ("X-Frame-Options", "DENY".to_string()),
            ("Referrer-Policy", "no-referrer".to_string()),
            ("Cross-Origin-Resource-Policy", "same-origin".to_string()),
        ];
        if path.starts_with("/api/") {
            h.push(("Cache-Control", "no-store".to_string()));
        }
        h
    }
}

/// Serves `app` on `addr` (port 0: any free port) until [`RunningServer::stop`]. Requests are
/// logged on stderr.
pub fn start(
    app: Arc<WebApp>,
    addr: &str,
    allow_hosts: &[String],
    limits: Limits,
) -> Result<RunningServer> {
    http::start(addr, allow_hosts, limits, app, |line| eprintln!("{line}"))
}

pub fn run(args: &ServeArgs) -> Result<()> {
    // Check the tables before the (slower) model load.
    let own = args.db.own_table(args.table.as_deref())?;
    if let Some(conn) = &args.db.postgres {
        let name = args.table.as_deref();
        drop(args.db.open_table(name)?);
        let answerer = args.answerer.load()?;
        let workers = workers(args);
        let app = WebApp::with_postgres(answerer, conn, name, workers)?
            .with_query_limits(args.db.query_limits());
        return serve(Arc::new(app), args, workers);
    }
    let db = match own {
        Some(_) => None,
        None => {
            let db = args.db.resolve();
            drop(Executor::open(&db)?.table_ids()?);
            Some(db)
        }
    };
    let answerer = args.answerer.load()?;
    let workers = workers(args);
    let app = Arc::new(
        match (own, db) {
            (Some((memory, _)), _) => WebApp::with_memory(answerer, memory, workers)?,
            (None, Some(db)) => WebApp::new(answerer, &db, workers)?,
            (None, None) => unreachable!("a database is resolved when there is no own table"),
        }
        .with_query_limits(args.db.query_limits()),
    );
    serve(app, args, workers)
}

/// `--workers`, else the CPU cores.
fn workers(args: &ServeArgs) -> usize {
    args.workers.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    })
}

fn serve(app: Arc<WebApp>, args: &ServeArgs, workers: usize) -> Result<()> {
    let n_tables = app.ids().len();
    let addr = format!("{}:{}", args.host, args.port);
    let server = start(app, &addr, &args.allow_hosts, Limits::default())?;
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
    Ok(())
}

/// `%XX` escapes decoded (invalid ones kept as typed).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("1-100%2D11"), "1-100-11");
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%E2%80%A6"), "…");
    }
}
