//! The gateway's log: `tracing` events at info and above, one line each, through
//! `wasi:logging`. The host writes each as an event of its span for this invocation, so a
//! request's lines are kept with its trace (and carry its trace id in the host's log).
//! A subscriber this small costs next to nothing to install in every fresh instance; spans
//! are ignored (a component cannot open host spans).

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

use crate::bindings::wasi::logging::logging::{log, Level as HostLevel};

/// Installs the log for this instance (once; later calls do nothing).
pub fn install() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // Fails only when a subscriber is already set, which is just as good.
        let _ = tracing::subscriber::set_global_default(HostLog);
    });
}

struct HostLog;

impl Subscriber for HostLog {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    /// Context: the event's target (`movie_api::endpoints::movie`); message: the message, then
    /// the other fields as `name=value`.
    fn event(&self, event: &Event<'_>) {
        let metadata = event.metadata();
        let mut line = String::new();
        event.record(&mut Line(&mut line));
        log(
            host_level(*metadata.level()),
            metadata.target(),
            line.trim_start(),
        );
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn host_level(level: Level) -> HostLevel {
    match level {
        Level::ERROR => HostLevel::Error,
        Level::WARN => HostLevel::Warn,
        Level::INFO => HostLevel::Info,
        Level::DEBUG => HostLevel::Debug,
        Level::TRACE => HostLevel::Trace,
    }
}

/// Appends an event's fields: the message as it is, the others as `name=value`.
struct Line<'a>(&'a mut String);

impl Visit for Line<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}
