//! Which traces are kept: the OpenTelemetry `OTEL_TRACES_SAMPLER` names, parsed once.

use std::fmt;
use std::str::FromStr;

use opentelemetry_sdk::trace::Sampler;

/// A trace sampler, named as `OTEL_TRACES_SAMPLER` names them. The default keeps every trace
/// (and follows a caller's decision when there is one).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Sampling {
    /// `always_on`: every trace.
    AlwaysOn,
    /// `always_off`: none.
    AlwaysOff,
    /// `traceidratio`: this share of traces, whatever the caller decided.
    Ratio(Ratio),
    /// `parentbased_always_on`: the caller's decision, else every trace.
    #[default]
    ParentBasedAlwaysOn,
    /// `parentbased_traceidratio`: the caller's decision, else this share.
    ParentBasedRatio(Ratio),
}

/// A share of traces in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ratio(f64);

impl Ratio {
    /// The share as a number in `0.0..=1.0`.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl FromStr for Ratio {
    type Err = SamplingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().parse::<f64>() {
            Ok(value) if (0.0..=1.0).contains(&value) => Ok(Ratio(value)),
            _ => Err(SamplingError::BadRatio(text.to_string())),
        }
    }
}

/// Why a sampler setting was refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SamplingError {
    #[error("unknown trace sampler `{0}` (always_on, always_off, traceidratio, parentbased_always_on, parentbased_traceidratio)")]
    UnknownSampler(String),
    #[error("the sampler ratio must be a number from 0 to 1, not `{0}`")]
    BadRatio(String),
    #[error("sampler `{0}` needs a ratio (OTEL_TRACES_SAMPLER_ARG)")]
    MissingRatio(String),
}

impl Sampling {
    /// Parses a sampler name and its argument, as `OTEL_TRACES_SAMPLER` and
    /// `OTEL_TRACES_SAMPLER_ARG` give them. A blank name is the default.
    pub fn parse(name: Option<&str>, arg: Option<&str>) -> Result<Self, SamplingError> {
        let name = name.map(str::trim).filter(|name| !name.is_empty());
        let ratio = |name: &str| -> Result<Ratio, SamplingError> {
            arg.filter(|arg| !arg.trim().is_empty())
                .ok_or_else(|| SamplingError::MissingRatio(name.to_string()))?
                .parse()
        };
        match name {
            None | Some("parentbased_always_on") => Ok(Sampling::ParentBasedAlwaysOn),
            Some("always_on") => Ok(Sampling::AlwaysOn),
            Some("always_off") => Ok(Sampling::AlwaysOff),
            Some(name @ "traceidratio") => Ok(Sampling::Ratio(ratio(name)?)),
            Some(name @ "parentbased_traceidratio") => Ok(Sampling::ParentBasedRatio(ratio(name)?)),
            Some(other) => Err(SamplingError::UnknownSampler(other.to_string())),
        }
    }

    /// The SDK sampler this setting means.
    pub(crate) fn sampler(self) -> Sampler {
        match self {
            Sampling::AlwaysOn => Sampler::AlwaysOn,
            Sampling::AlwaysOff => Sampler::AlwaysOff,
            Sampling::Ratio(ratio) => Sampler::TraceIdRatioBased(ratio.get()),
            Sampling::ParentBasedAlwaysOn => Sampler::ParentBased(Box::new(Sampler::AlwaysOn)),
            Sampling::ParentBasedRatio(ratio) => {
                Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(ratio.get())))
            }
        }
    }

    /// The `OTEL_TRACES_SAMPLER` name and argument of this setting.
    pub fn name_and_arg(self) -> (&'static str, Option<String>) {
        match self {
            Sampling::AlwaysOn => ("always_on", None),
            Sampling::AlwaysOff => ("always_off", None),
            Sampling::Ratio(ratio) => ("traceidratio", Some(ratio.get().to_string())),
            Sampling::ParentBasedAlwaysOn => ("parentbased_always_on", None),
            Sampling::ParentBasedRatio(ratio) => {
                ("parentbased_traceidratio", Some(ratio.get().to_string()))
            }
        }
    }
}

impl fmt::Display for Sampling {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name_and_arg() {
            (name, Some(arg)) => write!(f, "{name}({arg})"),
            (name, None) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_keeps_every_trace_and_follows_the_caller() {
        assert_eq!(
            Sampling::parse(None, None),
            Ok(Sampling::ParentBasedAlwaysOn)
        );
        assert_eq!(
            Sampling::parse(Some(" "), None),
            Ok(Sampling::ParentBasedAlwaysOn)
        );
        assert_eq!(Sampling::default(), Sampling::ParentBasedAlwaysOn);
    }

    #[test]
    fn ratios_are_shares_between_zero_and_one() {
        let half = Sampling::parse(Some("parentbased_traceidratio"), Some("0.5"));
        assert_eq!(
            half.map(|s| s.to_string()).as_deref(),
            Ok("parentbased_traceidratio(0.5)")
        );
        assert_eq!(
            Sampling::parse(Some("traceidratio"), Some("1.5")),
            Err(SamplingError::BadRatio("1.5".into()))
        );
        assert_eq!(
            Sampling::parse(Some("traceidratio"), None),
            Err(SamplingError::MissingRatio("traceidratio".into()))
        );
    }

    #[test]
    fn unknown_names_are_refused_not_guessed() {
        assert_eq!(
            Sampling::parse(Some("sometimes"), None),
            Err(SamplingError::UnknownSampler("sometimes".into()))
        );
    }

    #[test]
    fn names_round_trip() {
        for sampling in [
            Sampling::AlwaysOn,
            Sampling::AlwaysOff,
            Sampling::ParentBasedAlwaysOn,
            Sampling::ParentBasedRatio(Ratio(0.25)),
            Sampling::Ratio(Ratio(0.0)),
        ] {
            let (name, arg) = sampling.name_and_arg();
            assert_eq!(Sampling::parse(Some(name), arg.as_deref()), Ok(sampling));
        }
    }
}
