//! Logging for our capability providers: to stderr (which the host collects), at the level and
//! in the format the host runs with; `RUST_LOG` overrides both.

#![forbid(unsafe_code)]

use tracing_subscriber::EnvFilter;

/// Installs the subscriber. `extra` adds filter directives (e.g. `rdkafka=warn`). A second
/// call keeps the first subscriber.
pub fn init(extra: &[&str]) {
    let (level, structured) = match wasmcloud_provider_sdk::load_host_data() {
        Ok(data) => (
            data.log_level
                .as_ref()
                .map(|level| format!("{level:?}").to_ascii_lowercase())
                .filter(|level| level != "critical")
                .unwrap_or_else(|| "info".into()),
            data.structured_logging,
        ),
        Err(_) => ("info".to_string(), false),
    };
    let directives = std::iter::once(level.as_str())
        .chain(extra.iter().copied())
        .collect::<Vec<_>>()
        .join(",");
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(directives));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if structured {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
