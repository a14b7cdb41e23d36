//! What Linux says about a running server process (`/proc`), for the benches that watch one.

/// A numeric field of `/proc/<pid>/status`, e.g. `VmRSS:` or `VmHWM:` (in KiB) or
/// `Threads:`; `None` when the process or the field is gone (or not on Linux).
#[must_use]
pub fn status_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The process's open file descriptors (0 when it cannot be read).
#[must_use]
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port free right now, for a server the bench starts.
///
/// # Panics
/// When none can be bound.
#[must_use]
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The median of round figures (the upper one of an even count).
///
/// # Panics
/// When `xs` is empty.
#[must_use]
pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Builds every bench binary in release mode (the servers the comparisons start).
///
/// # Panics
/// When the build fails.
pub fn build_servers() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Command::new(cargo)
        .args(["build", "--release", "-p", "benches", "--bins", "--quiet"])
        .status();
    assert!(
        built.is_ok_and(|s| s.success()),
        "building the bench servers failed"
    );
}

/// A bench server running as a child process; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess(Child);

impl ServerProcess {
    /// Starts bench binary `bin` (beside the running one) on 127.0.0.1:`port` with `args`,
    /// pinned to CPU 0 when `pin`, and waits up to 10 s for it to listen.
    ///
    /// # Errors
    /// When it cannot be started, exits, or does not listen in time.
    pub fn start(bin: &str, port: u16, pin: bool, args: &[&str]) -> Result<Self, String> {
        let path: PathBuf = std::env::current_exe()
            .map_err(|e| e.to_string())?
            .with_file_name(bin);
        let mut cmd = if pin {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let addr = format!("127.0.0.1:{port}");
        let child = cmd
            .args(["--addr", &addr])
            .args(args)
            .env("RUST_LOG", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let mut server = Self(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(&addr).is_err() {
            let exited = server.0.try_wait().ok().flatten().is_some();
            if exited || Instant::now() > deadline {
                return Err(format!("{bin} did not listen on {addr}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// Its process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
