//! A worker-only process (`filmroom worker`): analysis workers on the shared
//! database and object storage, with no HTTP listener. It registers in the
//! process registry like a web process (so `/status` on any web process
//! lists it, and its jobs are recovered when it dies) and beats its
//! heartbeat; systemd or the like restarts it when it exits.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use filmroom_domain::Registry;
use filmroom_jobs::{Worker, WorkerConfig};
use filmroom_store::{Backoff, Store};
use tokio::sync::{Notify, watch};

use crate::app::Clock;
use crate::config::{Config, JobsConfig};
use crate::node::NodeIdentity;

/// The configuration of worker `n` of the process named `node`: its id is
/// `NODE-PID-wN`, the prefix the registry frees when the process dies.
pub fn worker_config(jobs: &JobsConfig, node: &str, n: usize) -> WorkerConfig {
    let mut config = WorkerConfig::new(format!("{node}-{}-w{n}", std::process::id()));
    config.job_timeout = Duration::from_secs(jobs.job_timeout_secs);
    config.lease = Duration::from_secs(jobs.lease_secs);
    config.heartbeat_every = Duration::from_secs((jobs.lease_secs / 3).max(1));
    config.poll_interval = Duration::from_millis(jobs.poll_interval_ms);
    config.backoff = Backoff::default();
    config
}

/// A built worker process, registered and ready to [`WorkerProcess::run`].
pub struct WorkerProcess {
    store: Arc<dyn Store>,
    node: NodeIdentity,
    workers: Vec<Worker>,
    lease: Duration,
    clock: Clock,
}

impl WorkerProcess {
    /// Opens the store and the object storage (checked), and registers this
    /// process with `jobs.workers` workers (at least one).
    pub async fn build(config: Config, domains: Registry) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Clock::system(), domains).await
    }

    pub async fn build_with_clock(
        config: Config,
        clock: Clock,
        domains: Registry,
    ) -> anyhow::Result<Self> {
        if config.jobs.workers == 0 {
            anyhow::bail!(
                "jobs.workers is 0: a worker process needs at least one worker \
                 (FILMROOM__JOBS__WORKERS)"
            );
        }
        let store = filmroom_store::connect(&config.storage.database_url())
            .await
            .context("Failed to open the database")?;
        let objects = crate::app::open_objects(&config).await?;
        let lease = Duration::from_secs(config.jobs.lease_secs);
        let node =
            NodeIdentity::new(config.jobs.node.as_deref())?.with_workers(config.jobs.workers);
        crate::node::register(store.as_ref(), &node, lease, &clock).await?;
        let analyzers = crate::analyzer::analyzers(&domains);
        // Shared so one wake reaches every worker; nothing in this process
        // enqueues, so they find new jobs by polling.
        let wake = Arc::new(Notify::new());
        let workers = (0..config.jobs.workers)
            .map(|n| {
                Worker::new(
                    store.clone(),
                    objects.clone(),
                    analyzers.clone(),
                    worker_config(&config.jobs, &node.name, n),
                )
                .with_wake(wake.clone())
            })
            .collect();
        Ok(Self {
            store,
            node,
            workers,
            lease,
            clock,
        })
    }

    /// This process's node name in the registry.
    pub fn node_name(&self) -> &str {
        &self.node.name
    }

    /// Works until `shutdown` resolves; then each worker finishes its running
    /// job or hands it back, and the process leaves the registry.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = Vec::new();
        for worker in self.workers {
            let mut rx = stop_rx.clone();
            tasks.push(tokio::spawn(async move {
                worker
                    .run(async move {
                        let _ = rx.wait_for(|stop| *stop).await;
                    })
                    .await
            }));
        }
        let registry = tokio::spawn(crate::node::run(
            self.store.clone(),
            self.node.clone(),
            self.lease,
            self.clock.clone(),
            stop_rx,
        ));
        tracing::info!(node = %self.node.name, workers = tasks.len(), "filmroom worker is running");
        shutdown.await;
        tracing::info!("shutting down: finishing or handing back running jobs");
        let _ = stop_tx.send(true);
        for task in tasks {
            if let Err(error) = task.await {
                tracing::error!(error = %error, "worker task panicked");
            }
        }
        // Last: it leaves the registry once the workers have handed back their jobs.
        if let Err(error) = registry.await {
            tracing::error!(error = %error, "node registry task panicked");
        }
        tracing::info!("shut down");
    }
}
