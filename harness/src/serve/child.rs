//! A server started by `iobound run` as a child process: started with the
//! parent-death signal set, so it dies with iobound whatever happens
//! (error, Ctrl-C, panic, even kill -9 of iobound), and stopped when the
//! guard drops. Its CPU time is read apart from the client's
//! ([`crate::resources::cpu_of`]).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::Kind;

#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    #[error("cannot start the {kind:?} server: {source}")]
    Spawn {
        kind: Kind,
        #[source]
        source: std::io::Error,
    },
    #[error("the {kind:?} server did not start: {why} (its log: {log})")]
    NoAddress {
        kind: Kind,
        why: String,
        log: String,
    },
}

/// Starts `cmd` as a server child: its stdout piped, its stderr into
/// `log`, in its own process group, dying with iobound, on `cpus`.
fn spawn(
    kind: Kind,
    mut cmd: Command,
    log: &Path,
    cpus: Option<&[usize]>,
) -> Result<Child, ChildError> {
    let log_file =
        std::fs::File::create(log).map_err(|source| ChildError::Spawn { kind, source })?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log_file))
        // Its own process group: a Ctrl-C at the terminal goes to
        // iobound, which stops the cell cleanly, and not to the server,
        // which would die under the cell and lose what it measured.
        .process_group(0);
    let cpus = cpus.map(<[usize]>::to_vec);
    // SAFETY: the closure runs in the child between fork and exec and
    // only makes async-signal-safe syscalls (prctl, sched_setaffinity).
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if let Some(cpus) = &cpus {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                for &c in cpus {
                    libc::CPU_SET(c, &mut set);
                }
                if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    cmd.spawn()
        .map_err(|source| ChildError::Spawn { kind, source })
}

/// A server that did not come up: killed, reaped, and said why, with the
/// last line of its log.
fn no_address(kind: Kind, mut child: Child, mut why: String, log: &Path) -> ChildError {
    let _ = child.kill();
    if let Ok(s) = child.wait() {
        why.push_str(&format!(", then exited with {s}"));
    }
    let log_text = std::fs::read_to_string(log).unwrap_or_default();
    ChildError::NoAddress {
        kind,
        why,
        log: log_text
            .lines()
            .last()
            .unwrap_or(&log.display().to_string())
            .to_string(),
    }
}

/// A running server child; killed and reaped on drop.
pub struct ServerChild {
    child: Child,
    pub addr: SocketAddr,
    pub kind: Kind,
}

impl ServerChild {
    /// Starts `iobound serve <args>` and waits for its `listening on` line.
    /// Its stderr (connection log) goes to `log`.
    pub fn start(
        kind: Kind,
        args: &[String],
        log: &Path,
        cpus: Option<&[usize]>,
    ) -> Result<Self, ChildError> {
        let mut cmd = crate::resources::self_command()
            .map_err(|source| ChildError::Spawn { kind, source })?;
        cmd.arg("serve").args(args);
        let mut child = spawn(kind, cmd, log, cpus)?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line);
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse::<SocketAddr>().ok());
        match (read, addr) {
            (Ok(_), Some(addr)) => Ok(ServerChild { child, addr, kind }),
            (r, _) => {
                let why = match r {
                    Err(e) => format!("reading its output failed: {e}"),
                    Ok(_) => format!("it printed {:?}", line.trim()),
                };
                Err(no_address(kind, child, why, log))
            }
        }
    }

    /// Starts another program's server (`cmd`, which listens on `addr`)
    /// the same way, and waits until `addr` accepts a connection.
    pub fn start_program(
        kind: Kind,
        cmd: Command,
        addr: SocketAddr,
        log: &Path,
        cpus: Option<&[usize]>,
    ) -> Result<Self, ChildError> {
        let mut child = spawn(kind, cmd, log, cpus)?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return Ok(ServerChild { child, addr, kind });
            }
            let exited = child.try_wait().ok().flatten();
            if exited.is_some() || std::time::Instant::now() > deadline {
                let why = match exited {
                    Some(_) => "it exited before listening".to_string(),
                    None => format!("nothing listened on {addr} within 10 s"),
                };
                return Err(no_address(kind, child, why, log));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time the server used so far (user, system) in nanoseconds.
    pub fn cpu(&self) -> Option<(u64, u64)> {
        crate::resources::cpu_of(self.pid())
    }

    /// Kills the server at once (what a crash looks like to clients).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        // SAFETY: kill(2) on our own child, which we have not reaped yet.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.kill();
    }
}
