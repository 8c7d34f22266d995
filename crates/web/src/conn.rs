//! The HTTP server's connections: the accept loop, the caps on open
//! connections (in all and per client address), and closing connections that
//! stall between requests (idle) or while sending a request's headers. A
//! request body that stalls is the router's business (its body timeout).
//!
//! hyper's own `header_read_timeout` is not used: its clock starts when the
//! server begins waiting for a request, so it would also cut idle keep-alive
//! connections at the header timeout. Here the header clock starts at the
//! first byte of a request and the idle clock when the previous answer ends.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;
use tower_service::Service;

use crate::config::ServerConfig;
use crate::metrics::Metrics;

/// The connection rules from `[server]`, checked once at startup.
#[derive(Debug, Clone)]
pub struct ConnectionRules {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_connections_per_address: usize,
}

impl ConnectionRules {
    pub fn from_config(server: &ServerConfig) -> anyhow::Result<Self> {
        Ok(Self {
            header_read_timeout: seconds(
                "server.header_read_timeout_secs",
                server.header_read_timeout_secs,
            )?,
            idle_timeout: seconds("server.idle_timeout_secs", server.idle_timeout_secs)?,
            max_connections: server.max_connections,
            max_connections_per_address: server.max_connections_per_address,
        })
    }
}

/// A positive, finite number of seconds from the config.
pub fn seconds(key: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{key} must be a positive number of seconds, not {value}"))
}

/// Serves `router` on `listener` until `stop` turns true, then stops
/// accepting and waits for every open connection to finish its answer.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    rules: ConnectionRules,
    metrics: Arc<Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let limits = Arc::new(Limits::new(&rules));
    let rules = Arc::new(rules);
    // Each connection task holds a sender: when all are gone, `recv` ends.
    let (alive, mut all_closed) = mpsc::channel::<()>(1);
    loop {
        let accepted = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if is_connection_error(&error) => continue,
            Err(error) => {
                // Usually out of file descriptors: retrying at once would spin.
                tracing::error!(error = %error, "accepting a connection failed");
                tokio::select! {
                    _ = stop.wait_for(|stop| *stop) => break,
                    () = tokio::time::sleep(Duration::from_millis(200)) => continue,
                }
            }
        };
        let slot = match limits.admit(remote.ip()) {
            Ok(slot) => slot,
            Err(refusal) => {
                tracing::warn!(%remote, ?refusal, "connection refused: too many open");
                metrics.connection_refused();
                tokio::spawn(refuse(stream));
                continue;
            }
        };
        // Streams (the coach's tokens, job events) write many small chunks:
        // without TCP_NODELAY each waits for the client's delayed ACK (40 ms).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(error = %error, "could not set TCP_NODELAY");
        }
        let connection = Connection {
            stream,
            remote,
            router: router.clone(),
            rules: rules.clone(),
            stop: stop.clone(),
        };
        let alive = alive.clone();
        let metrics = metrics.clone();
        metrics.connection_opened();
        tokio::spawn(async move {
            connection.run().await;
            metrics.connection_closed();
            drop(slot);
            drop(alive);
        });
    }
    drop(listener);
    drop(alive);
    let _ = all_closed.recv().await;
}

fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Answers a connection over the caps with a 503 and closes it.
async fn refuse(mut stream: TcpStream) {
    const BODY: &str = "Too many open connections; try again shortly.\n";
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\n\
         content-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let bounded = Duration::from_millis(500);
    let _ = tokio::time::timeout(bounded, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Closing with unread request bytes would reset the connection, and a
        // reset can discard the answer before the client reads it: drain
        // until the client closes (or the bound).
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), io::Error>(())
    })
    .await;
}

#[derive(Debug)]
enum Refusal {
    Total,
    Address,
}

/// Open connections, in all and per client address.
struct Limits {
    max_total: usize,
    max_per_address: usize,
    open: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

impl Limits {
    fn new(rules: &ConnectionRules) -> Self {
        Self {
            max_total: rules.max_connections,
            max_per_address: rules.max_connections_per_address,
            open: Mutex::new(Open::default()),
        }
    }

    fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        // An IPv4 client reaching a dual-stack socket is the same client.
        let ip = ip.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.total >= self.max_total {
            return Err(Refusal::Total);
        }
        let by_address = open.by_address.get(&ip).copied().unwrap_or(0);
        if self.max_per_address > 0 && by_address >= self.max_per_address {
            return Err(Refusal::Address);
        }
        open.total += 1;
        open.by_address.insert(ip, by_address + 1);
        Ok(Slot {
            limits: self.clone(),
            ip,
        })
    }
}

/// One admitted connection's place under the caps, given back on drop.
struct Slot {
    limits: Arc<Limits>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().unwrap_or_else(|p| p.into_inner());
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_address.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_address.remove(&self.ip);
            }
        }
    }
}

struct Connection {
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    rules: Arc<ConnectionRules>,
    stop: watch::Receiver<bool>,
}

impl Connection {
    async fn run(self) {
        let Connection {
            stream,
            remote,
            router,
            rules,
            mut stop,
        } = self;
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
        });
        let service = RouterService {
            router,
            remote,
            activity: activity.clone(),
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        // Off: see the module's comment; the watchdog below does it.
        builder.header_read_timeout(None).keep_alive(true);
        let connection = builder.serve_connection(io, service);
        tokio::pin!(connection);
        let mut stopping = false;
        loop {
            let deadline = activity.deadline(&rules);
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(error) = served {
                        tracing::debug!(%remote, error = %error, "connection ended with an error");
                    }
                    return;
                }
                () = sleep_until(deadline) => {
                    if activity.deadline(&rules).is_some_and(|d| d <= Instant::now()) {
                        tracing::debug!(%remote, "closing a stalled connection");
                        return;
                    }
                }
                () = activity.changed.notified() => {}
                _ = stop.wait_for(|stop| *stop), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// What a connection is doing, for the watchdog: answering requests (no
/// deadline), idle since an instant, or receiving a request's headers since
/// its first byte.
struct Activity {
    state: Mutex<ActivityState>,
    /// Wakes the watchdog when the deadline may have moved earlier.
    changed: Notify,
}

struct ActivityState {
    in_flight: usize,
    idle_since: Instant,
    head_started: Option<Instant>,
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new(ActivityState {
                in_flight: 0,
                idle_since: Instant::now(),
                head_started: None,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ActivityState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn deadline(&self, rules: &ConnectionRules) -> Option<Instant> {
        let state = self.lock();
        if state.in_flight > 0 {
            return None;
        }
        Some(match state.head_started {
            Some(started) => started + rules.header_read_timeout,
            None => state.idle_since + rules.idle_timeout,
        })
    }

    fn bytes_read(&self) {
        let mut state = self.lock();
        if state.in_flight == 0 && state.head_started.is_none() {
            state.head_started = Some(Instant::now());
            drop(state);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        let mut state = self.lock();
        state.in_flight += 1;
        state.head_started = None;
    }

    fn request_finished(&self) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        if state.in_flight == 0 {
            state.idle_since = Instant::now();
            state.head_started = None;
            drop(state);
            self.changed.notify_one();
        }
    }
}

/// A request being answered; finished when its response body is done or dropped.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.request_started();
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

/// The socket, telling the watchdog when bytes arrive.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The router as one connection's hyper service: adds the client's address
/// (for `ConnectInfo`) and keeps the request in flight until its body ends.
#[derive(Clone)]
struct RouterService {
    router: Router,
    remote: SocketAddr,
    activity: Arc<Activity>,
}

impl hyper::service::Service<Request<Incoming>> for RouterService {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        request.extensions_mut().insert(ConnectInfo(self.remote));
        let in_flight = InFlight::start(self.activity.clone());
        let mut router = self.router.clone();
        Box::pin(async move {
            let response = router.call(request).await?;
            Ok(response.map(|body| {
                Body::new(GuardedBody {
                    body,
                    _in_flight: in_flight,
                })
            }))
        })
    }
}

struct GuardedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for GuardedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
