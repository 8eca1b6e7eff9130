//! A throw-away PostgreSQL cluster for the tests: one per test binary (started on first use,
//! shared through a `OnceLock`), on a free loopback port with its socket in a temp folder, trust
//! authentication, locale `C.UTF-8` (so `lower()` folds all of Unicode, not ASCII only).
//! `initdb` and the server refuse root: as root they run as the `postgres` user. A watchdog
//! process stops the server and removes the folder once the test binary exits (statics are never
//! dropped). A cluster that cannot start fails the test, locally as on CI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
}

/// The shared cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        Cluster::start().unwrap_or_else(|e| {
            panic!(
                "cannot start a throw-away PostgreSQL (install the Debian package `postgresql`; \
                 .ci/run does): {e}"
            )
        })
    })
}

fn run_checked(cmd: &mut Command, what: &str) -> Result<Output, String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out)
}

/// The folder holding `initdb`, `pg_ctl` and `postgres`.
fn bindir() -> Result<PathBuf, String> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("pg_ctl").is_file() {
            return Ok(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("no PostgreSQL in /usr/lib/postgresql: {e}"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("pg_ctl").is_file())
        .collect();
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    versions.pop().ok_or_else(|| "pg_ctl not found".to_string())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args…`, as the `postgres` user when we are root.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        let bin = bindir()?;
        let dir = tempfile::Builder::new()
            .prefix("sqlcoder-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?
            .keep();
        // The server user must write here.
        run_checked(Command::new("chmod").arg("0777").arg(&dir), "chmod")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let data = dir.join("data");
        run_checked(
            as_server_user(&bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "--locale=C.UTF-8",
                    "-E",
                    "UTF8",
                ]),
            "initdb",
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.display()
        );
        run_checked(
            as_server_user(&bin.join("pg_ctl"))
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-l"])
                .arg(dir.join("server.log"))
                .args(["-w", "start"]),
            "pg_ctl start",
        )?;
        // Stop the server and remove its folder when this process ends, however it ends.
        let stop = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {ctl} -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            ctl = if is_root() {
                format!("runuser -u postgres -- '{}'", bin.join("pg_ctl").display())
            } else {
                format!("'{}'", bin.join("pg_ctl").display())
            },
            data = data.display(),
            dir = dir.display(),
        );
        Command::new("sh")
            .args(["-c", &stop])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the watchdog: {e}"))?;
        Ok(Cluster { dir, port, bin })
    }

    /// A libpq connection string for `user` (trust authentication, loopback only).
    pub fn conn_as(&self, user: &str) -> String {
        format!(
            "host=127.0.0.1 port={} user={user} dbname=postgres",
            self.port
        )
    }

    pub fn conn(&self) -> String {
        self.conn_as("postgres")
    }

    /// `psql` running `sql` (unaligned, tuples only, stopping at the first error).
    pub fn psql(&self, sql: &str) -> Output {
        let _ = &self.bin;
        Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.conn())
            .args(["-c", sql])
            .output()
            .expect("psql runs")
    }

    /// `psql` running `sql`, which must succeed; its output.
    pub fn psql_ok(&self, sql: &str) -> String {
        let out = self.psql(sql);
        assert!(
            out.status.success(),
            "psql failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            sql.chars().take(2000).collect::<String>()
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }
}
