//! The `serve` configuration, typed and grouped: server, limits, security and tasks (storage is
//! `crate::Storage`). Each default is written once, in [`defaults`]; the command line's flags (with
//! their environment variables) and [`Settings::default`] both read it, so a flag's `--help` and
//! what a test gets without flags cannot drift apart.

use std::time::Duration;

use kejiyun_domain::user::IdleRules;

use crate::platform::guard::LoginRules;
use crate::platform::limits::{Rate, RateRules};

/// Every default of `serve`, in one place.
pub mod defaults {
    /// Address to listen on.
    pub const BIND: &str = "127.0.0.1:8080";
    /// Address of `/metrics` (loopback: scraped from the machine, never from the public port).
    pub const METRICS_BIND: &str = "127.0.0.1:9464";
    /// Longest a request may take, body upload included, in seconds.
    pub const REQUEST_TIMEOUT_SECS: u64 = 30;
    /// Working days within which a steward must first respond to a service order.
    pub const SLA_DAYS: u32 = kejiyun_domain::service::DEFAULT_SLA_WORKING_DAYS;
    /// Lifetime of a login session, in hours (a week).
    pub const SESSION_HOURS: i64 = 24 * 7;
    /// Minutes a session of an admin or steward may go unused before it ends.
    pub const STAFF_IDLE_MINUTES: i64 = 30;
    /// Minutes a session of anyone else may go unused before it ends.
    pub const IDLE_MINUTES: i64 = 120;
    /// Longest session lifetime a flag may ask for, in hours (90 days).
    pub const MAX_SESSION_HOURS: i64 = 24 * 90;
    /// Failed logins of one account within the window before it is locked.
    pub const ACCOUNT_FAILURES: u32 = 5;
    /// Failed logins from one address within the window before it is locked.
    pub const ADDRESS_FAILURES: u32 = 30;
    /// Window of failed logins and length of a lockout, in minutes.
    pub const LOCKOUT_MINUTES: u64 = 15;
    /// Registrations per client address per hour.
    pub const REGISTER_PER_HOUR: u32 = 10;
    /// Items one account may create per hour.
    pub const PUBLISH_PER_HOUR: u32 = 30;
    /// Searches and match lists per client address per 10 seconds.
    pub const SEARCH_PER_10_SECS: u32 = 200;
    /// Votes per client address per minute.
    pub const VOTES_PER_MINUTE: u32 = 60;
    /// Seconds a claimed task is its worker's before another may run it.
    pub const TASK_LEASE_SECS: u64 = 300;
}

/// How the HTTP server answers.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Longest a request may take (slow uploads included) before it is answered 503.
    pub request_timeout: Duration,
    /// Working days within which a steward must first respond to a service order.
    pub sla_working_days: u32,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Real-IP` name the client (none by default: the
    /// peer address is the client).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            request_timeout: Duration::from_secs(defaults::REQUEST_TIMEOUT_SECS),
            sla_working_days: defaults::SLA_DAYS,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Sessions, cookies and the brute-force limits of logins.
#[derive(Debug, Clone)]
pub struct SecuritySettings {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Lifetime of a login, in hours.
    pub session_hours: i64,
    /// How long sessions may go unused.
    pub idle: IdleRules,
    /// Brute-force limits of logins.
    pub login_rules: LoginRules,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            secure_cookies: false,
            session_hours: defaults::SESSION_HOURS,
            idle: IdleRules::from_minutes(defaults::STAFF_IDLE_MINUTES, defaults::IDLE_MINUTES),
            login_rules: LoginRules::default(),
        }
    }
}

/// The task worker of this process.
#[derive(Debug, Clone)]
pub struct TaskSettings {
    /// Run a task worker and the periodic-job scheduler in this process (off for nodes that only
    /// answer requests; at least one node must run them).
    pub worker: bool,
    /// How long a claimed task is its worker's before another worker may run it (a killed process
    /// leaves its tasks to others after this).
    pub lease: Duration,
}

impl Default for TaskSettings {
    fn default() -> Self {
        TaskSettings { worker: true, lease: Duration::from_secs(defaults::TASK_LEASE_SECS) }
    }
}

/// Run-time settings the handlers need, grouped as the flags of `serve` are.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub server: ServerSettings,
    pub security: SecuritySettings,
    /// Quotas of registration, publishing, search and votes.
    pub limits: RateRules,
    pub tasks: TaskSettings,
}

/// `serve` flags of the server group.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Server")]
pub struct ServerArgs {
    /// Address to listen on.
    #[arg(long, env = "KEJIYUN_BIND", default_value = defaults::BIND)]
    pub bind: std::net::SocketAddr,
    /// Address of the Prometheus `/metrics` listener (keep it off the public network).
    #[arg(long, env = "KEJIYUN_METRICS_BIND", default_value = defaults::METRICS_BIND)]
    pub metrics_bind: std::net::SocketAddr,
    /// Reverse proxies (CIDRs, comma-separated) whose X-Forwarded-For / X-Real-IP headers are
    /// believed; from any other peer they are ignored.
    #[arg(long, env = "KEJIYUN_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Load the demo dataset first when the database is empty.
    #[arg(long, env = "KEJIYUN_DEMO")]
    pub demo: bool,
    /// Longest a request may take, body upload included, before it is answered 503.
    #[arg(long, env = "KEJIYUN_REQUEST_TIMEOUT_SECS", default_value_t = defaults::REQUEST_TIMEOUT_SECS,
        value_parser = clap::value_parser!(u64).range(1..=600))]
    pub request_timeout_secs: u64,
    /// Working days within which a steward must first respond to a service order.
    #[arg(long, env = "KEJIYUN_SLA_DAYS", default_value_t = defaults::SLA_DAYS,
        value_parser = clap::value_parser!(u32).range(1..=30))]
    pub sla_days: u32,
}

/// `serve` flags of the security group.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Security")]
pub struct SecurityArgs {
    /// Mark cookies Secure (set this behind HTTPS).
    #[arg(long, env = "KEJIYUN_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Lifetime of a login session, in hours.
    #[arg(long, env = "KEJIYUN_SESSION_HOURS", default_value_t = defaults::SESSION_HOURS,
        value_parser = clap::value_parser!(i64).range(1..=defaults::MAX_SESSION_HOURS))]
    pub session_hours: i64,
    /// Minutes a session of an expert, organisation or public account may go unused before it
    /// ends (cookie and bearer alike).
    #[arg(long, env = "KEJIYUN_IDLE_MINUTES", default_value_t = defaults::IDLE_MINUTES,
        value_parser = clap::value_parser!(i64).range(1..=defaults::MAX_SESSION_HOURS * 60))]
    pub idle_minutes: i64,
    /// Minutes a session of an admin or steward may go unused before it ends.
    #[arg(long, env = "KEJIYUN_STAFF_IDLE_MINUTES", default_value_t = defaults::STAFF_IDLE_MINUTES,
        value_parser = clap::value_parser!(i64).range(1..=defaults::MAX_SESSION_HOURS * 60))]
    pub staff_idle_minutes: i64,
}

/// `serve` flags of the limits group (0 switches a limit off).
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Limits")]
pub struct LimitArgs {
    /// Registrations allowed per client address per hour (0 = no limit).
    #[arg(long, env = "KEJIYUN_REGISTER_RATE", default_value_t = defaults::REGISTER_PER_HOUR)]
    pub register_rate: u32,
    /// Items one account may create per hour (0 = no limit).
    #[arg(long, env = "KEJIYUN_PUBLISH_RATE", default_value_t = defaults::PUBLISH_PER_HOUR)]
    pub publish_rate: u32,
    /// Searches allowed per client address per 10 seconds (0 = no limit).
    #[arg(long, env = "KEJIYUN_SEARCH_RATE", default_value_t = defaults::SEARCH_PER_10_SECS)]
    pub search_rate: u32,
    /// Votes allowed per client address per minute (0 = no limit).
    #[arg(long, env = "KEJIYUN_VOTE_RATE", default_value_t = defaults::VOTES_PER_MINUTE)]
    pub vote_rate: u32,
}

/// `serve` flags of the tasks group.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Tasks")]
pub struct TaskArgs {
    /// Run no task worker or periodic-job scheduler in this process (for nodes that only answer
    /// requests; at least one node must run them).
    #[arg(long, env = "KEJIYUN_NO_TASK_WORKER")]
    pub no_task_worker: bool,
    /// Seconds a claimed task is its worker's before another may run it (a killed process's
    /// tasks run again after this).
    #[arg(long, env = "KEJIYUN_TASK_LEASE_SECS", default_value_t = defaults::TASK_LEASE_SECS,
        value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub task_lease_secs: u64,
}

impl RateRules {
    /// The quotas as `serve`'s flags state them (per hour, per hour, per 10 s, per minute).
    pub fn from_flags(
        register_per_hour: u32,
        publish_per_hour: u32,
        search_per_10_secs: u32,
        votes_per_minute: u32,
    ) -> Self {
        let hour = Duration::from_secs(3600);
        RateRules {
            registration: Rate::per(register_per_hour, hour),
            publishing: Rate::per(publish_per_hour, hour),
            search: Rate::per(search_per_10_secs, Duration::from_secs(10)),
            voting: Rate::per(votes_per_minute, Duration::from_secs(60)),
        }
    }
}

impl Default for RateRules {
    fn default() -> Self {
        RateRules::from_flags(
            defaults::REGISTER_PER_HOUR,
            defaults::PUBLISH_PER_HOUR,
            defaults::SEARCH_PER_10_SECS,
            defaults::VOTES_PER_MINUTE,
        )
    }
}

impl Settings {
    /// The settings `serve`'s flags describe.
    pub fn from_args(server: &ServerArgs, security: &SecurityArgs, limits: &LimitArgs, tasks: &TaskArgs) -> Settings {
        Settings {
            server: ServerSettings {
                request_timeout: Duration::from_secs(server.request_timeout_secs),
                sla_working_days: server.sla_days,
                trusted_proxies: server.trusted_proxies.clone(),
            },
            security: SecuritySettings {
                secure_cookies: security.secure_cookies,
                session_hours: security.session_hours,
                idle: IdleRules::from_minutes(security.staff_idle_minutes, security.idle_minutes),
                login_rules: LoginRules::default(),
            },
            limits: RateRules::from_flags(
                limits.register_rate,
                limits.publish_rate,
                limits.search_rate,
                limits.vote_rate,
            ),
            tasks: TaskSettings { worker: !tasks.no_task_worker, lease: Duration::from_secs(tasks.task_lease_secs) },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Serve {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        security: SecurityArgs,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        tasks: TaskArgs,
    }

    fn parse(args: &[&str]) -> Settings {
        let serve = Serve::try_parse_from(std::iter::once("serve").chain(args.iter().copied())).unwrap();
        Settings::from_args(&serve.server, &serve.security, &serve.limits, &serve.tasks)
    }

    #[test]
    fn no_flags_give_the_defaults() {
        // (Environment variables of the flags are not set in the test process.)
        let flags = parse(&[]);
        let plain = Settings::default();
        assert_eq!(flags.server.request_timeout, plain.server.request_timeout);
        assert_eq!(flags.server.sla_working_days, plain.server.sla_working_days);
        assert_eq!(flags.security.session_hours, plain.security.session_hours);
        assert_eq!(flags.security.secure_cookies, plain.security.secure_cookies);
        assert_eq!(flags.security.idle, plain.security.idle);
        assert_eq!(flags.limits.registration, plain.limits.registration);
        assert_eq!(flags.limits.publishing, plain.limits.publishing);
        assert_eq!(flags.limits.search, plain.limits.search);
        assert_eq!(flags.limits.voting, plain.limits.voting);
        assert_eq!(flags.tasks.worker, plain.tasks.worker);
        assert_eq!(flags.tasks.lease, plain.tasks.lease);
    }

    #[test]
    fn flags_land_in_their_group() {
        let s = parse(&[
            "--request-timeout-secs",
            "5",
            "--sla-days",
            "4",
            "--secure-cookies",
            "--session-hours",
            "12",
            "--idle-minutes",
            "60",
            "--staff-idle-minutes",
            "10",
            "--search-rate",
            "0",
            "--vote-rate",
            "7",
            "--no-task-worker",
            "--task-lease-secs",
            "2",
            "--trusted-proxies",
            "10.0.0.0/8,fd00::/8",
        ]);
        assert_eq!(s.server.trusted_proxies.len(), 2);
        assert_eq!(s.server.request_timeout, Duration::from_secs(5));
        assert_eq!(s.server.sla_working_days, 4);
        assert!(s.security.secure_cookies);
        assert_eq!(s.security.session_hours, 12);
        assert_eq!(s.security.idle, IdleRules::from_minutes(10, 60));
        assert_eq!(s.limits.search.burst, 0, "0 switches the search quota off");
        assert_eq!(s.limits.voting, Rate::per(7, Duration::from_secs(60)));
        assert!(!s.tasks.worker);
        assert_eq!(s.tasks.lease, Duration::from_secs(2));
    }

    #[test]
    fn out_of_range_flags_are_refused() {
        for args in [
            &["--session-hours", "0"][..],
            &["--session-hours", "2161"],
            &["--sla-days", "31"],
            &["--task-lease-secs", "0"],
            &["--trusted-proxies", "10.0.0.0/33"],
            &["--metrics-bind", "metrics"],
        ] {
            let parsed = Serve::try_parse_from(std::iter::once("serve").chain(args.iter().copied()));
            assert!(parsed.is_err(), "{args:?} must be refused");
        }
    }
}
