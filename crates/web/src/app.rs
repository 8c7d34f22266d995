//! Startup as a library function: [`App::build`] connects the store and the
//! object storage, binds the listener and prepares the workers;
//! [`App::serve`] runs the HTTP server and the workers as sibling tasks until
//! the shutdown future resolves, then drains both.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use filmroom_domain::Registry;
use filmroom_jobs::Worker;
use filmroom_store::Store;
use filmroom_store::objects::{self, ObjectStore};
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::coach::CoachService;
use crate::config::Config;
use crate::conn::ConnectionRules;
use crate::events::JobFeed;
use crate::metrics::Metrics;
use crate::node::NodeIdentity;
use crate::pre_session::PreSessionCsrf;
use crate::throttle::{LoginLimiter, SignupLimiter};

/// A budget reservation older than this belongs to a call whose process died:
/// no model call runs this long (the clients time out idle streams far sooner).
const STALE_RESERVATION: time::Duration = time::Duration::minutes(30);

/// Where the time comes from: the system clock, or a test's.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> OffsetDateTime + Send + Sync>);

impl Clock {
    pub fn system() -> Self {
        Self(Arc::new(OffsetDateTime::now_utc))
    }

    pub fn from_fn(f: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }

    pub fn now(&self) -> OffsetDateTime {
        (self.0)()
    }
}

/// Everything a handler may use, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub objects: Arc<dyn ObjectStore>,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub limiter: Arc<LoginLimiter>,
    pub signups: Arc<SignupLimiter>,
    /// Signs and checks the CSRF value of the log-in and sign-up forms.
    pub pre_session: Arc<PreSessionCsrf>,
    pub metrics: Arc<Metrics>,
    /// Wakes idle workers as soon as an upload is queued.
    pub wake: Arc<Notify>,
    /// Flips to `true` when the server shuts down: long-lived streams end on it.
    pub shutdown: watch::Receiver<bool>,
    pub worker_count: usize,
    /// The coach's provider and profiles, built from the config at startup.
    pub coach: Arc<CoachService>,
    /// This process in the process registry.
    pub node: Arc<NodeIdentity>,
    /// Upload room and staging shared by all upload requests.
    pub uploads: Arc<crate::uploads::UploadGate>,
    /// Job state changes for every event stream, read once per change.
    pub job_feed: Arc<JobFeed>,
    /// The kinds of recording this deployment handles, registered by the binary.
    pub domains: Arc<Registry>,
}

pub struct App {
    listener: TcpListener,
    state: AppState,
    workers: Vec<Worker>,
    shutdown_tx: watch::Sender<bool>,
    extra_routes: axum::Router<AppState>,
}

impl App {
    /// Builds the app from `config` and the kinds of recording it handles
    /// (`domains`), with the system clock.
    pub async fn build(config: Config, domains: Registry) -> anyhow::Result<App> {
        Self::build_with_clock(config, Clock::system(), domains).await
    }

    pub async fn build_with_clock(
        config: Config,
        clock: Clock,
        domains: Registry,
    ) -> anyhow::Result<App> {
        let database_url = config.storage.database_url();
        let store = filmroom_store::connect(&database_url)
            .await
            .context("Failed to open the database")?;
        let objects = open_objects(&config).await?;
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("Failed to listen on {}", config.server.listen))?;

        let coach = Arc::new(
            CoachService::from_config(&config.coach).context("Failed to set up the coach")?,
        );
        // Calls a previous run died in the middle of still hold budget: settle
        // them at their full amount (never undercharging).
        let stale = store
            .settle_stale_reservations(clock.now() - STALE_RESERVATION, clock.now())
            .await
            .context("Failed to settle the budget reservations of a previous run")?;
        if stale > 0 {
            tracing::info!(stale, "settled budget reservations left by a previous run");
        }
        // Files whose rows a previous run deleted but could not remove yet.
        let purged = crate::rights::service::purge_objects(&store, &objects).await;
        if purged.deleted > 0 {
            tracing::info!(
                deleted = purged.deleted,
                "removed the files of deleted recordings"
            );
        }
        // Checked here so a bad value stops startup, not the first connection.
        ConnectionRules::from_config(&config.server)?;
        crate::conn::seconds("server.body_timeout_secs", config.server.body_timeout_secs)?;
        crate::conn::seconds(
            "server.request_timeout_secs",
            config.server.request_timeout_secs,
        )?;
        let job_feed = Arc::new(JobFeed::new(
            store.clone(),
            config.limits.max_event_streams_per_user,
            // Workers in this process say when a job changes; jobs run by
            // other processes are seen by polling, or at once where the
            // store signals them (`Store::job_signals`).
            if config.jobs.workers > 0 {
                Duration::from_secs(5)
            } else {
                Duration::from_millis(config.jobs.poll_interval_ms)
            },
        ));
        let pre_session_key = store
            .server_secret(
                crate::pre_session::KEY_NAME,
                &crate::auth::random_secret()?,
                clock.now(),
            )
            .await
            .context("Failed to load the key that signs the log-in forms")?;
        let wake = Arc::new(Notify::new());
        let analyzers = crate::analyzer::analyzers(&domains);
        let outdated = crate::analyzer::queue_outdated(store.as_ref(), &domains, clock.now())
            .await
            .context("Failed to queue the re-analysis of outdated recordings")?;
        if outdated > 0 {
            tracing::info!(outdated, "queued re-analyses for a new analysis revision");
        }
        // Before any work: refuses a name a live process uses, and frees what
        // a dead previous run of this name held.
        let me = NodeIdentity::new(config.jobs.node.as_deref())?.with_workers(config.jobs.workers);
        crate::node::register(
            store.as_ref(),
            &me,
            Duration::from_secs(config.jobs.lease_secs),
            &clock,
        )
        .await?;
        let workers: Vec<Worker> = (0..config.jobs.workers)
            .map(|n| {
                Worker::new(
                    store.clone(),
                    objects.clone(),
                    analyzers.clone(),
                    crate::worker_process::worker_config(&config.jobs, &me.name, n),
                )
                .with_wake(wake.clone())
                .with_changes(job_feed.changed_handle())
            })
            .collect();

        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let state = AppState {
            store,
            objects,
            limiter: Arc::new(LoginLimiter::new(&config.auth)),
            signups: Arc::new(SignupLimiter::new(config.auth.signups_per_address_per_hour)),
            pre_session: Arc::new(PreSessionCsrf::new(&pre_session_key)),
            metrics: Arc::new(Metrics::default()),
            wake,
            shutdown: shutdown_rx,
            worker_count: workers.len(),
            coach,
            node: Arc::new(me),
            uploads: Arc::new(crate::uploads::UploadGate::new(&config)),
            job_feed,
            domains: Arc::new(domains),
            config: Arc::new(config),
            clock,
        };
        Ok(App {
            listener,
            state,
            workers,
            shutdown_tx,
            extra_routes: axum::Router::new(),
        })
    }

    /// Serves `routes` too, behind the same layers as every route: for tests
    /// that need a handler the product has no business with (one that panics).
    pub fn with_extra_routes(mut self, routes: axum::Router<AppState>) -> Self {
        self.extra_routes = routes;
        self
    }

    pub fn port(&self) -> u16 {
        self.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves: then stops accepting, ends the live
    /// streams, lets in-flight requests finish, and lets each worker finish its
    /// running job (or hand it back) before returning.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let App {
            listener,
            state,
            workers,
            shutdown_tx,
            extra_routes,
        } = self;
        let shutdown_tx = Arc::new(shutdown_tx);

        let mut worker_tasks = Vec::new();
        for worker in workers {
            let mut rx = state.shutdown.clone();
            worker_tasks.push(tokio::spawn(async move {
                worker
                    .run(async move {
                        let _ = rx.wait_for(|stop| *stop).await;
                    })
                    .await
            }));
        }

        let registry = tokio::spawn(crate::node::run(
            state.store.clone(),
            (*state.node).clone(),
            Duration::from_secs(state.config.jobs.lease_secs),
            state.clock.clone(),
            state.shutdown.clone(),
        ));
        let rules = ConnectionRules::from_config(&state.config.server)?;
        let feed = tokio::spawn(state.job_feed.clone().run(state.shutdown.clone()));
        // Other processes' job changes, where the store can tell (PostgreSQL).
        let signals = tokio::spawn(crate::events::forward_job_signals(
            state.store.clone(),
            state.job_feed.changed_handle(),
            state.shutdown.clone(),
        ));
        let stop = state.shutdown.clone();
        let metrics = state.metrics.clone();
        let router = crate::routes::router_with_extra(state, extra_routes);
        let signal_tx = shutdown_tx.clone();
        tokio::spawn(async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections");
            let _ = signal_tx.send(true);
        });
        crate::conn::serve(listener, router, rules, metrics, stop).await;
        // Also when the server failed: the workers must stop either way.
        let _ = shutdown_tx.send(true);
        for task in worker_tasks {
            if let Err(error) = task.await {
                tracing::error!(error = %error, "worker task panicked");
            }
        }
        if let Err(error) = feed.await {
            tracing::error!(error = %error, "job event feed panicked");
        }
        if let Err(error) = signals.await {
            tracing::error!(error = %error, "job signal listener panicked");
        }
        // Last: it leaves the registry once the workers have handed back their jobs.
        if let Err(error) = registry.await {
            tracing::error!(error = %error, "node registry task panicked");
        }
        tracing::info!("shut down");
        Ok(())
    }
}

/// The configured object storage, checked (server reachable, bucket there)
/// so a misconfiguration stops startup with a clear message.
pub async fn open_objects(config: &Config) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let objects = objects::connect_with(&config.storage.objects_url(), &config.storage.s3)
        .context("Failed to open the object storage")?;
    objects
        .check()
        .await
        .context("Failed to open the object storage")?;
    Ok(objects)
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
