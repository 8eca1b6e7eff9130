//! `sqlcoder serve`: a small web app over one database and one model.
//!
//! `GET /` is a self-contained page; `GET /api/tables` lists table ids, `GET /api/tables/<id>`
//! shows a table's header and first rows, `POST /api/ask {"table", "question"}` answers.
//! Requests are handled one at a time (one model, one database connection). Bad requests get a
//! 4xx status and `{"error": "…"}`.

use super::session::{answer_json, closest_ids, DbArgs, ModelArgs};
use crate::data::Table;
use crate::infer::Answerer;
use crate::model::input::InputError;
use crate::sql::Executor;
use anyhow::{anyhow, Result};
use clap::Args;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Read;
use std::time::Instant;
use tiny_http::{Header, Response, Server};

const PAGE: &str = include_str!("web_page.html");
/// Largest request body read (a question and a table id are far smaller).
const MAX_BODY: usize = 64 * 1024;
/// Rows a table preview returns.
const PREVIEW_ROWS: usize = 10;

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (0.0.0.0 to accept other machines).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub model: ModelArgs,
}

/// A response before it is sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            content_type: "application/json",
            body: body.to_string(),
        }
    }
    fn error(status: u16, message: impl Into<String>) -> Self {
        Self::json(status, json!({ "error": message.into() }))
    }
}

/// The app's state: the model, the database, and tables already read from it.
pub struct WebApp {
    answerer: Answerer,
    exec: Executor,
    ids: Vec<String>,
    tables: HashMap<String, Table>,
}

impl WebApp {
    pub fn new(answerer: Answerer, exec: Executor) -> Result<Self> {
        let ids = exec.table_ids()?;
        Ok(Self {
            answerer,
            exec,
            ids,
            tables: HashMap::new(),
        })
    }

    /// Answers one request (`url` may carry a query string, which is ignored).
    pub fn handle(&mut self, method: &str, url: &str, body: &[u8]) -> Reply {
        let path = url.split('?').next().unwrap_or("");
        match (method, path) {
            ("GET", "/") => Reply {
                status: 200,
                content_type: "text/html; charset=utf-8",
                body: PAGE.to_string(),
            },
            ("GET", "/api/tables") => Reply::json(200, json!({ "tables": self.ids })),
            ("GET", p) if p.starts_with("/api/tables/") => {
                self.preview(&percent_decode(&p["/api/tables/".len()..]))
            }
            ("POST", "/api/ask") => self.ask(body),
            (_, "/" | "/api/tables" | "/api/ask") => {
                Reply::error(405, format!("{method} is not allowed on {path}"))
            }
            _ => Reply::error(404, format!("no such page: {path}")),
        }
    }

    fn table(&mut self, id: &str) -> std::result::Result<&Table, Reply> {
        if !self.tables.contains_key(id) {
            if !self.ids.iter().any(|t| t == id) {
                let close = closest_ids(id, &self.ids, 3).join(", ");
                return Err(Reply::error(
                    404,
                    format!("unknown table id {id:?}; did you mean {close}?"),
                ));
            }
            let table = self
                .exec
                .table(id)
                .map_err(|e| Reply::error(500, format!("{e:#}")))?;
            self.tables.insert(id.to_string(), table);
        }
        Ok(&self.tables[id])
    }

    fn preview(&mut self, id: &str) -> Reply {
        match self.table(id) {
            Ok(t) => Reply::json(
                200,
                json!({
                    "id": t.id,
                    "header": t.header,
                    "types": t.types,
                    "n_rows": t.rows.len(),
                    "rows": t.rows.iter().take(PREVIEW_ROWS).collect::<Vec<_>>(),
                }),
            ),
            Err(reply) => reply,
        }
    }

    fn ask(&mut self, body: &[u8]) -> Reply {
        let request: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                return Reply::error(
                    400,
                    format!("the body must be JSON {{\"table\": …, \"question\": …}}: {e}"),
                )
            }
        };
        let field = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_string);
        let (Some(id), Some(question)) = (field("table"), field("question")) else {
            return Reply::error(
                400,
                "the body needs string fields \"table\" and \"question\"",
            );
        };
        if question.trim().is_empty() {
            return Reply::error(400, "empty question");
        }
        let table = match self.table(&id) {
            Ok(t) => t.clone(),
            Err(reply) => return reply,
        };
        match self.answerer.answer(&question, &table, &self.exec) {
            Ok(a) => Reply::json(
                200,
                answer_json(&question, &a, self.answerer.options.guided),
            ),
            Err(e) if e.downcast_ref::<InputError>().is_some() => {
                Reply::error(400, format!("{e:#}"))
            }
            Err(e) => Reply::error(500, format!("{e:#}")),
        }
    }
}

/// Serves requests until the server is unblocked or closed.
pub fn serve(app: &mut WebApp, server: &Server) {
    for mut request in server.incoming_requests() {
        let started = Instant::now();
        let mut body = Vec::new();
        let read = request
            .as_reader()
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body);
        let reply = match read {
            Err(e) => Reply::error(400, format!("cannot read the request body: {e}")),
            Ok(_) if body.len() > MAX_BODY => {
                Reply::error(413, format!("request body over {MAX_BODY} bytes"))
            }
            Ok(_) => app.handle(request.method().as_str(), request.url(), &body),
        };
        eprintln!(
            "{} {} {} ({:.0?})",
            request.method(),
            request.url(),
            reply.status,
            started.elapsed()
        );
        let header =
            Header::from_bytes("Content-Type", reply.content_type).expect("a valid header");
        let response = Response::from_string(reply.body)
            .with_status_code(reply.status)
            .with_header(header);
        if let Err(e) = request.respond(response) {
            eprintln!("cannot send the response: {e}");
        }
    }
}

pub fn run(args: &ServeArgs) -> Result<()> {
    let exec = args.db.open()?;
    let answerer = args.model.load()?;
    let mut app = WebApp::new(answerer, exec)?;
    let server = Server::http((args.host.as_str(), args.port))
        .map_err(|e| anyhow!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    eprintln!(
        "serving {} tables on http://{}:{}/ (Ctrl-C to stop)",
        app.ids.len(),
        args.host,
        args.port
    );
    serve(&mut app, &server);
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
