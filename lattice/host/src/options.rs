//! Command-line and environment options of the host, and their translation into the library's
//! configuration.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::{Parser, ValueEnum};
use nats_auth::creds::Creds;
use nkeys::KeyPair;
use telemetry::{Sampling, TraceExport};
use wasmcloud_core::logging::Level as HostLogLevel;
use wasmcloud_core::OtelConfig;
use wasmcloud_host::url::Url;
use wasmcloud_host::wasmbus::host_config::PolicyService;
use wasmcloud_host::wasmbus::{Features, HostConfig};
use wasmcloud_host::OciConfig;

/// Prefix of the environment variables that add host labels, as in the official host.
const LABEL_ENV_PREFIX: &str = "WASMCLOUD_LABEL_";

#[derive(Debug, Parser)]
#[command(name = "wasmcloud-host", version, about = "A wasmCloud 1.x host")]
pub struct Options {
    /// NATS server host for both the control interface and RPC.
    #[arg(long, env = "WASMCLOUD_NATS_HOST", default_value = "127.0.0.1")]
    pub nats_host: String,

    /// NATS server port for both the control interface and RPC.
    #[arg(long, env = "WASMCLOUD_NATS_PORT", default_value_t = 4222)]
    pub nats_port: u16,

    /// Creds file (a user's JWT and nkey seed) for the control interface connection.
    #[arg(long = "ctl-credsfile", env = "WASMCLOUD_CTL_CREDSFILE")]
    pub ctl_credsfile: Option<PathBuf>,

    /// Creds file for the RPC connection; the host hands these credentials to the providers
    /// it starts. Defaults to the control interface's.
    #[arg(long = "rpc-credsfile", env = "WASMCLOUD_RPC_CREDSFILE")]
    pub rpc_credsfile: Option<PathBuf>,

    /// Lattice name: hosts, wadm and wash must agree on it.
    #[arg(
        short = 'x',
        long,
        env = "WASMCLOUD_LATTICE",
        default_value = "default"
    )]
    pub lattice: String,

    /// JetStream domain, if the NATS deployment uses one.
    #[arg(long, env = "WASMCLOUD_JS_DOMAIN")]
    pub js_domain: Option<String>,

    /// Host label KEY=VALUE (repeatable). `WASMCLOUD_LABEL_<key>=<value>` works too.
    #[arg(short = 'l', long = "label", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,

    /// Seed (nkey) of the host's identity; a fresh one is generated when absent.
    #[arg(long, env = "WASMCLOUD_HOST_SEED", hide_env_values = true)]
    pub host_seed: Option<String>,

    /// Allow components and providers to be loaded from `file://` references.
    #[arg(long, env = "WASMCLOUD_ALLOW_FILE_LOAD", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub allow_file_load: bool,

    /// Experimental features, comma separated (e.g. `builtin-http-server,builtin-messaging-nats`).
    #[arg(
        long = "feature",
        env = "WASMCLOUD_EXPERIMENTAL_FEATURES",
        value_delimiter = ','
    )]
    pub experimental_features: Vec<String>,

    /// Log level of the host and of the providers it starts.
    #[arg(long, env = "WASMCLOUD_LOG_LEVEL", value_enum, default_value_t = LogLevel::Info)]
    pub log_level: LogLevel,

    /// Log JSON lines instead of text.
    #[arg(long = "enable-structured-logging", env = "WASMCLOUD_STRUCTURED_LOGGING_ENABLED", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub structured_logging: bool,

    /// Timeout of RPC calls between components and providers, in milliseconds: every call a
    /// component makes ends within it (answered, or failed as timed out).
    #[arg(long, env = "WASMCLOUD_RPC_TIMEOUT_MS", default_value_t = 2000)]
    pub rpc_timeout_ms: u64,

    /// How long a provider asked to stop (`wash stop provider`, a redeploy) may take to finish
    /// its work before it is killed, in milliseconds. Without it, the library waits only
    /// `--rpc-timeout-ms`.
    #[arg(
        long = "provider-shutdown-delay-ms",
        env = "WASMCLOUD_PROVIDER_SHUTDOWN_DELAY_MS",
        default_value_t = 20_000
    )]
    pub provider_shutdown_delay_ms: u64,

    /// Longest a single component invocation may run, in milliseconds.
    #[arg(long, env = "WASMCLOUD_MAX_EXECUTION_TIME_MS", default_value_t = 10 * 60 * 1000)]
    pub max_execution_time_ms: u64,

    /// Seconds between host heartbeats (the library's default when absent).
    #[arg(long, env = "WASMCLOUD_HEARTBEAT_INTERVAL")]
    pub heartbeat_interval_s: Option<u64>,

    /// Subject prefix of the lattice's secrets backends (e.g. `wasmcloud.secrets`): a link or a
    /// component that names secrets gets them from the backend its policy names, on
    /// `<prefix>.v1alpha1.<backend>`. Secrets are off when absent.
    #[arg(long = "secrets-topic", env = "WASMCLOUD_SECRETS_TOPIC")]
    pub secrets_topic: Option<String>,

    /// Subject of the lattice's policy service: before starting a component or a provider, and
    /// before a component's first invocation of each function, the host asks it, and goes on
    /// only with its permit (no answer within `--policy-timeout-ms` is a denial). Off (every
    /// request permitted) when absent.
    #[arg(long = "policy-topic", env = "WASMCLOUD_POLICY_TOPIC")]
    pub policy_topic: Option<String>,

    /// How long the host waits for the policy service's answer, in milliseconds.
    #[arg(
        long = "policy-timeout-ms",
        env = "WASMCLOUD_POLICY_TIMEOUT_MS",
        default_value_t = 1000
    )]
    pub policy_timeout_ms: u64,

    /// Address of the host's HTTP admin endpoint (`/livez`, `/readyz`), off when absent.
    #[arg(long, env = "WASMCLOUD_HTTP_ADMIN")]
    pub http_admin: Option<SocketAddr>,

    /// OTLP/HTTP traces URL (e.g. `http://127.0.0.1:6006/v1/traces`) for the host's spans and
    /// those of the providers it starts. Spans are not exported when absent.
    #[arg(
        long = "otlp-traces-endpoint",
        env = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )]
    pub traces_endpoint: Option<String>,

    /// Trace sampler (`parentbased_always_on` when absent: every trace is kept).
    #[arg(long = "traces-sampler", env = "OTEL_TRACES_SAMPLER")]
    pub traces_sampler: Option<String>,

    /// The sampler's ratio, for `traceidratio` and `parentbased_traceidratio`.
    #[arg(long = "traces-sampler-arg", env = "OTEL_TRACES_SAMPLER_ARG")]
    pub traces_sampler_arg: Option<String>,

    /// Address of the host's Prometheus endpoint (`GET /metrics`), off when absent.
    #[arg(long = "metrics-address", env = "WASMCLOUD_METRICS_ADDRESS")]
    pub metrics_address: Option<String>,

    /// Address of the load balancer's agent check (HAProxy's `agent-check`): each connection
    /// reads `ready up` while the host serves and `drain` once it is stopping. Off when absent.
    #[arg(long = "drain-agent", env = "WASMCLOUD_DRAIN_AGENT")]
    pub drain_agent: Option<SocketAddr>,

    /// On a stop, how long the host keeps serving after announcing its drain, so that the load
    /// balancer has seen it before the host's work stops, in milliseconds.
    #[arg(
        long = "drain-grace-ms",
        env = "WASMCLOUD_DRAIN_GRACE_MS",
        default_value_t = 0
    )]
    pub drain_grace_ms: u64,

    /// On a stop, how long each step of the drain may take (the invocations in flight, then the
    /// providers' own shutdown), in milliseconds.
    #[arg(
        long = "drain-timeout-ms",
        env = "WASMCLOUD_DRAIN_TIMEOUT_MS",
        default_value_t = 10_000
    )]
    pub drain_timeout_ms: u64,

    /// OCI registries (`host:port`, comma separated) the host may pull from over plain HTTP,
    /// e.g. a registry on loopback. Every other registry is reached over HTTPS.
    #[arg(
        long = "allowed-insecure",
        env = "WASMCLOUD_OCI_ALLOWED_INSECURE",
        value_delimiter = ','
    )]
    pub allowed_insecure: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    /// The `tracing` filter directive for this level.
    pub fn as_filter(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

impl From<LogLevel> for HostLogLevel {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => Self::Error,
            LogLevel::Warn => Self::Warn,
            LogLevel::Info => Self::Info,
            LogLevel::Debug => Self::Debug,
            LogLevel::Trace => Self::Trace,
        }
    }
}

fn parse_label(raw: &str) -> Result<(String, String), String> {
    match raw.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("label `{raw}` is not KEY=VALUE")),
    }
}

/// Labels from `WASMCLOUD_LABEL_<key>=<value>` variables, then from flags (flags win).
fn collect_labels(
    env: impl IntoIterator<Item = (String, String)>,
    flags: &[(String, String)],
) -> HashMap<String, String> {
    let mut labels: HashMap<String, String> = env
        .into_iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix(LABEL_ENV_PREFIX)?;
            (!key.is_empty()).then(|| (key.to_string(), value))
        })
        .collect();
    labels.extend(flags.iter().cloned());
    labels
}

impl Options {
    /// Where and which spans go, if they are exported.
    pub fn trace_export(&self) -> anyhow::Result<Option<TraceExport>> {
        let Some(endpoint) = self.traces_endpoint.as_deref().map(str::trim) else {
            return Ok(None);
        };
        if endpoint.is_empty() {
            return Ok(None);
        }
        let sampling = Sampling::parse(
            self.traces_sampler.as_deref(),
            self.traces_sampler_arg.as_deref(),
        )?;
        Ok(Some(TraceExport {
            endpoint: endpoint.to_string(),
            sampling,
        }))
    }

    /// What the host tells the providers it starts about span export: the same endpoint and
    /// sampler, traced at the log level (a span left out of a trace would cut it in two).
    fn provider_otel_config(&self) -> anyhow::Result<OtelConfig> {
        let Some(export) = self.trace_export()? else {
            return Ok(OtelConfig::default());
        };
        let (sampler, sampler_arg) = export.sampling.name_and_arg();
        Ok(OtelConfig {
            enable_observability: true,
            enable_traces: Some(true),
            enable_metrics: Some(false),
            enable_logs: Some(false),
            traces_endpoint: Some(export.endpoint),
            trace_level: self.log_level.into(),
            traces_sampler: Some(sampler.to_string()),
            traces_sampler_arg: sampler_arg,
            ..OtelConfig::default()
        })
    }

    /// The library configuration these options describe.
    pub fn host_config(&self) -> anyhow::Result<HostConfig> {
        let nats_url = Url::parse(&format!("nats://{}:{}", self.nats_host, self.nats_port))
            .with_context(|| {
                format!("invalid NATS address {}:{}", self.nats_host, self.nats_port)
            })?;
        let host_key = match &self.host_seed {
            Some(seed) => {
                let key = KeyPair::from_seed(seed)
                    .context("WASMCLOUD_HOST_SEED is not a valid nkey seed")?;
                if !key.public_key().starts_with('N') {
                    bail!("WASMCLOUD_HOST_SEED must be a server (SN...) seed");
                }
                Some(Arc::new(key))
            }
            None => None,
        };
        let ctl_creds = self
            .ctl_credsfile
            .as_deref()
            .map(|path| read_creds(path, "WASMCLOUD_CTL_CREDSFILE"))
            .transpose()?;
        let rpc_creds = match &self.rpc_credsfile {
            Some(path) => Some(read_creds(path, "WASMCLOUD_RPC_CREDSFILE")?),
            None => ctl_creds.clone(),
        };
        let experimental_features: Features = self
            .experimental_features
            .iter()
            .map(|name| Features::from(name.trim()))
            .sum();

        let (ctl_jwt, ctl_key) = ctl_creds.unzip();
        let (rpc_jwt, rpc_key) = rpc_creds.unzip();
        Ok(HostConfig {
            ctl_nats_url: nats_url.clone(),
            rpc_nats_url: nats_url,
            ctl_jwt,
            ctl_key,
            rpc_jwt,
            rpc_key,
            rpc_timeout: Duration::from_millis(self.rpc_timeout_ms),
            provider_shutdown_delay: Some(Duration::from_millis(self.provider_shutdown_delay_ms)),
            lattice: self.lattice.as_str().into(),
            js_domain: self.js_domain.clone(),
            labels: collect_labels(std::env::vars(), &self.labels),
            host_key,
            allow_file_load: self.allow_file_load,
            enable_structured_logging: self.structured_logging,
            log_level: self.log_level.into(),
            max_execution_time: Duration::from_millis(self.max_execution_time_ms),
            heartbeat_interval: self.heartbeat_interval_s.map(Duration::from_secs),
            experimental_features,
            http_admin: self.http_admin,
            secrets_topic_prefix: self
                .secrets_topic
                .as_deref()
                .map(str::trim)
                .filter(|topic| !topic.is_empty())
                .map(String::from),
            policy_service_config: PolicyService {
                policy_topic: self
                    .policy_topic
                    .as_deref()
                    .map(str::trim)
                    .filter(|topic| !topic.is_empty())
                    .map(String::from),
                policy_changes_topic: None,
                policy_timeout_ms: Some(Duration::from_millis(self.policy_timeout_ms)),
            },
            otel_config: self.provider_otel_config()?,
            oci_opts: OciConfig {
                allowed_insecure: self
                    .allowed_insecure
                    .iter()
                    .map(|registry| registry.trim().to_string())
                    .filter(|registry| !registry.is_empty())
                    .collect(),
                ..OciConfig::default()
            },
            version: env!("CARGO_PKG_VERSION").to_string(),
            ..HostConfig::default()
        })
    }
}

/// A user's JWT and key from the creds file at `path` (named by `option`).
fn read_creds(path: &Path, option: &str) -> anyhow::Result<(String, Arc<KeyPair>)> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{option}: failed to read {}", path.display()))?;
    let creds = Creds::parse(&text)
        .with_context(|| format!("{option}: {} is not a creds file", path.display()))?;
    let key = KeyPair::from_seed(&creds.seed)
        .with_context(|| format!("{option}: {} holds no valid seed", path.display()))?;
    if !key.public_key().starts_with('U') {
        bail!("{option}: {} holds no user seed (SU...)", path.display());
    }
    Ok((creds.jwt, Arc::new(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_come_from_env_and_flags_with_flags_winning() {
        let env = vec![
            ("WASMCLOUD_LABEL_zone".to_string(), "a".to_string()),
            ("WASMCLOUD_LABEL_role".to_string(), "edge".to_string()),
            ("WASMCLOUD_LABEL_".to_string(), "ignored".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let flags = vec![("zone".to_string(), "b".to_string())];
        let labels = collect_labels(env, &flags);
        assert_eq!(labels.len(), 2);
        assert_eq!(labels["zone"], "b");
        assert_eq!(labels["role"], "edge");
    }

    #[test]
    fn a_label_needs_a_key_and_an_equals_sign() {
        assert_eq!(parse_label("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_label("novalue").is_err());
        assert!(parse_label("=x").is_err());
    }

    #[test]
    fn env_style_options_parse() {
        let options = Options::try_parse_from([
            "wasmcloud-host",
            "--allow-file-load",
            "--feature",
            "builtin-http-server,builtin-messaging-nats",
            "-x",
            "movies",
        ])
        .expect("valid options");
        assert!(options.allow_file_load);
        assert_eq!(options.experimental_features.len(), 2);
        let config = options.host_config().expect("valid config");
        assert_eq!(&*config.lattice, "movies");
        assert!(config.allow_file_load);
        assert!(!config.otel_config.enable_observability);
        assert!(config.oci_opts.allowed_insecure.is_empty());
    }

    fn creds_file(name: &str, key: &KeyPair) -> PathBuf {
        let path = std::env::temp_dir().join(format!("host-{name}-{}.creds", std::process::id()));
        let creds = Creds {
            jwt: format!("jwt-of-{name}"),
            seed: key.seed().expect("seed"),
        };
        std::fs::write(&path, creds.to_file_text()).expect("write creds");
        path
    }

    #[test]
    fn the_rpc_connection_takes_the_control_credentials_unless_given_its_own() {
        let ctl_key = KeyPair::new_user();
        let ctl = creds_file("ctl", &ctl_key);
        let config = Options::try_parse_from([
            "wasmcloud-host",
            "--ctl-credsfile",
            ctl.to_str().expect("utf-8 path"),
        ])
        .expect("valid options")
        .host_config()
        .expect("valid config");
        assert_eq!(config.ctl_jwt.as_deref(), Some("jwt-of-ctl"));
        assert_eq!(config.rpc_jwt.as_deref(), Some("jwt-of-ctl"));
        assert_eq!(
            config.rpc_key.as_ref().map(|key| key.public_key()),
            Some(ctl_key.public_key())
        );

        let rpc_key = KeyPair::new_user();
        let rpc = creds_file("rpc", &rpc_key);
        let config = Options::try_parse_from([
            "wasmcloud-host",
            "--ctl-credsfile",
            ctl.to_str().expect("utf-8 path"),
            "--rpc-credsfile",
            rpc.to_str().expect("utf-8 path"),
        ])
        .expect("valid options")
        .host_config()
        .expect("valid config");
        assert_eq!(config.rpc_jwt.as_deref(), Some("jwt-of-rpc"));
        assert_eq!(
            config.rpc_key.as_ref().map(|key| key.public_key()),
            Some(rpc_key.public_key())
        );
        let none = Options::try_parse_from(["wasmcloud-host"])
            .expect("valid options")
            .host_config()
            .expect("valid config");
        assert!(none.ctl_jwt.is_none() && none.rpc_key.is_none());
    }

    #[test]
    fn a_creds_file_that_is_missing_or_holds_no_user_seed_is_refused() {
        let missing = Options::try_parse_from([
            "wasmcloud-host",
            "--ctl-credsfile",
            "/nonexistent/host.creds",
        ])
        .expect("valid options")
        .host_config()
        .expect_err("a missing file");
        assert!(format!("{missing:#}").contains("WASMCLOUD_CTL_CREDSFILE"));
        let account = creds_file("account", &KeyPair::new_account());
        let wrong = Options::try_parse_from([
            "wasmcloud-host",
            "--rpc-credsfile",
            account.to_str().expect("utf-8 path"),
        ])
        .expect("valid options")
        .host_config()
        .expect_err("an account seed");
        assert!(format!("{wrong:#}").contains("no user seed"), "{wrong:#}");
    }

    #[test]
    fn secrets_and_policy_are_off_unless_named() {
        let off = Options::try_parse_from(["wasmcloud-host", "--secrets-topic", " "])
            .expect("valid options")
            .host_config()
            .expect("valid config");
        assert_eq!(off.secrets_topic_prefix, None);
        assert_eq!(off.policy_service_config.policy_topic, None);
        let on = Options::try_parse_from([
            "wasmcloud-host",
            "--secrets-topic",
            "wasmcloud.secrets",
            "--policy-topic",
            "wasmcloud.policy",
            "--policy-timeout-ms",
            "250",
        ])
        .expect("valid options")
        .host_config()
        .expect("valid config");
        assert_eq!(
            on.secrets_topic_prefix.as_deref(),
            Some("wasmcloud.secrets")
        );
        assert_eq!(
            on.policy_service_config.policy_topic.as_deref(),
            Some("wasmcloud.policy")
        );
        assert_eq!(
            on.policy_service_config.policy_timeout_ms,
            Some(Duration::from_millis(250))
        );
    }

    #[test]
    fn only_the_named_registries_may_be_plain_http() {
        let options = Options::try_parse_from([
            "wasmcloud-host",
            "--allowed-insecure",
            "127.0.0.1:5000, localhost:5001",
        ])
        .expect("valid options");
        let config = options.host_config().expect("valid config");
        assert_eq!(
            config.oci_opts.allowed_insecure,
            vec!["127.0.0.1:5000".to_string(), "localhost:5001".to_string()]
        );
    }

    #[test]
    fn providers_are_told_the_hosts_trace_export() {
        let options = Options::try_parse_from([
            "wasmcloud-host",
            "--otlp-traces-endpoint",
            "http://127.0.0.1:6006/v1/traces",
            "--traces-sampler",
            "parentbased_traceidratio",
            "--traces-sampler-arg",
            "0.5",
            "--log-level",
            "debug",
        ])
        .expect("valid options");
        let otel = options.host_config().expect("valid config").otel_config;
        assert!(otel.enable_observability);
        assert!(otel.traces_enabled());
        assert!(!otel.metrics_enabled());
        assert_eq!(otel.traces_endpoint(), "http://127.0.0.1:6006/v1/traces");
        assert_eq!(
            otel.traces_sampler.as_deref(),
            Some("parentbased_traceidratio")
        );
        assert_eq!(otel.traces_sampler_arg.as_deref(), Some("0.5"));
        assert!(matches!(otel.trace_level, HostLogLevel::Debug));
    }

    #[test]
    fn a_bad_sampler_is_refused_at_start() {
        let options = Options::try_parse_from([
            "wasmcloud-host",
            "--otlp-traces-endpoint",
            "http://127.0.0.1:6006/v1/traces",
            "--traces-sampler",
            "sometimes",
        ])
        .expect("valid options");
        assert!(options.host_config().is_err());
    }
}
