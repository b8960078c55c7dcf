//! `--target`: the network probe that resolves a server's address and
//! checks that something answers there, before anything runs.

use std::time::Duration;

use super::ConfigError;

/// How long the reachability check of `--target` waits for a connection.
const TARGET_TIMEOUT: Duration = Duration::from_secs(3);

/// `--target`: a host name or address with a port, resolved, and the first
/// address where something accepts a connection (a host name may resolve to
/// an IPv6 address first while the server listens on IPv4 only). Checked
/// before the run directory exists, so a wrong address costs nothing.
pub(crate) fn resolve_target(spec: &str) -> Result<std::net::SocketAddr, ConfigError> {
    use std::net::ToSocketAddrs;
    let err = |why: String| ConfigError::Target {
        spec: spec.to_string(),
        why,
    };
    if !spec.contains(':') {
        return Err(err("expected HOST:PORT, e.g. localhost:7000".into()));
    }
    let addrs: Vec<std::net::SocketAddr> = spec
        .to_socket_addrs()
        .map_err(|e| err(format!("not a HOST:PORT that resolves ({e})")))?
        .collect();
    let mut tried = Vec::new();
    for a in &addrs {
        match std::net::TcpStream::connect_timeout(a, TARGET_TIMEOUT) {
            Ok(_) => return Ok(*a),
            Err(e) => tried.push(format!("{a}: {e}")),
        }
    }
    Err(err(format!(
        "no server answers ({}); start one with `iobound serve echo|db --listen ADDR` (or, for redis-*, a redis-server loaded as the README says)",
        if tried.is_empty() {
            "it resolves to no address".to_string()
        } else {
            tried.join("; ")
        }
    )))
}
