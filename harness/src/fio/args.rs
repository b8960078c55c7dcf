//! fio's command line for a pair: the job's options, and the twins of the
//! ring the pair's iobound cell got.

use std::path::Path;
use std::time::Duration;

use super::{FioEngine, Pair};
use crate::config::FileConfig;
use crate::engine::uring::RingOptions;
use crate::load::Bound;
use crate::ring::RingSetup;

/// The fio command line for a pair, on `path`. An io_uring pair takes the
/// twins of `ring`, the ring the pair's iobound cell got ([`ring_twins`]).
pub fn fio_args(
    p: &Pair,
    path: &Path,
    file: &FileConfig,
    block: u64,
    ring: Option<&RingSetup>,
) -> Vec<String> {
    let secs = |d: Duration| format!("{}ms", d.as_millis().max(1));
    let runtime = match file.bound {
        Bound::Duration(d) => d,
        Bound::Requests(_) => Duration::from_secs(5),
    };
    let mut a = vec![
        format!("--name={}", p.name),
        format!("--filename={}", path.display()),
        format!("--size={}", file.params.file_size),
        format!("--bs={block}"),
        format!("--direct={}", u8::from(p.direct)),
        "--time_based=1".into(),
        format!("--runtime={}", secs(runtime)),
        format!("--ramp_time={}", secs(file.warmup)),
        "--group_reporting=1".into(),
        "--lat_percentiles=1".into(),
        "--percentile_list=50:90:99:99.9".into(),
        "--output-format=json".into(),
        // iobound's offsets are uniform with replacement; fio's default random
        // map would instead visit every block once.
        "--norandommap=1".into(),
        "--randrepeat=0".into(),
        // Keep the warmed page cache: fio invalidates it by default.
        "--invalidate=0".into(),
    ];
    if p.workload == "file-write" {
        a.push("--rw=write".into());
        a.push(format!("--fdatasync={}", file.params.sync_every));
    } else {
        a.push("--rw=randread".into());
    }
    match p.fio {
        FioEngine::Psync => {
            a.push("--ioengine=psync".into());
            a.push(format!("--numjobs={}", p.concurrency));
            a.push("--thread=1".into());
        }
        FioEngine::IoUring => {
            a.push("--ioengine=io_uring".into());
            a.push(format!("--iodepth={}", p.concurrency));
        }
    }
    a.extend(twins_for(p, ring));
    a
}

/// fio's ring options for a pair: the twins of its cell's ring for an
/// io_uring pair (none before a cell recorded one), none for psync.
pub(super) fn twins_for(p: &Pair, ring: Option<&RingSetup>) -> Vec<String> {
    match (p.fio, ring) {
        (FioEngine::IoUring, Some(r)) => ring_twins(r),
        _ => Vec::new(),
    }
}

/// fio's io_uring options matching the ring iobound's cell actually ran
/// on, so both sides run with the same mechanisms: registered files, fixed
/// buffers, an SQPOLL thread (fio leaves its idle time to the kernel's
/// default, 1 s), and the completions to wait for per enter. Built from
/// what the kernel accepted, not from what was asked: `--fixed-buffers on`
/// falls back to plain buffers when the kernel refuses to register them
/// (RLIMIT_MEMLOCK), and fio must then go without `--fixedbufs` too.
/// `hipri` is never passed: it means IOPOLL, polled completions, which
/// iobound does not use (and virtio offers no poll queues by default). fio
/// 3.33 sets SINGLE_ISSUER, DEFER_TASKRUN and COOP_TASKRUN itself (seen
/// with strace), the twin of `--taskrun defer`; other modes have no fio twin.
pub fn ring_twins(r: &RingSetup) -> Vec<String> {
    let mut a = Vec::new();
    if r.registered_files > 0 {
        a.push("--registerfiles=1".to_string());
    }
    if r.fixed_buffers > 0 {
        a.push("--fixedbufs=1".to_string());
    }
    if r.flags.iter().any(|f| f == "SQPOLL") {
        a.push("--sqthread_poll=1".to_string());
    }
    if r.wait_count > 1 {
        a.push(format!("--iodepth_batch_complete_min={}", r.wait_count));
    }
    a
}

/// The twins of the ring the options ask for, as a kernel that accepts
/// everything would set it up: what a cell's ring is checked against.
pub fn asked_twins(o: &RingOptions) -> Vec<String> {
    ring_twins(&RingSetup {
        flags: o
            .sqpoll
            .0
            .map(|_| "SQPOLL".to_string())
            .into_iter()
            .collect(),
        registered_files: usize::from(o.register_files.on()),
        fixed_buffers: usize::from(o.fixed_buffers.on()),
        wait_count: o.wait_count,
        ..RingSetup::default()
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::twins;
    use super::super::PAIRS;
    use super::*;

    #[test]
    fn fio_args_mirror_the_pair() {
        let file = FileConfig {
            params: iobound_workloads::WorkloadParams::default(),
            direct: false,
            data_dir: "/d".into(),
            warmup: Duration::from_millis(500),
            bound: Bound::Duration(Duration::from_secs(3)),
            settings: Default::default(),
            db_latency: Duration::ZERO,
        };
        // The ring a uring cell records on the defaults, at -c 32.
        let got = RingSetup {
            flags: vec!["SINGLE_ISSUER".into(), "DEFER_TASKRUN".into()],
            registered_files: 1,
            fixed_buffers: 32,
            submit_batch: 8,
            wait_count: 1,
            ..RingSetup::default()
        };
        let a = fio_args(&PAIRS[0], Path::new("/d/f"), &file, 4096, Some(&got));
        for want in [
            "--ioengine=io_uring",
            "--iodepth=32",
            "--direct=1",
            "--bs=4096",
            "--runtime=3000ms",
            "--ramp_time=500ms",
            "--rw=randread",
        ] {
            assert!(a.iter().any(|x| x == want), "{want} missing from {a:?}");
        }
        let w = fio_args(&PAIRS[4], Path::new("/d/l"), &file, 4096, None);
        assert!(w.iter().any(|x| x == "--fdatasync=1") && w.iter().any(|x| x == "--numjobs=1"));
        // The ring registered the files and the buffers, and fio's twins
        // do too; every other mechanism is off on both sides.
        assert_eq!(twins(&a), ["--registerfiles=1", "--fixedbufs=1"]);
        assert!(!a.iter().any(|x| x.starts_with("--hipri")));
        let ring = RingSetup {
            flags: vec!["SQPOLL".into()],
            sq_thread_idle_ms: Some(5),
            registered_files: 0,
            fixed_buffers: 32,
            wait_count: 4,
            ..RingSetup::default()
        };
        let a = fio_args(&PAIRS[0], Path::new("/d/f"), &file, 4096, Some(&ring));
        assert_eq!(
            twins(&a),
            [
                "--fixedbufs=1",
                "--sqthread_poll=1",
                "--iodepth_batch_complete_min=4"
            ]
        );
        // A psync pair has no ring: no twins.
        assert!(twins(&fio_args(
            &PAIRS[1],
            Path::new("/d/f"),
            &file,
            4096,
            Some(&ring)
        ))
        .is_empty());
    }
}
