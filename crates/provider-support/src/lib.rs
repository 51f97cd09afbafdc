//! What our capability providers share: logs, spans and metrics as the host runs them, reading
//! link configuration keys, and the start-up that serves a provider's exports until the host stops
//! it.

#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

mod drain;
mod observability;

pub use drain::{serve_exports, Drain};
pub use observability::{
    continue_call, init_telemetry, serve_metrics, serve_with_telemetry, METRICS_ADDRESS,
};

#[doc(hidden)]
pub use {anyhow, wasmcloud_provider_sdk};

/// A link configuration value: the key as written, else the same key in any letter case.
pub fn link_value<'a>(config: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    config
        .get(key)
        .or_else(|| {
            config
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(key))
                .map(|(_, value)| value)
        })
        .map(String::as_str)
}

/// A link configuration from `(key, value)` pairs, as tests and tools write one.
pub fn link_config(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

/// A link's configuration, read by key: from each source in turn (a link's secrets before its
/// config), each matched by [`link_value`].
pub struct LinkValues<'a> {
    sources: Vec<&'a HashMap<String, String>>,
    blank_is_absent: bool,
}

impl<'a> LinkValues<'a> {
    /// Values read from `sources`, the first that has a key winning. A blank value counts as
    /// given (an empty password is a password).
    pub fn new(sources: impl IntoIterator<Item = &'a HashMap<String, String>>) -> Self {
        Self {
            sources: sources.into_iter().collect(),
            blank_is_absent: false,
        }
    }

    /// Values trimmed of surrounding whitespace, and a blank one taken as not given.
    pub fn blank_is_absent(mut self) -> Self {
        self.blank_is_absent = true;
        self
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        let value = self
            .sources
            .iter()
            .find_map(|source| link_value(source, key))?;
        if !self.blank_is_absent {
            return Some(value);
        }
        Some(value.trim()).filter(|value| !value.is_empty())
    }

    /// The value of `key`, which must be given and not blank.
    pub fn required(&self, key: &'static str) -> Result<&'a str, ConfigError> {
        self.get(key)
            .filter(|value| !value.trim().is_empty())
            .ok_or(ConfigError::Missing(key))
    }

    /// The number under `key` within `range`, or `default` when the key is not given.
    pub fn number_or<T>(
        &self,
        key: &'static str,
        default: T,
        range: RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some(raw) => number_in(key, raw, range),
        }
    }
}

/// Why a link's configuration was refused. Every message names the offending key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("link configuration is missing {0}")]
    Missing(&'static str),
    #[error("link configuration has an invalid {key}: {problem}")]
    Invalid { key: &'static str, problem: String },
}

/// The value of `key` read as a number within `range` (surrounding whitespace ignored);
/// otherwise the error naming the key and the range.
pub fn number_in<T>(
    key: &'static str,
    raw: &str,
    range: RangeInclusive<T>,
) -> Result<T, ConfigError>
where
    T: FromStr + PartialOrd + Display,
{
    raw.trim()
        .parse::<T>()
        .ok()
        .filter(|value| range.contains(value))
        .ok_or_else(|| ConfigError::Invalid {
            key,
            problem: format!(
                "{raw:?} is not a number from {} to {}",
                range.start(),
                range.end()
            ),
        })
}

/// Runs a provider until the host stops it: registers `$provider` with the host as `$name`
/// and serves its exports with `$serve` (the `serve` function of its wRPC bindings), drained
/// by `$drain` (a [`Drain`] the provider's `shutdown` finishes before it lets go of its
/// resources). Evaluates to `anyhow::Result<()>`.
#[macro_export]
macro_rules! serve_provider {
    ($provider:expr, $name:expr, $serve:path, $drain:expr) => {
        async {
            use $crate::anyhow::Context as _;
            let provider = $provider;
            let shutdown = $crate::wasmcloud_provider_sdk::run_provider(provider.clone(), $name)
                .await
                .context("failed to start the provider")?;
            let connection = $crate::wasmcloud_provider_sdk::get_connection();
            let wrpc = connection
                .get_wrpc_client(connection.provider_key())
                .await
                .context("failed to create the wRPC client")?;
            let invocations = $serve(&wrpc, provider)
                .await
                .context("failed to serve the provider's exports")?;
            $crate::serve_exports(invocations, $drain, shutdown).await
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_exactly_first_then_in_any_case() {
        let config = link_config(&[("Topic", "a"), ("topic", "b"), ("HOSTS", "h")]);
        assert_eq!(link_value(&config, "topic"), Some("b"));
        assert_eq!(link_value(&config, "hosts"), Some("h"));
        assert_eq!(link_value(&config, "group"), None);
    }

    #[test]
    fn values_come_from_the_first_source_that_has_them() {
        let secrets = link_config(&[("PASSWORD", ""), ("PORT", "6000")]);
        let config = link_config(&[("PASSWORD", "from config"), ("SIZE", " 9 "), ("NAME", "  ")]);
        let values = LinkValues::new([&secrets, &config]);
        assert_eq!(
            values.get("password"),
            Some(""),
            "a blank secret still wins"
        );
        assert_eq!(values.required("NAME"), Err(ConfigError::Missing("NAME")));
        assert_eq!(values.number_or("PORT", 1u16, 1..=u16::MAX), Ok(6000));
        assert_eq!(values.number_or("SIZE", 1u8, 1..=10), Ok(9));
        assert_eq!(values.number_or("ABSENT", 3u8, 1..=10), Ok(3));
        let trimmed = LinkValues::new([&config]).blank_is_absent();
        assert_eq!(trimmed.get("NAME"), None);
        assert_eq!(trimmed.get("SIZE"), Some("9"));
    }

    #[test]
    fn numbers_are_read_within_their_range_only() {
        assert_eq!(number_in("n", " 7 ", 1..=10u32), Ok(7));
        for bad in ["0", "11", "-1", "seven", ""] {
            assert_eq!(
                number_in("n", bad, 1..=10u32),
                Err(ConfigError::Invalid {
                    key: "n",
                    problem: format!("{bad:?} is not a number from 1 to 10"),
                })
            );
        }
    }
}
