//! sockperf, the network peer: its server on loopback, its ping-pong
//! clients, and what they print, read.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What one `sockperf ping-pong --full-rtt` client printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PingPong {
    /// Replies over the whole run, its warm-up included: what the server answered.
    pub total_received: u64,
    /// Replies and seconds of sockperf's valid window (warm-up and the
    /// run's edges excluded).
    pub valid_received: u64,
    pub valid_secs: f64,
    /// Round-trip percentiles over the valid window, µs.
    pub p50_us: f64,
    pub p99_us: f64,
}

impl PingPong {
    /// Round trips per second over the valid window.
    pub fn rate(&self) -> f64 {
        self.valid_received as f64 / self.valid_secs
    }
}

/// `text` without its ANSI colour sequences (sockperf colours some lines).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // ESC [ parameters... final letter
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The number after `key` (`ReceivedMessages=`) on `line`.
fn field(line: &str, key: &str) -> Option<f64> {
    let rest = &line[line.find(key)? + key.len()..];
    let num: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    num.parse().ok()
}

/// Reads a ping-pong client's output (stdout and stderr together).
pub fn parse_ping_pong(text: &str) -> Result<PingPong, String> {
    let text = strip_ansi(text);
    if let Some(l) = text
        .lines()
        .find(|l| l.contains("No messages were received"))
    {
        return Err(l.trim_start_matches("sockperf: ").trim().to_string());
    }
    if !text.contains("avg-rtt") {
        return Err("no round-trip summary (was --full-rtt given?)".into());
    }
    let line = |tag: &str| {
        text.lines()
            .find(|l| l.contains(tag))
            .ok_or_else(|| format!("no '{tag}' line in sockperf's output"))
    };
    let total = line("[Total Run]")?;
    let valid = line("[Valid Duration]")?;
    let pct = |p: &str| {
        let l = line(&format!("percentile {p} ="))?;
        field(l, "=").ok_or_else(|| format!("unreadable percentile line '{l}'"))
    };
    let get = |l: &str, k: &str| field(l, k).ok_or_else(|| format!("no {k} in '{}'", l.trim()));
    let r = PingPong {
        total_received: get(total, "ReceivedMessages=")? as u64,
        valid_received: get(valid, "ReceivedMessages=")? as u64,
        valid_secs: get(valid, "RunTime=")?,
        p50_us: pct("50.000")?,
        p99_us: pct("99.000")?,
    };
    if r.valid_secs <= 0.0 || r.valid_received == 0 {
        return Err("sockperf measured no round trip".into());
    }
    Ok(r)
}

/// sockperf's version line, or why it does not run.
pub fn probe(bin: &str) -> Result<String, String> {
    let out = Command::new(bin).arg("--version").output().map_err(|e| {
        format!(
            "sockperf not found ('{bin}': {e}): install it with `apt-get install sockperf` \
             (Debian, Ubuntu), or pass --sockperf PATH"
        )
    })?;
    let text = strip_ansi(&String::from_utf8_lossy(&out.stdout))
        + &strip_ansi(&String::from_utf8_lossy(&out.stderr));
    Ok(text
        .lines()
        .find(|l| l.contains("version"))
        .unwrap_or("sockperf")
        .trim_start_matches("sockperf: ")
        .trim()
        .to_string())
}

/// A sockperf server on loopback: one thread, epoll over its TCP sockets
/// (a single `-i` address would make it block in recvfrom on one
/// connection at a time, so it reads its address from a feed file).
pub struct Server {
    child: Child,
    feed: PathBuf,
    pub addr: SocketAddr,
}

impl Server {
    pub fn start(bin: &str, scratch: &Path) -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free loopback port: {e}"))?
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let feed = scratch.join(format!(
            "iobound-peers-{}-sockperf.feed",
            std::process::id()
        ));
        std::fs::write(&feed, format!("T:127.0.0.1:{port}\n"))
            .map_err(|e| format!("cannot write {}: {e}", feed.display()))?;
        let mut cmd = Command::new(bin);
        cmd.args(["server", "-f"])
            .arg(&feed)
            .args(["-F", "epoll"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0);
        crate::resources::die_with_parent(&mut cmd);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start sockperf's server: {e}"))?;
        let mut me = Server { child, feed, addr };
        let t = Instant::now();
        loop {
            if let Ok(Some(s)) = me.child.try_wait() {
                return Err(format!("sockperf's server exited at start ({s})"));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return Ok(me);
            }
            if t.elapsed() > Duration::from_secs(5) {
                return Err(format!(
                    "sockperf's server did not listen on {addr} within 5 s"
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.feed);
    }
}

/// The client's command line: TCP, round trips reported whole (iobound
/// times a round trip; sockperf's default is half of one).
pub fn ping_pong_args(addr: SocketAddr, msg_size: u64, secs: u64) -> Vec<String> {
    vec![
        "ping-pong".into(),
        "--tcp".into(),
        "-i".into(),
        addr.ip().to_string(),
        "-p".into(),
        addr.port().to_string(),
        "-m".into(),
        msg_size.to_string(),
        "-t".into(),
        secs.to_string(),
        "--full-rtt".into(),
    ]
}

/// What `clients` ping-pong clients measured together.
#[derive(Debug, Clone, PartialEq)]
pub struct Clients {
    pub each: Vec<PingPong>,
    /// The clients' user + system CPU (reaped children's rusage), ns.
    pub cpu_ns: u64,
}

/// Children's CPU so far (user + system of every reaped child), ns.
pub(crate) fn children_cpu_ns() -> u64 {
    // SAFETY: getrusage fills the struct we pass.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru
    };
    let ns = |t: libc::timeval| t.tv_sec as u64 * 1_000_000_000 + t.tv_usec as u64 * 1000;
    ns(ru.ru_utime) + ns(ru.ru_stime)
}

/// Runs `clients` ping-pong clients at once against `addr` and reads them.
pub fn run_clients(
    bin: &str,
    addr: SocketAddr,
    clients: usize,
    msg_size: u64,
    secs: u64,
) -> Result<Clients, String> {
    let before = children_cpu_ns();
    let args = ping_pong_args(addr, msg_size, secs);
    let mut running = Vec::new();
    for _ in 0..clients {
        let child = Command::new(bin)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start sockperf ping-pong: {e}"))?;
        running.push(child);
    }
    let mut each = Vec::new();
    let mut first_error = None;
    for child in running {
        let out = child
            .wait_with_output()
            .map_err(|e| format!("sockperf ping-pong: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        match parse_ping_pong(&text) {
            Ok(p) => each.push(p),
            Err(e) => {
                first_error.get_or_insert(format!("sockperf ping-pong ({}): {e}", out.status));
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    Ok(Clients {
        each,
        cpu_ns: children_cpu_ns().saturating_sub(before),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sockperf 3.7's real output (`ping-pong --tcp -m 64 -t 3 --full-rtt`,
    /// stdout and stderr together, its colour codes kept).
    const REAL: &str = include_str!("../../tests/fixtures/peers/sockperf-ping-pong.txt");

    #[test]
    fn parses_a_real_ping_pong_run() {
        let p = parse_ping_pong(REAL).unwrap();
        assert_eq!(p.total_received, 124885);
        assert_eq!(p.valid_received, 106142);
        assert_eq!(p.valid_secs, 2.55);
        assert_eq!(p.p50_us, 15.122);
        assert_eq!(p.p99_us, 27.35);
        assert!((p.rate() - 41624.3).abs() < 0.1, "{}", p.rate());
    }

    #[test]
    fn refuses_what_is_not_a_full_round_trip_run() {
        let e = parse_ping_pong(
            "sockperf: Test ended\nsockperf: No messages were received from the server. Is the server down?\n",
        )
        .unwrap_err();
        assert!(e.starts_with("No messages were received"), "{e}");
        let half = REAL.replace("avg-rtt", "avg-latency");
        assert!(parse_ping_pong(&half).unwrap_err().contains("--full-rtt"));
        assert!(parse_ping_pong("").is_err());
    }

    #[test]
    fn a_missing_sockperf_says_how_to_install_it() {
        let e = probe("/nonexistent/sockperf").unwrap_err();
        assert!(e.contains("apt-get install sockperf"), "{e}");
    }

    #[test]
    fn client_arguments() {
        let a = ping_pong_args("127.0.0.1:4000".parse().unwrap(), 64, 3);
        assert_eq!(
            a.join(" "),
            "ping-pong --tcp -i 127.0.0.1 -p 4000 -m 64 -t 3 --full-rtt"
        );
    }
}
