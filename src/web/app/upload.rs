//! Uploads: `POST /api/upload` (the file itself as the body) and `POST /api/csv` (`{"name",
//! "text"}`, for API clients), each read from its body as it arrives, on a worker. Either becomes
//! a table under a new random id, held by [`super::super::uploads`].

use super::{preview_json, WebApp};
use crate::web::intake::{read_table, BodyReader, UploadBody};
use crate::web::reply::{bounded, Reply};
use crate::web::uploads::{estimated_bytes, loggable, new_id, Refused, Upload};
use serde::Deserialize;
use serde_json::json;
use sqlcoder_data::csv::{read_csv, TableLimits};
use sqlcoder_data::Table;
use sqlcoder_sql::own::MemoryDb;
use std::io::BufReader;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// Largest `/api/upload` body (the file).
pub const MAX_FILE_BODY: usize = 2 << 20;
/// Largest `/api/csv` body (the CSV text inside JSON).
pub const MAX_CSV_BODY: usize = 2 << 20;
/// Uploads parsed at once, whatever the number of workers: a table being read is not yet counted
/// against the upload memory cap, so this bounds what is held beyond it.
pub const MAX_PARSES: usize = 2;
/// Bounds on an uploaded table.
pub const UPLOAD_TABLE_LIMITS: TableLimits = TableLimits {
    max_rows: 20_000,
    max_columns: 64,
    max_cell_chars: 1_000,
};

/// The body of `POST /api/csv`.
#[derive(Deserialize)]
struct CsvUpload {
    name: Option<String>,
    text: String,
}

impl WebApp {
    /// An upload whose body (`kind`) is read from `body` on a worker as it arrives: the file
    /// `name` (`/api/upload?name=…`; `/api/csv` names it in its JSON) becomes a table under a new
    /// random id. Waits for an upload permit, then a worker.
    pub async fn upload(
        self: &Arc<Self>,
        kind: UploadBody,
        name: String,
        body: BodyReader,
        client: IpAddr,
    ) -> Reply {
        self.on_upload_worker(move |app| {
            let id = new_id();
            let read = match kind {
                UploadBody::File(declared) => {
                    read_table(declared, &id, &name, body, &UPLOAD_TABLE_LIMITS)
                        .map(|t| (t, name))
                        .map_err(|e| Reply::error(400, format!("{e:#}")))
                }
                UploadBody::Json => json_table(&id, body),
            };
            let reply = match read {
                Ok((table, name)) => app.keep(table, &name, client),
                Err(reply) => reply,
            };
            // What the read left over, and the uploads this one evicted, are freed by now.
            crate::web::memory::release_freed();
            reply
        })
        .await
    }

    /// Holds `table` (read from the file `name`) for `client` with its own database, within the
    /// upload caps; the reply is its preview.
    fn keep(&self, table: Table, name: &str, client: IpAddr) -> Reply {
        let too_large = |(bytes, cap): (usize, usize)| {
            Reply::error(
                413,
                format!(
                    "{}: the table would take about {} MB in memory, over the {} MB one upload \
                     may hold; upload fewer rows or columns",
                    bounded(name, 100),
                    bytes >> 20,
                    cap >> 20
                ),
            )
        };
        if let Err(Refused::TooLarge(bytes, cap)) = self.uploads.admits(estimated_bytes(&table)) {
            return too_large((bytes, cap));
        }
        let db = match MemoryDb::build(&[&table], Path::new(name)) {
            Ok(db) => db,
            Err(e) => return Reply::error(400, format!("{e:#}")),
        };
        let id = table.id.clone();
        let upload = Upload::new(table, db);
        let mut body = preview_json(&upload.table);
        body["name"] = json!(name);
        match self.uploads.insert(id.clone(), client, upload) {
            Ok(evicted) => {
                if evicted > 0 {
                    tracing::info!(
                        upload = %loggable(&id),
                        evicted,
                        "older uploads forgotten to make room"
                    );
                }
                Reply::json(200, &body)
            }
            Err(Refused::TooLarge(bytes, cap)) => too_large((bytes, cap)),
        }
    }
}

/// The table `id` and its file name from a `POST /api/csv` body, `{"name", "text"}` (the text
/// is held once, as the JSON gives it, while its table is made).
fn json_table(id: &str, body: BodyReader) -> Result<(Table, String), Reply> {
    let request: CsvUpload = serde_json::from_reader(BufReader::new(body)).map_err(|e| {
        Reply::error(
            400,
            format!("the body must be JSON {{\"name\": …, \"text\": …}}: {e}"),
        )
    })?;
    let name: String = request
        .name
        .as_deref()
        .unwrap_or("upload.csv")
        .chars()
        .take(100)
        .collect();
    let table = read_csv(id, &name, request.text.as_bytes(), &UPLOAD_TABLE_LIMITS)
        .map_err(|e| Reply::error(400, format!("{e:#}")))?;
    Ok((table, name))
}
