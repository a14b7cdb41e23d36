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
