//! The HTTP/1.1 front of `serve`: hyper on tokio, driven by our own accept loop so that the whole
//! server has one cap on connections and every connection a total deadline.
//!
//! One request per connection (`Connection: close`): nothing a client sends after its request is
//! read, so a client trickling bytes holds its slot no longer than the connection deadline.
//! hyper parses the head (with a read buffer larger than our caps, [`Limits::HYPER_BUFFER`]) and
//! refuses malformed ones itself (bare 400, e.g. differing `Content-Length`s or a `+N` length;
//! 431 past its buffer). We check the rest before any routing: the request line (414) and head
//! (431) caps, one `Host` (400), `Host` and every `Origin` naming the served address (403), an
//! absolute-form target naming that same `Host` (421), the access
//! token beyond loopback (401), the route (404, 405 with `Allow`), a `POST` body declared
//! `application/json` (or a file type, for `/api/upload`: 415) within the route's cap (413)
//! arriving in time (408), and for an upload, room in the upload budget (503 with `Retry-After`,
//! before its body is read: uploads queue for a worker holding their connection, so without a
//! budget they would take every slot and leave asks none). Every response written here passes
//! the security-header layers. Log events escape control characters, are bounded, and never hold
//! an upload id whole.

use super::app::{needs_token, BodyKind, WebApp};
use super::intake::{self, BodyReader, Piece, UploadBody, PIECES_IN_FLIGHT};
use super::limits::{AccessToken, HostGuard, Limits};
use super::metrics::route_label;
use super::reply::{bounded, Reply};
use super::uploads::loggable;
use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{
    HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
    HOST, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Semaphore};
use tower::ServiceBuilder;
use tower_http::set_header::SetResponseHeaderLayer;

/// The page loads only its own script and style and talks only to this server; no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                   img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// How long requests in flight may take to finish once a shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long a connection accepted over the slot limit may take to send its head.
const BUSY_DEADLINE: Duration = Duration::from_secs(2);
/// How long such a connection, once its head names a route other than an upload, waits for a
/// slot to free before it is answered 503: uploads turned away by their budget hold slots only
/// for a moment, and an ask should not be refused for that moment.
const BUSY_WAIT: Duration = Duration::from_secs(1);

/// How a server runs: its limits, the host names it answers to, its access token.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    pub limits: Limits,
    /// Host names accepted besides the served address (`--allow-host`).
    pub allow_hosts: Vec<String>,
    /// When set, `/api/` and `/metrics` need `Authorization: Bearer <token>`.
    pub token: Option<AccessToken>,
    /// Stop (gracefully) on SIGTERM and SIGINT; for the command, not for tests.
    pub stop_on_signals: bool,
}

/// What every connection's handler shares.
struct Shared {
    app: Arc<WebApp>,
    limits: Limits,
    guard: HostGuard,
    token: Option<AccessToken>,
    /// Requests on an upload route at once ([`Limits::max_uploads`]).
    upload_slots: Arc<Semaphore>,
}

/// A running server: its address, [`RunningServer::wait`] and [`RunningServer::stop`].
pub struct RunningServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until the server has stopped (on [`RunningServer::stop`], or a signal when the
    /// config asks for it) and its requests in flight have finished.
    pub fn wait(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Stops accepting, lets requests in flight finish (at most 10 s), and returns.
    pub fn stop(self) {
        let _ = self.stop.send(true);
        self.wait();
    }
}

/// Binds `addr` (port 0: any free port) and serves `app` on a tokio runtime of its own thread.
pub fn start(app: Arc<WebApp>, addr: &str, config: ServerConfig) -> Result<RunningServer> {
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("serve")
        .build()
        .context("cannot start the server's runtime")?;
    let shared = Arc::new(Shared {
        app,
        guard: HostGuard::new(local, &config.allow_hosts),
        upload_slots: Arc::new(Semaphore::new(config.limits.max_uploads)),
        limits: config.limits,
        token: config.token,
    });
    let (stop, stopped) = watch::channel(false);
    let signals = config.stop_on_signals;
    let thread = std::thread::Builder::new()
        .name("serve-accept".into())
        .spawn(move || {
            runtime.block_on(async move {
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => accept_loop(listener, shared, stopped, signals).await,
                    Err(e) => tracing::error!("cannot listen: {e}"),
                }
            });
        })
        .context("cannot start the server thread")?;
    Ok(RunningServer {
        addr: local,
        stop,
        thread: Some(thread),
    })
}

/// Resolves when the process gets SIGTERM or SIGINT (never when `enabled` is false).
async fn shutdown_signal(enabled: bool) {
    if !enabled {
        return std::future::pending().await;
    }
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    signals: bool,
) {
    let limits = shared.limits.clone();
    // One set of slots for the whole server (not per service clone), and as many again for
    // connections accepted over it: these read their head in a short time, and an ask among them
    // waits a moment for a slot to free; the rest are answered 503, so that a refusal is an HTTP
    // answer with our headers. Beyond both, a connection is closed unanswered.
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let busy_slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let signal = shutdown_signal(signals);
    tokio::pin!(signal);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped.changed() => break,
            _ = &mut signal => break,
        };
        let _ = stream.set_nodelay(true);
        let (slot, busy) = match Arc::clone(&slots).try_acquire_owned() {
            Ok(slot) => (slot, false),
            Err(_) => match Arc::clone(&busy_slots).try_acquire_owned() {
                Ok(slot) => (slot, true),
                Err(_) => continue,
            },
        };
        let (head_timeout, wait_for) = match busy {
            true => (BUSY_DEADLINE, Some(Arc::clone(&slots))),
            false => (limits.head_timeout, None),
        };
        let deadline = limits.connection_deadline;
        let handler = {
            let shared = Arc::clone(&shared);
            tower::service_fn(move |mut request: Request<Incoming>| {
                // The client's address, for its share of the upload memory.
                request.extensions_mut().insert(peer);
                let shared = Arc::clone(&shared);
                let wait_for = wait_for.clone();
                async move { Ok::<_, Infallible>(respond(&shared, request, wait_for).await) }
            })
        };
        let header = |name: HeaderName, value: &'static str| {
            SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
        };
        let service = ServiceBuilder::new()
            .layer(header(CONTENT_SECURITY_POLICY, CSP))
            .layer(header(X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(header(X_FRAME_OPTIONS, "DENY"))
            .layer(header(REFERRER_POLICY, "no-referrer"))
            .layer(header(
                HeaderName::from_static("cross-origin-resource-policy"),
                "same-origin",
            ))
            .service(handler);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(head_timeout)
            .max_buf_size(Limits::HYPER_BUFFER)
            .keep_alive(false)
            // A client that shuts down its sending side after its request (as `nc -N` or
            // `shutdown(SHUT_WR)` do) still gets its response; without this hyper drops the
            // connection on the early EOF.
            .half_close(true)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if tokio::time::timeout(deadline, connection).await.is_err() {
                tracing::debug!("a connection passed its deadline and was closed");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: finishing the requests in flight");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}: closed");
    }
}

/// The response to one request, counted and logged. `wait_for`: the connection was accepted
/// over the slot limit, and a request that is no upload waits up to [`BUSY_WAIT`] for one of
/// these slots (an upload, which would hold it for long, is answered 503 at once).
async fn respond(
    shared: &Shared,
    request: Request<Incoming>,
    wait_for: Option<Arc<Semaphore>>,
) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let method = request.method().clone();
    let target = request.uri().to_string();
    let path = request.uri().path().to_string();
    let slot = match wait_for {
        None => Ok(None),
        Some(slots) => {
            let upload = shared
                .app
                .admit(method.as_str(), &path)
                .is_ok_and(|a| a.upload);
            let waited = match upload {
                true => None,
                false => tokio::time::timeout(BUSY_WAIT, slots.acquire_owned())
                    .await
                    .ok()
                    .and_then(Result::ok),
            };
            waited.map(Some).ok_or(())
        }
    };
    let reply = match slot {
        Err(()) => {
            tracing::warn!("busy: a connection is answered 503");
            Reply::error(503, "the server is busy; try again").with_header("Retry-After", "1")
        }
        // The slot (if waited for) is held while the answer is made.
        Ok(_slot) => match answer(shared, request, target.len()).await {
            Ok(reply) | Err(reply) => reply,
        },
    };
    let took = started.elapsed();
    shared
        .app
        .metrics()
        .request(route_label(&path), reply.status, took);
    tracing::info!(
        method = %bounded(method.as_str(), 16),
        target = %bounded(&loggable(&target), 200),
        status = reply.status,
        ms = took.as_millis() as u64,
        "request"
    );
    into_response(reply, &path)
}

/// The checks of module doc, then the app's answer. `Err` is a refusal.
async fn answer(
    shared: &Shared,
    request: Request<Incoming>,
    target_len: usize,
) -> Result<Reply, Reply> {
    let limits = &shared.limits;
    let (head, body) = request.into_parts();
    // "METHOD TARGET HTTP/1.1"
    let request_line = head.method.as_str().len() + 1 + target_len + 1 + 8;
    if request_line > limits.max_request_line {
        return Err(Reply::error(
            414,
            format!("request line over {} bytes", limits.max_request_line),
        ));
    }
    let head_bytes = request_line
        + 2
        + head
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
            .sum::<usize>()
        + 2;
    if head_bytes > limits.max_head {
        return Err(Reply::error(
            431,
            format!("request head over {} bytes", limits.max_head),
        ));
    }
    // hyper refuses differing Content-Length headers itself (and reads equal ones as one).
    if head.headers.get_all(HOST).iter().count() > 1 {
        return Err(Reply::error(
            400,
            "the request has more than one Host header",
        ));
    }
    shared
        .guard
        .check(&head.headers)
        .map_err(|why| Reply::error(403, why))?;
    shared
        .guard
        .check_target(&head.uri, &head.headers)
        .map_err(|why| Reply::error(421, why))?;
    let path = head.uri.path();
    if let Some(token) = &shared.token {
        if needs_token(path) && !token.admits(&head.headers) {
            return Err(Reply::error(
                401,
                "this server needs an access token: send Authorization: Bearer <token>",
            )
            .with_header("WWW-Authenticate", "Bearer"));
        }
    }
    let admission = shared.app.admit(head.method.as_str(), path)?;
    let max_body = admission.max_body;
    let content_type = head.headers.get(CONTENT_TYPE).and_then(|t| t.to_str().ok());
    let mut kind = UploadBody::Json;
    if head.method == Method::POST {
        match admission.body {
            BodyKind::Json => {
                let json = content_type
                    .and_then(|t| t.split(';').next())
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
                if !json {
                    return Err(Reply::error(
                        415,
                        "a POST body must be sent as Content-Type: application/json",
                    ));
                }
            }
            BodyKind::File => {
                let declared =
                    intake::declared(content_type).map_err(|why| Reply::error(415, why))?;
                kind = UploadBody::File(declared);
            }
        }
    }
    let too_large = || Reply::error(413, format!("request body over {max_body} bytes"));
    let declared = head
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max_body as u64) {
        return Err(too_large());
    }
    // Held until the answer is written.
    let _upload_slot = if admission.upload {
        let slot = Arc::clone(&shared.upload_slots).try_acquire_owned();
        Some(slot.map_err(|_| {
            Reply::error(
                503,
                format!(
                    "{} uploads are in progress, the most at once; try again",
                    limits.max_uploads
                ),
            )
            .with_header("Retry-After", "1")
        })?)
    } else {
        None
    };
    if admission.upload {
        // The client's address: which share of the upload memory it counts against.
        let client = head
            .extensions
            .get::<SocketAddr>()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let name = intake::name_param(head.uri.query());
        return Ok(upload(shared, kind, name, body, max_body, client).await);
    }
    let read = Limited::new(body, max_body).collect();
    let body = match tokio::time::timeout(limits.body_timeout, read).await {
        Err(_) => {
            return Err(Reply::error(
                408,
                "the request body took too long to arrive",
            ))
        }
        Ok(Err(e)) if e.is::<LengthLimitError>() => return Err(too_large()),
        Ok(Err(e)) => {
            return Err(Reply::error(
                400,
                format!("cannot read the request body: {e}"),
            ))
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    Ok(shared.app.handle(path, body).await)
}

/// An upload's answer: its body goes to the worker reading it as it arrives, a few pieces at a
/// time ([`intake`]). The body timeout counts the time spent waiting for the client, not for a
/// worker (a queued upload's body waits in its socket).
async fn upload(
    shared: &Shared,
    kind: UploadBody,
    name: String,
    body: Incoming,
    max_body: usize,
    client: IpAddr,
) -> Reply {
    let (pieces, received) = mpsc::channel(PIECES_IN_FLIGHT);
    let parse = shared
        .app
        .upload(kind, name, BodyReader::new(received), client);
    let send = send_body(body, pieces, max_body, shared.limits.body_timeout);
    tokio::pin!(parse, send);
    // The sender first: when the body fails, the reader fails for that reason, which the
    // sender's reply says better.
    tokio::select! {
        biased;
        sent = &mut send => match sent {
            Ok(()) => parse.await,
            Err(refusal) => refusal,
        },
        reply = &mut parse => reply,
    }
}

/// Sends `body` to `pieces`, then [`Piece::End`]; `Err` is the reply when the body is over
/// `max_body` bytes (413), arrives slower than `timeout` in all (408) or cannot be read (400).
/// A reader that stops early (a bad file) ends the sending with `Ok`: its reply says why.
async fn send_body(
    mut body: Incoming,
    pieces: mpsc::Sender<Piece>,
    max_body: usize,
    timeout: Duration,
) -> Result<(), Reply> {
    let mut waited = Duration::ZERO;
    let mut total = 0;
    loop {
        let started = Instant::now();
        let frame = tokio::time::timeout(timeout.saturating_sub(waited), body.frame()).await;
        waited += started.elapsed();
        let frame = match frame {
            Err(_) => {
                return Err(Reply::error(
                    408,
                    "the request body took too long to arrive",
                ))
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                return Err(Reply::error(
                    400,
                    format!("cannot read the request body: {e}"),
                ))
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total += data.len();
        if total > max_body {
            return Err(Reply::error(
                413,
                format!("request body over {max_body} bytes"),
            ));
        }
        if pieces.send(Piece::Data(data)).await.is_err() {
            return Ok(());
        }
    }
    let _ = pieces.send(Piece::End).await;
    Ok(())
}

fn into_response(reply: Reply, path: &str) -> Response<Full<Bytes>> {
    let length = reply.body.len();
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
    if needs_token(path) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    for (name, value) in reply.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}
