//! This process in the process registry: its node name (`jobs.node`, unique
//! per process by default), registration at start, the heartbeat, and the
//! sweep that releases what dead processes held (budget reservations, job
//! leases).
//!
//! A process is dead when its heartbeat is older than the lease, or at once
//! when it ran on this host and its pid is gone: a process killed with
//! `kill -9` and restarted under the same name need not wait out the lease.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use anyhow::Context;
use filmroom_store::{NodeRecord, Store, StoreError};
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::app::Clock;

/// Who this process is in the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeIdentity {
    pub name: String,
    pub instance: String,
    pub host: String,
    pub pid: u32,
    /// Analysis workers this process runs (0: web only), shown by `/status`.
    pub workers: u32,
}

/// Instances registered by this very process: a row with our host and pid is
/// alive only if it is one of these (the pid may be ours by reuse, as PID 1 is
/// in every container).
fn own_instances() -> &'static Mutex<HashSet<String>> {
    static OWN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    OWN.get_or_init(Mutex::default)
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("Failed to read random bytes: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The machine's name, for the default node name and the liveness check.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "filmroom".to_owned())
}

impl NodeIdentity {
    /// `configured`, or by default `HOST-PID-RANDOM`: two processes left on
    /// the default can never take each other for a restart of themselves.
    pub fn new(configured: Option<&str>) -> anyhow::Result<Self> {
        let host = hostname();
        let pid = std::process::id();
        let name = match configured {
            Some(name) => name.to_owned(),
            None => format!("{host}-{pid}-{}", random_hex(3)?),
        };
        Ok(Self {
            name,
            instance: random_hex(8)?,
            host,
            pid,
            workers: 0,
        })
    }

    /// The same identity, registered as running `workers` analysis workers.
    pub fn with_workers(mut self, workers: usize) -> Self {
        self.workers = u32::try_from(workers).unwrap_or(u32::MAX);
        self
    }
}

/// Whether the process that wrote `row` is certainly gone without waiting
/// for its heartbeat to go stale: it ran on this host and its pid is not
/// running (or is ours, and the row is not one of our own instances).
fn gone_from_this_host(row: &NodeRecord, me: &NodeIdentity) -> bool {
    if row.host != me.host {
        return false;
    }
    if row.pid == me.pid {
        return own_instances()
            .lock()
            .map(|own| !own.contains(&row.instance))
            .unwrap_or(false);
    }
    // Without /proc (not Linux) nothing can be told: wait for the heartbeat.
    std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{}", row.pid)).exists()
}

/// The processes that are alive as far as the registry can tell: their
/// heartbeat is younger than the lease. (The pid check of [`is_dead`] is
/// left to the sweep: a listing should not depend on which host reads it.)
pub fn live(nodes: Vec<NodeRecord>, lease: Duration, now: OffsetDateTime) -> Vec<NodeRecord> {
    let stale_before = now - lease;
    nodes
        .into_iter()
        .filter(|n| n.heartbeat_at >= stale_before)
        .collect()
}

fn is_dead(row: &NodeRecord, me: &NodeIdentity, stale_before: OffsetDateTime) -> bool {
    row.heartbeat_at < stale_before || gone_from_this_host(row, me)
}

/// Registers this process under its node name, or fails with a clear message
/// when a live process already uses it. A dead holder of the name (a killed
/// previous run) has its reservations released and its jobs freed.
pub async fn register(
    store: &dyn Store,
    me: &NodeIdentity,
    lease: Duration,
    clock: &Clock,
) -> anyhow::Result<()> {
    let now = clock.now();
    let stale_before = now - lease;
    let holder = store
        .nodes()
        .await
        .context("Failed to read the process registry")?
        .into_iter()
        .find(|n| n.name == me.name);
    let replacing = holder
        .as_ref()
        .filter(|h| is_dead(h, me, stale_before))
        .map(|h| h.instance.clone());
    let record = NodeRecord {
        name: me.name.clone(),
        instance: me.instance.clone(),
        host: me.host.clone(),
        pid: me.pid,
        started_at: now,
        heartbeat_at: now,
        workers: me.workers,
    };
    match store
        .register_node(&record, replacing.as_deref(), stale_before, now)
        .await
    {
        Ok(released) => {
            if let Ok(mut own) = own_instances().lock() {
                own.insert(me.instance.clone());
            }
            if released > 0 {
                tracing::info!(
                    released,
                    node = %me.name,
                    "released the budget reservations of this node's previous run"
                );
            }
        }
        Err(StoreError::NodeInUse { name, host, pid }) => anyhow::bail!(
            "another filmroom process is running as node {name:?} (pid {pid} on {host}); \
             give each process its own name with jobs.node (FILMROOM__JOBS__NODE), or leave \
             it unset for a unique one"
        ),
        Err(other) => return Err(other).context("Failed to register this process"),
    }
    // Jobs the previous run of this name died holding: free them now rather
    // than when their lease runs out.
    let freed = store
        .expire_worker_leases(&format!("{}-", me.name), now)
        .await
        .context("Failed to recover the jobs of a previous run")?;
    if freed > 0 {
        tracing::info!(freed, "recovered jobs left running by a previous run");
    }
    sweep(store, me, lease, clock).await
}

/// Releases the reservations and job leases of every dead node but this one.
pub async fn sweep(
    store: &dyn Store,
    me: &NodeIdentity,
    lease: Duration,
    clock: &Clock,
) -> anyhow::Result<()> {
    let now = clock.now();
    let stale_before = now - lease;
    let nodes = store
        .nodes()
        .await
        .context("Failed to read the process registry")?;
    for dead in nodes
        .iter()
        .filter(|n| n.name != me.name && is_dead(n, me, stale_before))
    {
        let released = store
            .release_node(&dead.name, &dead.instance, now)
            .await
            .context("Failed to release a dead process's reservations")?;
        let freed = store
            .expire_worker_leases(&format!("{}-", dead.name), now)
            .await
            .context("Failed to free a dead process's jobs")?;
        tracing::info!(node = %dead.name, released, freed, "released what a dead process held");
    }
    Ok(())
}

/// Beats every third of the lease and sweeps dead nodes, until `stop`; then
/// leaves the registry (what this process still holds is released with it).
pub async fn run(
    store: std::sync::Arc<dyn Store>,
    me: NodeIdentity,
    lease: Duration,
    clock: Clock,
    mut stop: watch::Receiver<bool>,
) {
    let every = (lease / 3).max(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.wait_for(|s| *s) => break,
        }
        match store
            .node_heartbeat(&me.name, &me.instance, clock.now())
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound { .. }) => tracing::error!(
                node = %me.name,
                "another process took over this node name (it judged this one dead)"
            ),
            Err(error) => tracing::warn!(error = %error, "node heartbeat failed"),
        }
        if let Err(error) = sweep(store.as_ref(), &me, lease, &clock).await {
            tracing::warn!(error = format!("{error:#}"), "sweep of dead nodes failed");
        }
    }
    match store
        .release_node(&me.name, &me.instance, clock.now())
        .await
    {
        Ok(released) if released > 0 => {
            tracing::info!(released, "settled reservations still open at shutdown")
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(error = %error, "failed to leave the process registry"),
    }
    if let Ok(mut own) = own_instances().lock() {
        own.remove(&me.instance);
    }
}
