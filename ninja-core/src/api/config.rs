//! Server settings from a file and the environment (feature `config`), so one binary runs
//! unchanged on a laptop, in a container and behind a load balancer.
//!
//! ```no_run
//! use ninja_core::config::ServerConfig;
//! use ninja_core::prelude::*;
//!
//! fn main() -> std::io::Result<()> {
//!     let config = ServerConfig::load().map_err(std::io::Error::other)?;
//!     NinjaApi::new("Notes", "1.0")
//!         .configure(&config)
//!         .serve(config.addr_or("127.0.0.1:8000"))
//! }
//! ```
//!
//! Sources, each over the one before: the defaults; the TOML file at `NINJA_CONFIG` (else
//! `ninja.toml` in the working directory, when there is one); `NINJA_<FIELD>` variables
//! (`NINJA_WORKERS=4`, `NINJA_MAX_CONNECTIONS=5000`); `PORT` when no address is set (as
//! container platforms set it: `0.0.0.0:$PORT`, every interface); and the `--addr
//! HOST:PORT` flag. An unknown key in the file or
//! a value of the wrong type is an error naming the key and where it came from.
//!
//! ```toml
//! # ninja.toml: durations in seconds
//! addr = "0.0.0.0:8000"
//! workers = 4
//! shutdown_timeout = 25
//! drain_delay = 5
//! reuse_port = true
//! ```

use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format as _, Toml};
use serde::Deserialize;

/// The settings a deployment changes; `None` leaves the code's (or the default) value.
/// Applied with `configure(&config)` on a [`NinjaApi`](crate::NinjaApi) or
/// [`Server`](crate::Server); the field names are the setters' names.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Where to listen, `HOST:PORT` (`NINJA_ADDR`).
    pub addr: Option<String>,
    /// Runtime worker threads (default: one per core).
    pub workers: Option<usize>,
    /// Threads of the blocking pool for sync handlers.
    pub blocking_threads: Option<usize>,
    /// Sync calls that may wait for a blocking thread.
    pub blocking_queue: Option<usize>,
    /// Seconds shutdown waits for in-flight requests.
    pub shutdown_timeout: Option<f64>,
    /// Seconds the server keeps accepting, readiness failing, after a shutdown signal.
    pub drain_delay: Option<f64>,
    /// Seconds a client may take to send its headers or sit idle.
    pub header_read_timeout: Option<f64>,
    /// The listen backlog.
    pub backlog: Option<u32>,
    /// Connections served at once.
    pub max_connections: Option<usize>,
    /// The longest request target, in bytes.
    pub max_uri_len: Option<usize>,
    /// The largest header section, in bytes.
    pub max_header_bytes: Option<usize>,
    /// Bind with `SO_REUSEPORT`.
    pub reuse_port: Option<bool>,
}

/// The keys read from `NINJA_*` variables (others, such as a test's `NINJA_REQUIRE_TOOLS`,
/// are not settings).
const KEYS: &[&str] = &[
    "addr",
    "workers",
    "blocking_threads",
    "blocking_queue",
    "shutdown_timeout",
    "drain_delay",
    "header_read_timeout",
    "backlog",
    "max_connections",
    "max_uri_len",
    "max_header_bytes",
    "reuse_port",
];

impl ServerConfig {
    /// Reads the file, the `NINJA_*` variables, `PORT` and `--addr` (see the
    /// [module](self)).
    ///
    /// # Errors
    /// A file named by `NINJA_CONFIG` that does not exist, a key no setting has, a value
    /// of the wrong type.
    pub fn load() -> Result<Self, ConfigError> {
        let file = match std::env::var_os("NINJA_CONFIG") {
            Some(path) => {
                let path = PathBuf::from(path);
                if !path.is_file() {
                    return Err(ConfigError(Box::new(figment::Error::from(format!(
                        "NINJA_CONFIG names `{}`, which is not a file",
                        path.display()
                    )))));
                }
                Some(path)
            }
            None => Some(PathBuf::from("ninja.toml")).filter(|p| p.is_file()),
        };
        let mut figment = Figment::new();
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        Self::from_figment(figment.merge(Env::prefixed("NINJA_").only(KEYS)))
    }

    /// The settings from any figment (other files, other prefixes), then `PORT` and
    /// `--addr` over its `addr`.
    ///
    /// # Errors
    /// As [`load`](Self::load), for what `figment` holds.
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let mut config: Self = figment.extract().map_err(|e| ConfigError(Box::new(e)))?;
        for (key, secs) in [
            ("shutdown_timeout", config.shutdown_timeout),
            ("drain_delay", config.drain_delay),
            ("header_read_timeout", config.header_read_timeout),
        ] {
            if let Some(secs) = secs
                && std::time::Duration::try_from_secs_f64(secs).is_err()
            {
                return Err(ConfigError(Box::new(figment::Error::from(format!(
                    "`{key}` is {secs}: a duration in seconds, zero or more"
                )))));
            }
        }
        if let Some(flag) = addr_flag() {
            config.addr = Some(flag);
        } else if config.addr.is_none()
            && let Ok(port) = std::env::var("PORT")
        {
            config.addr = Some(format!("0.0.0.0:{port}"));
        }
        Ok(config)
    }

    /// The address to serve on: the configured one, else `default`.
    #[must_use]
    pub fn addr_or(&self, default: &str) -> String {
        self.addr.clone().unwrap_or_else(|| default.to_owned())
    }
}

/// A setting that could not be read: the key, the value and where it came from.
pub struct ConfigError(Box<figment::Error>);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "server settings: {}", self.0)
    }
}

/// The message, not figment's structure: `fn main() -> io::Result<()>` prints an error
/// with `Debug`, and a user should read which key is wrong.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::error::Error for ConfigError {}

fn addr_flag() -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--addr" {
            return args.next();
        }
        if let Some(v) = a.strip_prefix("--addr=") {
            return Some(v.to_owned());
        }
    }
    None
}

#[cfg(test)]
#[allow(
    clippy::result_large_err,
    reason = "figment::Jail's closures return figment's error"
)]
mod tests {
    use figment::providers::Serialized;

    use super::*;

    #[test]
    fn a_file_then_the_environment_with_errors_naming_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "ninja.toml",
                "addr = \"0.0.0.0:9000\"\nworkers = 2\nshutdown_timeout = 2.5\nreuse_port = true\n",
            )?;
            jail.set_env("NINJA_WORKERS", "6");
            jail.set_env("NINJA_REQUIRE_TOOLS", "1");
            let c = ServerConfig::load().expect("loads");
            assert_eq!(c.addr.as_deref(), Some("0.0.0.0:9000"));
            assert_eq!(c.workers, Some(6), "the environment wins over the file");
            assert_eq!(c.shutdown_timeout, Some(2.5));
            assert_eq!(c.reuse_port, Some(true));
            assert_eq!(c.max_connections, None);

            jail.create_file("ninja.toml", "max_conections = 10\n")?;
            let err = ServerConfig::load().unwrap_err();
            assert!(err.to_string().contains("max_conections"), "{err}");
            // What `fn main() -> io::Result<()>` prints is the message too.
            let printed = format!("{:?}", std::io::Error::other(err));
            assert!(
                printed.contains("unknown field") && printed.contains("ninja.toml"),
                "{printed}"
            );
            jail.create_file("ninja.toml", "")?;
            jail.set_env("NINJA_MAX_CONNECTIONS", "many");
            let err = ServerConfig::load().unwrap_err().to_string();
            assert!(
                err.contains("MAX_CONNECTIONS") && err.contains("NINJA_"),
                "{err}"
            );

            jail.set_env("NINJA_MAX_CONNECTIONS", "10");
            jail.set_env("NINJA_SHUTDOWN_TIMEOUT", "-1");
            let err = ServerConfig::load().unwrap_err().to_string();
            assert!(err.contains("shutdown_timeout"), "{err}");

            jail.set_env("NINJA_CONFIG", "missing.toml");
            assert!(ServerConfig::load().is_err());
            Ok(())
        });
    }

    #[test]
    fn port_is_the_fallback_address() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("PORT", "8123");
            let c = ServerConfig::from_figment(Figment::from(Serialized::defaults(
                serde_json::json!({}),
            )))
            .expect("loads");
            assert_eq!(c.addr_or("x"), "0.0.0.0:8123");
            Ok(())
        });
    }
}
