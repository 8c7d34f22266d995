//! Brakes on account abuse, in memory and driven by the app's clock: failed
//! logins per (account, address) with exponential backoff, failed logins per
//! address across accounts, and sign-ups per address. A restart forgets them,
//! which is acceptable for brakes (the passwords are argon2id hashes either way).
//!
//! There is deliberately no lock per account alone: whatever its ceiling, an
//! attacker anywhere could reach it and lock the owner out of every address,
//! which is the abuse this module exists to stop. Guessing one account from
//! many addresses is slowed instead by each pair's backoff, by each address's
//! own limit, by the slow hash and by refusing common passwords.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

use crate::config::AuthConfig;

/// A pair that has not failed for this long starts again from zero.
const PAIR_MEMORY: Duration = Duration::hours(1);
/// How often stale entries are swept out, so the maps stay small.
const SWEEP_EVERY: Duration = Duration::minutes(1);

/// The unit the limits count by: an IPv4 address, or an IPv6 /64, since one
/// subscriber is usually handed a whole /64 and could rotate through it.
pub fn network(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V4(_) => addr,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from_bits(
                v6.to_bits() & !((1u128 << 64) - 1),
            )),
        },
    }
}

/// Up to `max` events per `window`, sliding.
struct Window {
    max: usize,
    window: Duration,
    events: HashMap<IpAddr, VecDeque<OffsetDateTime>>,
}

impl Window {
    fn new(max: u32, window: Duration) -> Self {
        Self {
            max: usize::try_from(max).unwrap_or(usize::MAX).max(1),
            window,
            events: HashMap::new(),
        }
    }

    /// `Err(wait)` when `addr` has used up its window.
    fn check(&mut self, addr: IpAddr, now: OffsetDateTime) -> Result<(), Duration> {
        let Some(times) = self.events.get_mut(&network(addr)) else {
            return Ok(());
        };
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        match times.front() {
            Some(oldest) if times.len() >= self.max => Err(*oldest + self.window - now),
            _ => Ok(()),
        }
    }

    fn record(&mut self, addr: IpAddr, now: OffsetDateTime) {
        let times = self.events.entry(network(addr)).or_default();
        times.push_back(now);
        // Only the newest `max` can matter for the decision.
        while times.len() > self.max {
            times.pop_front();
        }
    }

    fn sweep(&mut self, now: OffsetDateTime) {
        let window = self.window;
        self.events
            .retain(|_, times| times.back().is_some_and(|t| now - *t < window));
    }
}

/// Consecutive failures of one (account, address) pair.
struct Streak {
    failures: u32,
    last: OffsetDateTime,
}

struct LoginState {
    pairs: HashMap<(String, IpAddr), Streak>,
    per_address: Window,
    swept: OffsetDateTime,
}

/// Why a login attempt is refused before its password is even checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// Whole seconds until an attempt may succeed, at least 1.
    pub retry_after_secs: u64,
}

fn throttled(wait: Duration) -> Throttled {
    let millis = wait.whole_milliseconds().max(1);
    let secs = (millis + 999) / 1000;
    Throttled {
        retry_after_secs: u64::try_from(secs).unwrap_or(u64::MAX),
    }
}

pub struct LoginLimiter {
    free_failures: u32,
    max_backoff: Duration,
    state: Mutex<LoginState>,
}

impl LoginLimiter {
    pub fn new(config: &AuthConfig) -> Self {
        let max_secs = i64::try_from(config.login_backoff_max_secs).unwrap_or(i64::MAX);
        Self {
            free_failures: config.login_failures_before_backoff.max(1),
            max_backoff: Duration::seconds(max_secs.max(1)),
            state: Mutex::new(LoginState {
                pairs: HashMap::new(),
                per_address: Window::new(
                    config.login_failures_per_address_per_hour,
                    Duration::hours(1),
                ),
                swept: OffsetDateTime::UNIX_EPOCH,
            }),
        }
    }

    /// The pause a pair must take after its `failures`-th failure in a row:
    /// none for the first few, then 1 s, 2 s, 4 s ... up to the cap.
    fn backoff(&self, failures: u32) -> Duration {
        let excess = failures
            .saturating_add(1)
            .saturating_sub(self.free_failures);
        match excess {
            0 => Duration::ZERO,
            // 2^62 s is past any cap; larger shifts would overflow.
            62.. => self.max_backoff,
            n => Duration::seconds(1i64 << (n - 1)).min(self.max_backoff),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LoginState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `username` may be tried from `addr` now.
    pub fn check(
        &self,
        username: &str,
        addr: IpAddr,
        now: OffsetDateTime,
    ) -> Result<(), Throttled> {
        let mut state = self.lock();
        if now - state.swept >= SWEEP_EVERY {
            state.pairs.retain(|_, s| now - s.last < PAIR_MEMORY);
            state.per_address.sweep(now);
            state.swept = now;
        }
        let mut wait = Duration::ZERO;
        if let Err(w) = state.per_address.check(addr, now) {
            wait = wait.max(w);
        }
        if let Some(streak) = state.pairs.get(&pair(username, addr))
            && now - streak.last < PAIR_MEMORY
        {
            let until = streak.last + self.backoff(streak.failures);
            wait = wait.max(until - now);
        }
        if wait > Duration::ZERO {
            Err(throttled(wait))
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, username: &str, addr: IpAddr, now: OffsetDateTime) {
        let mut state = self.lock();
        state.per_address.record(addr, now);
        let streak = state.pairs.entry(pair(username, addr)).or_insert(Streak {
            failures: 0,
            last: now,
        });
        if now - streak.last >= PAIR_MEMORY {
            streak.failures = 0;
        }
        streak.failures = streak.failures.saturating_add(1);
        streak.last = now;
    }

    /// The owner got in from `addr`: that pair starts again from zero.
    pub fn record_success(&self, username: &str, addr: IpAddr) {
        self.lock().pairs.remove(&pair(username, addr));
    }
}

/// Usernames are case-insensitive, so `Alice` and `alice` share a streak.
fn pair(username: &str, addr: IpAddr) -> (String, IpAddr) {
    (username.trim().to_lowercase(), network(addr))
}

/// Accounts created per address per hour.
pub struct SignupLimiter {
    window: Mutex<Window>,
}

impl SignupLimiter {
    pub fn new(per_hour: u32) -> Self {
        Self {
            window: Mutex::new(Window::new(per_hour, Duration::hours(1))),
        }
    }

    /// Counts one sign-up from `addr` if the address has any left: checking
    /// and counting under one lock, so racing requests cannot both pass.
    pub fn admit(&self, addr: IpAddr, now: OffsetDateTime) -> Result<(), Throttled> {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        window.sweep(now);
        window.check(addr, now).map_err(throttled)?;
        window.record(addr, now);
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limiter(free: u32, max_backoff: u64, per_address: u32) -> LoginLimiter {
        LoginLimiter::new(&AuthConfig {
            login_failures_before_backoff: free,
            login_backoff_max_secs: max_backoff,
            login_failures_per_address_per_hour: per_address,
            ..AuthConfig::default()
        })
    }

    fn t(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_700_000_000 + secs).unwrap()
    }

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn the_backoff_doubles_after_the_free_failures_up_to_its_cap() {
        let l = limiter(3, 10, 1000);
        let waits: Vec<i64> = (0..9).map(|n| l.backoff(n).whole_seconds()).collect();
        assert_eq!(waits, [0, 0, 0, 1, 2, 4, 8, 10, 10]);
        assert_eq!(l.backoff(u32::MAX - 1), Duration::seconds(10));
    }

    #[test]
    fn a_pair_in_backoff_leaves_the_same_account_open_from_another_address() {
        let l = limiter(2, 60, 1000);
        for s in 0..2 {
            l.check("alice", A, t(s)).unwrap();
            l.record_failure("Alice", A, t(s));
        }
        assert_eq!(
            l.check("ALICE", A, t(1)),
            Err(Throttled {
                retry_after_secs: 1
            })
        );
        assert_eq!(l.check("alice", B, t(1)), Ok(()));
        assert_eq!(l.check("bob", A, t(1)), Ok(()));
        assert_eq!(l.check("alice", A, t(2)), Ok(()));
        l.record_failure("alice", A, t(2));
        assert_eq!(l.check("alice", A, t(3)).unwrap_err().retry_after_secs, 1);
        assert_eq!(l.check("alice", A, t(4)), Ok(()));
        l.record_success("alice", A);
        l.record_failure("alice", A, t(5));
        assert_eq!(
            l.check("alice", A, t(5)),
            Ok(()),
            "a success resets the pair"
        );
    }

    #[test]
    fn a_pair_is_forgotten_after_an_hour_without_failures() {
        let l = limiter(1, 3600, 1000);
        for s in 0..8 {
            l.record_failure("alice", A, t(s));
        }
        assert!(l.check("alice", A, t(100)).is_err());
        assert_eq!(l.check("alice", A, t(7 + 3600)), Ok(()));
        l.record_failure("alice", A, t(7 + 3600));
        assert_eq!(
            l.check("alice", A, t(7 + 3600)),
            Err(Throttled {
                retry_after_secs: 1
            }),
            "the streak restarted from one failure"
        );
    }

    #[test]
    fn one_address_failing_across_many_accounts_is_stopped_for_the_rest_of_the_hour() {
        let l = limiter(100, 60, 3);
        for (s, user) in ["a", "b", "c"].iter().enumerate() {
            let s = i64::try_from(s).unwrap();
            l.check(user, A, t(s)).unwrap();
            l.record_failure(user, A, t(s));
        }
        let wait = l.check("d", A, t(10)).unwrap_err();
        assert_eq!(wait.retry_after_secs, 3600 - 10);
        assert_eq!(l.check("d", B, t(10)), Ok(()));
        assert_eq!(l.check("d", A, t(3600)), Ok(()));
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(network(a), network(b));
        assert_ne!(network(a), network(c));
        assert_eq!(network("::ffff:10.0.0.1".parse().unwrap()), A);
        let l = SignupLimiter::new(1);
        assert_eq!(l.admit(a, t(0)), Ok(()));
        assert!(l.admit(b, t(1)).is_err(), "same /64");
        assert_eq!(l.admit(c, t(1)), Ok(()));
    }

    #[test]
    fn sign_ups_are_admitted_per_address_up_to_the_hourly_limit() {
        let l = SignupLimiter::new(2);
        assert_eq!(l.admit(A, t(0)), Ok(()));
        assert_eq!(l.admit(A, t(10)), Ok(()));
        assert_eq!(l.admit(A, t(20)).unwrap_err().retry_after_secs, 3600 - 20);
        assert_eq!(l.admit(B, t(20)), Ok(()));
        assert_eq!(l.admit(A, t(3600)), Ok(()));
    }
}
