//! The app behind `serve`: routes, the model on a bounded pool of worker threads, the served
//! database, and uploaded tables ([`upload`]).

use super::metrics::Metrics;
use super::reply::{bounded, Reply};
use super::uploads::{loggable, Found, Removed, UploadLimits, Uploads};
use crate::session::{answer_json, check_id, closest_ids};
use anyhow::Result;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlcoder_data::Table;
use sqlcoder_infer::Answerer;
use sqlcoder_model::input::InputError;
use sqlcoder_sql::own::MemoryDb;
use sqlcoder_sql::{Executor, QueryLimits};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub mod upload;

const PAGE: &str = include_str!("page.html");
const SCRIPT: &str = include_str!("app.js");
const STYLE: &str = include_str!("app.css");
/// Largest `/api/ask` body (a question and a table id are far smaller).
const MAX_ASK_BODY: usize = 64 * 1024;
/// Rows a table preview returns.
const PREVIEW_ROWS: usize = 10;

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
/// at a time: SQLite connections are not shared). At most one connection per worker is ever
/// open, since only workers query.
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

/// The app's state: the model, the database, tables already read from it, uploads and
/// counters. Shared by every connection.
pub struct WebApp {
    answerer: Answerer,
    pool: ExecutorPool,
    ids: Vec<String>,
    tables: Mutex<HashMap<String, Arc<Table>>>,
    uploads: Uploads,
    /// Permits to run on a worker thread: model answers, upload parsing and database builds,
    /// table reads. Taken before the blocking work starts, so at most `workers` run at once.
    workers: Arc<Semaphore>,
    /// Taken by an upload before its worker permit: uploads use at most `workers - 1` workers
    /// (and at most [`upload::MAX_PARSES`]), so that asks always have one (with two or more).
    upload_workers: Arc<Semaphore>,
    n_workers: usize,
    metrics: Metrics,
}

/// What a request's body is, once its head names the route.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BodyKind {
    /// JSON (`Content-Type: application/json`), read whole; none for `GET`.
    Json,
    /// A file, read as it arrives ([`super::intake`]).
    File,
}

/// How a request is admitted before its body is read.
#[derive(Clone, Copy, Debug)]
pub struct Admission {
    /// The largest body accepted.
    pub max_body: usize,
    pub body: BodyKind,
    /// Whether it is an upload: it counts against the server's upload budget
    /// ([`super::Limits::max_uploads`]), and its body is read as it arrives, by
    /// [`WebApp::upload`].
    pub upload: bool,
}

/// The body of `POST /api/ask`.
#[derive(Deserialize)]
struct AskRequest {
    table: String,
    question: String,
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

    /// Time limits on every query this app runs against its database.
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
        let workers = workers.max(1);
        let upload_workers = (workers - 1).clamp(1, upload::MAX_PARSES);
        Ok(Self {
            answerer,
            pool: ExecutorPool {
                db,
                limits,
                idle: Mutex::new(vec![exec]),
            },
            ids,
            tables: Mutex::new(HashMap::new()),
            uploads: Uploads::new(UploadLimits::default()),
            workers: Arc::new(Semaphore::new(workers)),
            upload_workers: Arc::new(Semaphore::new(upload_workers)),
            n_workers: workers,
            metrics: Metrics::default(),
        })
    }

    /// The same app with other bounds on uploads.
    pub fn with_upload_limits(mut self, limits: UploadLimits) -> Self {
        self.uploads = Uploads::new(limits);
        self
    }

    /// The table ids served.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// How many answers run at once.
    pub fn workers(&self) -> usize {
        self.n_workers
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// How a request for `method path` is read, or the reply that ends it before its body is
    /// read (unknown route, method not allowed).
    pub fn admit(&self, method: &str, path: &str) -> std::result::Result<Admission, Reply> {
        let Some(allowed) = allowed_methods(path) else {
            return Err(Reply::error(
                404,
                format!("no such page: {}", bounded(&loggable(path), 100)),
            ));
        };
        if !allowed.split(", ").any(|m| m == method) {
            return Err(Reply::error(
                405,
                format!(
                    "{} is not allowed on {}",
                    bounded(method, 16),
                    bounded(&loggable(path), 100)
                ),
            )
            .with_header("Allow", allowed));
        }
        let (max_body, body, upload) = match path {
            "/api/upload" => (upload::MAX_FILE_BODY, BodyKind::File, true),
            "/api/csv" => (upload::MAX_CSV_BODY, BodyKind::Json, true),
            _ if method == "POST" => (MAX_ASK_BODY, BodyKind::Json, false),
            _ => (0, BodyKind::Json, false),
        };
        Ok(Admission {
            max_body,
            body,
            upload,
        })
    }

    /// Answers an admitted request whose body has been read (uploads are answered by
    /// [`WebApp::upload`]).
    pub async fn handle(self: &Arc<Self>, path: &str, body: bytes::Bytes) -> Reply {
        match path {
            "/" => Reply::new(200, "text/html; charset=utf-8", PAGE),
            "/app.js" => Reply::new(200, "text/javascript; charset=utf-8", SCRIPT),
            "/app.css" => Reply::new(200, "text/css; charset=utf-8", STYLE),
            "/healthz" => Reply::json(200, &json!({ "status": "ok" })),
            "/metrics" => {
                let (uploads, bytes) = self.uploads.held();
                Reply::new(
                    200,
                    "text/plain; version=0.0.4; charset=utf-8",
                    self.metrics.render(uploads, bytes),
                )
            }
            "/api/tables" => Reply::json(200, &json!({ "tables": self.ids })),
            "/api/ask" => {
                // Bad requests are answered at once, not after the answers queued for a worker.
                let request = match ask_request(&body) {
                    Ok(r) => r,
                    Err(reply) => return reply,
                };
                if let Err(reply) = self.known(&request.table) {
                    return reply;
                }
                self.on_worker(move |app| app.ask(request)).await
            }
            p => match p.strip_prefix("/api/tables/") {
                Some(id) => {
                    let id = decoded(id);
                    if let Err(reply) = self.known(&id) {
                        return reply;
                    }
                    self.on_worker(move |app| app.preview(&id)).await
                }
                None => Reply::error(404, "no such page"),
            },
        }
    }

    /// Runs `work` on a blocking thread once a worker permit is free (off the async threads, and
    /// at most `workers` at once).
    async fn on_worker(
        self: &Arc<Self>,
        work: impl FnOnce(&WebApp) -> Reply + Send + 'static,
    ) -> Reply {
        let Ok(permit) = Arc::clone(&self.workers).acquire_owned().await else {
            return Reply::error(503, "the server is shutting down");
        };
        self.run_blocking(vec![permit], work).await
    }

    /// [`WebApp::on_worker`] for an upload: an upload permit first, then a worker permit.
    async fn on_upload_worker(
        self: &Arc<Self>,
        work: impl FnOnce(&WebApp) -> Reply + Send + 'static,
    ) -> Reply {
        let permits = async {
            let upload = Arc::clone(&self.upload_workers).acquire_owned().await?;
            let worker = Arc::clone(&self.workers).acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>(vec![upload, worker])
        };
        let Ok(permits) = permits.await else {
            return Reply::error(503, "the server is shutting down");
        };
        self.run_blocking(permits, work).await
    }

    /// Runs `work` on a blocking thread, holding `permits` until it is done.
    async fn run_blocking(
        self: &Arc<Self>,
        permits: Vec<OwnedSemaphorePermit>,
        work: impl FnOnce(&WebApp) -> Reply + Send + 'static,
    ) -> Reply {
        let app = Arc::clone(self);
        let done = tokio::task::spawn_blocking(move || {
            let _permits = permits;
            work(&app)
        })
        .await;
        done.unwrap_or_else(|e| Reply::error(500, format!("the answer failed: {e}")))
    }

    /// `Err` (400 or 404) unless `id` is a table served or uploaded: checked in memory, before
    /// any work is queued.
    fn known(&self, id: &str) -> std::result::Result<(), Reply> {
        if let Err(e) = check_id(id) {
            return Err(Reply::error(400, format!("{e:#}")));
        }
        if self.ids.iter().any(|t| t == id) {
            return Ok(());
        }
        let removed = match self.uploads.find(id) {
            Found::Held(_) => return Ok(()),
            Found::Removed(Removed::OwnShare) => {
                "was removed to make room for newer uploads from the same address"
            }
            Found::Removed(Removed::CacheFull) => {
                "was removed to make room for newer uploads: the upload memory was full and its \
                 address held the most"
            }
            Found::Unknown => "",
        };
        if !removed.is_empty() {
            return Err(Reply::error(
                404,
                format!("upload {:?} {removed}; upload it again", bounded(id, 128)),
            ));
        }
        let close = closest_ids(id, &self.ids, 3).join(", ");
        Err(Reply::error(
            404,
            format!(
                "unknown table id {:?} (uploads are forgotten after an hour or when newer ones \
                 need the memory); did you mean {close}?",
                bounded(id, 128)
            ),
        ))
    }

    fn table(&self, id: &str) -> std::result::Result<Arc<Table>, Reply> {
        self.known(id)?;
        if let Some(upload) = self.uploads.get(id) {
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
        let table = self
            .pool
            .with(|exec| exec.table(id))
            .map(Arc::new)
            .map_err(|e| Reply::error(500, format!("{e:#}")))?;
        self.tables
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), Arc::clone(&table));
        Ok(table)
    }

    fn preview(&self, id: &str) -> Reply {
        match self.table(id) {
            Ok(t) => Reply::json(200, &preview_json(&t)),
            Err(reply) => reply,
        }
    }

    fn ask(&self, request: AskRequest) -> Reply {
        let AskRequest {
            table: id,
            question,
        } = request;
        let table = match self.table(&id) {
            Ok(t) => t,
            Err(reply) => return reply,
        };
        let started = Instant::now();
        let answer = match self.uploads.get(&id) {
            Some(u) => u.db.executor().and_then(|exec| {
                let exec = exec.with_limits(self.pool.limits);
                self.answerer.answer(&question, &table, &exec)
            }),
            None => self
                .pool
                .with(|exec| self.answerer.answer(&question, &table, exec)),
        };
        self.metrics.model_run(started.elapsed());
        match answer {
            Ok(a) => Reply::json(
                200,
                &answer_json(&question, &a, self.answerer.options.guided),
            ),
            Err(e) if e.downcast_ref::<InputError>().is_some() => {
                Reply::error(400, format!("{e:#}"))
            }
            Err(e) => Reply::error(500, format!("{e:#}")),
        }
    }
}

/// The body of `POST /api/ask`, or the 400 reply for it.
fn ask_request(body: &[u8]) -> std::result::Result<AskRequest, Reply> {
    let request: AskRequest = serde_json::from_slice(body).map_err(|e| {
        Reply::error(
            400,
            format!("the body must be JSON with string fields \"table\" and \"question\": {e}"),
        )
    })?;
    if request.question.trim().is_empty() {
        return Err(Reply::error(400, "empty question"));
    }
    Ok(request)
}

/// A path segment with its `%XX` escapes decoded (invalid ones kept as typed).
fn decoded(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
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

/// The methods a path allows, or `None` for an unknown path.
fn allowed_methods(path: &str) -> Option<&'static str> {
    match path {
        "/" | "/app.js" | "/app.css" | "/healthz" | "/metrics" | "/api/tables" => Some("GET, HEAD"),
        p if p.starts_with("/api/tables/") => Some("GET, HEAD"),
        "/api/ask" | "/api/csv" | "/api/upload" => Some("POST"),
        _ => None,
    }
}

/// Whether `path` needs the access token when the server has one: the API and the counters
/// (the page and its assets are public, so that a browser can load it and then ask for the
/// token).
pub fn needs_token(path: &str) -> bool {
    path.starts_with("/api/") || path == "/metrics"
}

#[cfg(test)]
mod tests {
    use super::decoded;

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(decoded("1-100%2D11"), "1-100-11");
        assert_eq!(decoded("a%2"), "a%2");
        assert_eq!(decoded("%E2%80%A6"), "…");
    }
}
