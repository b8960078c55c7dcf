//! CPU placement: `--pin` parsing, setting and reading affinity masks, and
//! which CPUs a process's threads last ran on. On a 2-vCPU VM a loopback
//! round trip costs about 4x more when client and server sit on different
//! vCPUs, so placement is recorded with every cell.

use serde::{Deserialize, Serialize};

use crate::procfs::{self, Proc};

/// Where the server and this process may run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    pub server: Option<Vec<usize>>,
    pub client: Option<Vec<usize>>,
}

#[derive(Debug, thiserror::Error)]
pub enum PinError {
    #[error("invalid --pin '{0}': expected e.g. server=0,client=1 (CPU lists as 0-1)")]
    Syntax(String),
    #[error("--pin names CPU {cpu}, but this machine has {count} CPUs")]
    NoSuchCpu { cpu: usize, count: usize },
}

fn cpus(spec: &str) -> Option<Vec<usize>> {
    let (a, b) = match spec.split_once('-') {
        Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
        None => {
            let n = spec.parse().ok()?;
            (n, n)
        }
    };
    (a <= b).then(|| (a..=b).collect())
}

impl Pin {
    /// Parses `server=0,client=1`; CPU lists are `N` or `A-B`.
    pub fn parse(s: &str) -> Result<Pin, PinError> {
        let bad = || PinError::Syntax(s.to_string());
        let mut p = Pin::default();
        for part in s.split(',') {
            let (role, list) = part.split_once('=').ok_or_else(bad)?;
            let list = cpus(list.trim()).ok_or_else(bad)?;
            match role.trim() {
                "server" if p.server.is_none() => p.server = Some(list),
                "client" if p.client.is_none() => p.client = Some(list),
                _ => return Err(bad()),
            }
        }
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        for &cpu in p.server.iter().chain(&p.client).flatten() {
            if cpu >= count {
                return Err(PinError::NoSuchCpu { cpu, count });
            }
        }
        Ok(p)
    }
}

/// Restricts the calling thread (and threads it starts later) to `cpus`.
pub fn set_affinity(cpus: &[usize]) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET writes within it
    // for CPU numbers checked against the machine's count by `Pin::parse`.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// The CPUs process `pid` (0: this one) may run on.
pub fn affinity(pid: u32) -> Vec<usize> {
    // SAFETY: sched_getaffinity fills a zeroed set of the size we pass.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(pid as i32, std::mem::size_of::<libc::cpu_set_t>(), &mut set)
            != 0
        {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// The CPUs the threads of process `pid` last ran on (field 39 of each
/// thread's stat), deduplicated and sorted.
pub fn last_cpus(pid: u32) -> Vec<usize> {
    let mut out: Vec<usize> = procfs::each_task(Proc::Pid(pid), "stat")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|s| Some(procfs::stat_field(&s, 39)? as usize))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Where a cell's client and server ran.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// CPUs the client process was allowed, and those its threads last ran on.
    pub client_allowed: Vec<usize>,
    pub client_ran_on: Vec<usize>,
    pub server_allowed: Option<Vec<usize>>,
    pub server_ran_on: Option<Vec<usize>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_specs_parse_or_explain() {
        let p = Pin::parse("server=0,client=0-0").unwrap();
        assert_eq!(p.server, Some(vec![0]));
        assert_eq!(p.client, Some(vec![0]));
        assert!(Pin::parse("server=0,server=0").is_err());
        assert!(Pin::parse("gpu=1").is_err());
        assert!(Pin::parse("server=9999").is_err());
        assert!(Pin::parse("client=2-1").is_err());
    }

    #[test]
    fn this_process_has_an_affinity_and_ran_somewhere() {
        assert!(!affinity(0).is_empty());
        assert!(!last_cpus(std::process::id()).is_empty());
    }
}
