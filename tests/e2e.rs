//! End-to-end tests of the real `iobound` binary: real files, real syscalls,
//! real io_uring. Each test works in its own temporary directory.

use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use iobound_workloads::dataset;

const BIN: &str = env!("CARGO_BIN_EXE_iobound");
const FILE_SIZE: &str = "8M";

struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("iobound-e2e-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
    fn data(&self) -> PathBuf {
        self.0.join("data")
    }
    fn out(&self) -> PathBuf {
        self.0.join("results")
    }
    /// Common flags: this scratch's directories, and small data files for
    /// the workloads in `extra` that read one (`run` refuses a size that no
    /// workload of the run reads).
    fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = Vec::new();
        if reads_a_data_file(extra) {
            args.extend(["--file-size".to_string(), FILE_SIZE.to_string()]);
        }
        args.extend([
            "--data-dir".into(),
            self.data().display().to_string(),
            "--out".into(),
            self.out().display().to_string(),
            "--quiet".into(),
        ]);
        args
    }
    /// `iobound run <extra> <common flags>` as a command, not yet started.
    fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("run").args(extra).args(self.args(extra));
        cmd
    }

    /// Runs `iobound run <extra> <common flags>` to completion.
    fn run(&self, extra: &[&str]) -> Output {
        self.command(extra).output().expect("binary runs")
    }

    /// Runs `iobound advise <args>` with this scratch's directories.
    fn advise(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("advise")
            .args(args)
            .arg("--out")
            .arg(self.out())
            .arg("--data-dir")
            .arg(self.data())
            .output()
            .expect("binary runs")
    }

    /// Run directories created under the results directory.
    fn runs(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.out()) {
            Ok(d) => d
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether the workloads `-w` names in a run's flags read a data file (a
/// workload file does when it has a read or write step).
fn reads_a_data_file(extra: &[&str]) -> bool {
    let Some(i) = extra.iter().position(|a| *a == "-w" || *a == "--workload") else {
        return false; // db-web
    };
    extra.get(i + 1).is_some_and(|list| {
        list.split(',').any(|w| {
            w.starts_with("file-")
                || w == "mixed-file"
                || (w.ends_with(".toml")
                    && std::fs::read_to_string(w)
                        .is_ok_and(|t| t.contains("read =") || t.contains("write =")))
        })
    })
}

fn iobound(args: &[String]) -> Output {
    Command::new(BIN).args(args).output().expect("binary runs")
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Every cell JSON of a run directory, parsed.
fn cells(dir: &Path) -> Vec<serde_json::Value> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "run.json")
        })
        .map(|p| serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap())
        .collect();
    v.sort_by_key(|c: &serde_json::Value| c["cell"].to_string());
    v
}

fn uring_available() -> bool {
    io_uring::IoUring::new(2).is_ok()
}

/// A registered engine, as `iobound list --json` describes it.
struct EngineInfo {
    name: String,
    needs_io_uring: bool,
    /// Its concurrency model's key, e.g. `process-pool`.
    model: String,
}

/// Every registered Rust engine — what `run` runs without `--mode`:
/// cross-engine tests iterate these, so a new engine is tested without being
/// named here. (The Python engines are named when wanted; the library's
/// cross-engine tests and python/tests cover them.)
fn engines() -> Vec<EngineInfo> {
    let out = iobound(&strings(&["list", "--json"]));
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["engines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["language"] == "rust")
        .map(|e| EngineInfo {
            name: e["name"].as_str().unwrap().to_string(),
            needs_io_uring: e["caps"]["needs_io_uring"].as_bool().unwrap(),
            model: e["model"].as_str().unwrap().to_string(),
        })
        .collect()
}

/// Whether a cell of this engine mode is expected to be skipped here.
fn skipped_here(mode: &serde_json::Value) -> bool {
    !uring_available()
        && engines()
            .iter()
            .any(|e| e.name == mode.as_str().unwrap_or_default() && e.needs_io_uring)
}

#[test]
fn every_engine_runs_every_file_workload_and_reads_verify() {
    let s = Scratch::new("matrix");
    let out = s.run(&[
        "-w",
        "file-randread,file-seqread,file-write",
        "-c",
        "1,4",
        "--requests",
        "600",
        "--warmup",
        "0s",
        "--verify",
        "--block-size",
        "8K",
    ]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let runs = s.runs();
    assert_eq!(runs.len(), 1);
    let cells = cells(&runs[0]);
    assert_eq!(cells.len(), 3 * engines().len() * 2);
    for c in &cells {
        let name = c["cell"].to_string();
        if skipped_here(&c["cell"]["mode"]) {
            assert_eq!(c["status"], "skipped", "{name}");
            continue;
        }
        assert_eq!(c["status"], "ok", "{name}: {}", c["reason"]);
        let s = &c["summary"];
        assert_eq!(s["requests"], 600, "{name}");
        assert_eq!(c["histogram"]["total_count"], 600, "{name}");
        // Every request moved exactly one 8 KiB block.
        assert_eq!(s["bytes"], 600 * 8192, "{name}");
        assert_eq!(s["block_size"], 8192, "{name}");
        // Pure I/O workloads compute nothing, so they carry no checksum.
        assert!(s["checksum"].is_null(), "{name}");
        assert!(s["latency"]["p50_ns"].as_u64().unwrap() > 0);
        assert!(s["cpu"]["user_ns"].as_u64().unwrap() + s["cpu"]["sys_ns"].as_u64().unwrap() > 0);
        assert!(s["threads_peak"]["total"].as_u64().unwrap() >= 1);
        assert_eq!(c["system"]["direct_io"], false);
        let hgrm = runs[0].join(format!(
            "{}.{}.c{}.hgrm",
            c["cell"]["workload"].as_str().unwrap(),
            c["cell"]["mode"].as_str().unwrap(),
            c["cell"]["concurrency"]
        ));
        let h = std::fs::read_to_string(&hgrm).unwrap();
        assert!(h.contains("Total count    =          600]"), "{hgrm:?}");
    }
}

#[test]
fn direct_io_runs_and_is_recorded() {
    let s = Scratch::new("direct");
    let out = s.run(&[
        "-w",
        "file-randread",
        "-c",
        "8",
        "-d",
        "300ms",
        "--warmup",
        "50ms",
        "--direct",
        "--verify",
    ]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let cells = cells(&s.runs()[0]);
    assert_eq!(cells.len(), engines().len());
    for c in cells {
        if skipped_here(&c["cell"]["mode"]) {
            continue;
        }
        assert_eq!(c["status"], "ok", "{}", c["reason"]);
        assert_eq!(c["system"]["direct_io"], true);
        assert_eq!(c["summary"]["buffered"], false);
        assert_eq!(c["summary"]["requests"], c["histogram"]["total_count"]);
        assert!(c["summary"]["requests"].as_u64().unwrap() > 0);
    }
}

/// Reads the log back with O_DIRECT, so the check sees the device, not the
/// page cache, and counts blocks that requests wrote.
fn written_blocks(log: &Path, blocks: u64) -> u64 {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECT)
        .open(log)
        .unwrap();
    let layout = std::alloc::Layout::from_size_align(4096, 4096).unwrap();
    // SAFETY: non-zero layout; freed below with the same layout.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
    // SAFETY: ptr is valid for 4096 bytes until dealloc.
    let buf = unsafe { std::slice::from_raw_parts_mut(ptr, 4096) };
    let mut n = 0;
    for b in 0..blocks {
        use std::os::unix::fs::FileExt;
        f.read_exact_at(buf, b * 4096).unwrap();
        n += u64::from(dataset::is_written_block(buf, b * 4096));
    }
    // SAFETY: allocated above with this layout.
    unsafe { std::alloc::dealloc(ptr, layout) };
    n
}

#[test]
fn writes_are_on_disk_after_the_run() {
    for e in engines() {
        let mode = e.name.as_str();
        if e.needs_io_uring && !uring_available() {
            eprintln!("skipping {mode}: io_uring unavailable here");
            continue;
        }
        let s = Scratch::new(&format!("write-{mode}"));
        let out = s.run(&[
            "-w",
            "file-write",
            "-m",
            mode,
            "-c",
            "3",
            "--requests",
            "300",
            "--warmup",
            "0s",
        ]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let log = s.data().join(format!("iobound-log-{}.dat", 8 << 20));
        // Exactly the 300 appended blocks hold stamped writes; the rest is untouched.
        assert_eq!(written_blocks(&log, 400), 300, "{mode}");
    }
}

fn assert_clean_failure(s: &Scratch, out: &Output, want: &str) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "should fail: {want}");
    assert!(err.contains(want), "stderr lacks '{want}': {err}");
    assert!(!err.contains("panicked"), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one-line error expected: {err}");
    assert!(
        s.runs().is_empty(),
        "no results directory may be left behind"
    );
    // Not even the --out directory: checking it must not leave it behind
    // (it did, empty, when --data-dir or the free space was refused).
    assert!(!s.out().exists(), "{} was left behind", s.out().display());
}

/// An outsider's finding: a run no cell of which can run here (no
/// interpreter for the Python engines, an open loop on engines that run
/// closed loops only) exited 1 after starting a server and writing a table;
/// it is bad input: exit 2, one line, nothing written.
#[test]
fn a_run_where_no_cell_can_run_is_refused_up_front() {
    let s = Scratch::new("nothingruns");
    for (args, want) in [
        (
            vec![
                "-w",
                "db-web",
                "-m",
                "py-asyncio",
                "--python",
                "/nonexistent",
            ],
            "no cell of this run can run here: py-asyncio: cannot run /nonexistent",
        ),
        (
            vec!["-w", "net-echo", "-m", "py-threads", "--rate", "1000"],
            "the Python engines run closed loops only",
        ),
    ] {
        let out = s.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_clean_failure(&s, &out, want);
        assert!(data_files(&s).is_empty(), "{args:?}");
    }
}

/// Data files under the scratch's data directory (none may be created by
/// a refused run).
fn data_files(s: &Scratch) -> Vec<PathBuf> {
    match std::fs::read_dir(s.data()) {
        Ok(d) => d.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn bad_input_gives_one_line_errors_and_no_results() {
    let s = Scratch::new("bad");
    let cases: [(&[&str], &str); 6] = [
        (&["-w", "file-nope"], "unknown workload 'file-nope'"),
        (&["-m", "fibers"], "unknown mode 'fibers'"),
        (&["-c", "0"], "invalid concurrency '0'"),
        (&["-c", "4,x"], "invalid concurrency 'x'"),
        (&["-d", "forever"], "cannot parse duration 'forever'"),
        (&["--block-size", "10Q"], "cannot parse size '10Q'"),
    ];
    for (extra, want) in cases {
        let out = s.run(extra);
        assert_eq!(out.status.code(), Some(2), "{want}");
        assert_clean_failure(&s, &out, want);
    }
}

/// Issue 13: flags that would be silently ignored, typos, a target where
/// nothing listens, a plan no cell of which fits --max-threads, and a data
/// file larger than the free space are all refused up front: exit 2, one
/// line, no run directory and no data file. Each case fails when its check
/// is reverted (the run would start, write a run directory, or exit 0/1).
#[test]
fn ignored_flags_typos_and_impossible_plans_are_refused_up_front() {
    let s = Scratch::new("upfront");
    let cases: [(&[&str], &str); 11] = [
        (&["-w", "file-randred"], "did you mean 'file-randread'?"),
        (&["-m", "urin"], "did you mean 'uring'?"),
        (
            &["-w", "cpu-hash", "--direct"],
            "--direct changes nothing for cpu-hash",
        ),
        (
            &["-w", "file-randread", "--target", "127.0.0.1:7000"],
            "none of the workloads (file-randread) talks to one",
        ),
        (
            &["--arrival", "poisson"],
            "--arrival applies to the open loop: it needs --rate",
        ),
        (&["--slo", "5ms"], "--slo applies to the open loop"),
        (
            &["-m", "threads", "-c", "64", "--max-threads", "8"],
            "more OS threads than --max-threads 8",
        ),
        (
            &["-w", "net-echo", "--target", "127.0.0.1:1"],
            "no server answers",
        ),
        (
            &["-w", "net-echo", "--target", "localhost"],
            "expected HOST:PORT",
        ),
        (
            &["-w", "net-echo", "--target", "no-such-host.invalid:7000"],
            "not a HOST:PORT that resolves",
        ),
        (
            &[
                "-w",
                "net-echo",
                "-m",
                "threads",
                "--target",
                "127.0.0.1:1",
                "--server-threads",
                "4",
            ],
            "--server-threads",
        ),
    ];
    for (extra, want) in cases {
        let out = s.run(extra);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{extra:?}: {}",
            text(&out.stderr)
        );
        assert_clean_failure(&s, &out, want);
        assert!(data_files(&s).is_empty(), "{extra:?} left a data file");
    }
    // An outsider's finding: --db-latency on a workload file whose every
    // db step has its own wait changed nothing and was accepted (the file's
    // own db_latency is refused there); beside a workload that reads it,
    // it is fine.
    let own = s.0.join("own.toml");
    std::fs::write(
        &own,
        "name = \"own\"\n[[step]]\ndb = \"get\"\nwait = \"2ms\"\n",
    )
    .unwrap();
    let own = own.display().to_string();
    let out = s.run(&["-w", &own, "--db-latency", "0"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_clean_failure(
        &s,
        &out,
        "--db-latency changes nothing for own: every db step of it has its own `wait`",
    );
    // A data file larger than the free space: what is needed, what is free.
    let out = iobound(&strings(&[
        "run",
        "-w",
        "file-randread",
        "-m",
        "threads",
        "-c",
        "1",
        "-d",
        "100ms",
        "--file-size",
        "64T",
        "--data-dir",
        &s.data().display().to_string(),
        "--out",
        &s.out().display().to_string(),
        "--quiet",
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_clean_failure(&s, &out, "not enough free space");
    let err = text(&out.stderr);
    assert!(
        err.contains("64.0TiB needed") && err.contains(" free"),
        "{err}"
    );
    assert!(data_files(&s).is_empty(), "a data file was started");
    // A mistyped subcommand and suite name get a suggestion too.
    let out = iobound(&strings(&["reprot"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("'report'"),
        "{}",
        text(&out.stderr)
    );
    let out = iobound(&strings(&[
        "bench",
        "--suite",
        "quik",
        "--out",
        &s.out().display().to_string(),
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert_clean_failure(&s, &out, "did you mean 'quick'?");
}

/// A stranger's first run, with no --out: the results directory is
/// created in the current directory (a relative --out must be created as
/// before the up-front checks of issue 13).
#[test]
fn a_run_without_out_creates_results_in_the_current_directory() {
    let s = Scratch::new("cwd");
    let out = Command::new(BIN)
        .current_dir(&s.0)
        .args([
            "run",
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1",
            "-d",
            "100ms",
            "--warmup",
            "0s",
        ])
        .args([
            "--file-size",
            FILE_SIZE,
            "--data-dir",
            &s.data().display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(s.runs().len(), 1, "no run directory under ./results");
}

/// Issue 13: `--target` takes a host name; `localhost` reaches a server
/// listening on 127.0.0.1 (fails when --target accepts only IP:PORT).
#[test]
fn a_target_may_be_a_host_name() {
    let s = Scratch::new("hostname");
    let mut server = Command::new(BIN)
        .args(["serve", "echo", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    use std::io::BufRead;
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().rsplit(':').next().unwrap().to_string();
    let out = s.run(&[
        "-w",
        "net-echo",
        "-m",
        "threads",
        "-c",
        "1",
        "-d",
        "200ms",
        "--warmup",
        "0s",
        "--target",
        &format!("localhost:{port}"),
    ]);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cells = cells(&s.runs()[0]);
    assert_eq!(cells[0]["status"], "ok");
    assert!(cells[0]["summary"]["requests"].as_u64().unwrap() > 0);
}

/// Issue 13: `iobound report` on a directory whose run.json is truncated
/// and that holds no cell file fails with one line and exit 2 (it used to
/// exit 0 with an empty report).
#[test]
fn report_of_a_truncated_run_json_fails_clearly() {
    let s = Scratch::new("truncated");
    let dir = s.0.join("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("run.json"),
        b"{\"schema\":\"iobound.run.v2\",\"cells\":[{",
    )
    .unwrap();
    let out = iobound(&strings(&["report", &dir.display().to_string()]));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("run.json is unreadable"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!dir.join("report.md").exists());
}

/// Issue 13: `iobound clean` lists iobound's data files with --dry-run and
/// removes them otherwise; every run says where they are.
#[test]
fn data_files_are_named_and_clean_removes_them() {
    let s = Scratch::new("clean");
    let out = s
        .command(&[
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1",
            "-d",
            "100ms",
            "--warmup",
            "0s",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("data files: 1 in {}", s.data().display())),
        "{err}"
    );
    assert!(err.contains("iobound clean"), "{err}");
    let data = s.data().display().to_string();
    let dry = iobound(&strings(&["clean", "--data-dir", &data, "--dry-run"]));
    assert!(dry.status.success());
    assert!(
        text(&dry.stdout).contains("would remove"),
        "{}",
        text(&dry.stdout)
    );
    assert_eq!(data_files(&s).len(), 1);
    let wet = iobound(&strings(&["clean", "--data-dir", &data]));
    assert!(wet.status.success());
    assert!(data_files(&s).is_empty());
}

/// Issue 18 (a newcomer drove the CLI from the docs alone): each of these
/// is bad input, refused with one line on stderr and exit status 2 before
/// any output, leaving no run directory and no data file. Each case fails
/// without its fix (accepted and run, exit 0 or 1, or a misleading line).
#[test]
fn cli_edges_are_refused_up_front_with_the_reason() {
    let s = Scratch::new("edges");
    let cases: [(&[&str], &str); 11] = [
        (
            &["-c", "-1"],
            "invalid concurrency '-1': a count cannot be negative: give a whole number",
        ),
        (
            &["--repeat", "-1"],
            "'--repeat <N>': a count cannot be negative",
        ),
        (&["-d", "-1s"], "a duration cannot be negative"),
        (
            &["-w", "db-web", "--rate", "-5"],
            "invalid rate '-5': expected requests per second",
        ),
        (
            &["-w", "file-randread", "--db-latency", "5ms"],
            "--db-latency changes nothing for file-randread",
        ),
        (
            &["-w", "cpu-hash", "--pin", "server=0"],
            "--pin server=0 changes nothing for cpu-hash: none of them talks to a server",
        ),
        (
            &["-w", "net-echo", "--msg-size", "1048576"],
            "--msg-size 1048576 must be from 1 to 1,048,575 bytes",
        ),
        (
            &["-w", "db-web", "-c", "4", "-d", "300ms", "--db-latency", "5s"],
            "one db-web request waits at least 15.0s (3 queries, one after the other), 13.7s longer",
        ),
        (
            &["-w", "db-web", "-c", "4", "-d", "300ms", "--db-latency", "50s"],
            "raise --duration to",
        ),
        (
            &["-w", "db-web", "-c", "4", "--requests", "1", "--db-latency", "100000h"],
            "at most 60s (the longest wait the db server takes)",
        ),
        (
            &["-w", "mixed-db", "-d", "200ms", "--warmup", "0s", "--db-latency", "300ms"],
            "one mixed-db request waits at least 300ms (its one query)",
        ),
    ];
    for (extra, want) in cases {
        let out = s.run(extra);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{extra:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{extra:?} printed before refusing");
        assert_clean_failure(&s, &out, want);
        assert!(data_files(&s).is_empty(), "{extra:?} left a data file");
    }
    let out_dir = s.out().display().to_string();
    let data_dir = s.data().display().to_string();
    // A bad `bench` flag is that flag's mistake, not a suite line's.
    let out = iobound(&strings(&[
        "bench", "--suite", "quick", "--repeat", "0", "--out", &out_dir,
    ]));
    assert_eq!(out.status.code(), Some(2));
    assert_clean_failure(&s, &out, "'--repeat <N>': must be at least 1");
    assert!(!text(&out.stderr).contains("line"), "{}", text(&out.stderr));
    // An outsider's finding: --repeat 99999999 planned every repetition
    // and ran the machine out of memory (killed at 24 GB) before a cell.
    for cmd in [
        &["run", "-w", "cpu-hash"][..],
        &["advise", "--calls", "3x5ms"],
    ] {
        let mut args = strings(cmd);
        args.extend(strings(&["--repeat", "99999999", "--out", &out_dir]));
        let out = iobound(&args);
        assert_eq!(out.status.code(), Some(2));
        assert_clean_failure(&s, &out, "'--repeat <N>': must be at most 1000");
    }
    // A suite file `name`.toml of `body`, refused with `want`: its stderr.
    let refused_suite = |name: &str, body: &str, want: &str| -> String {
        let suite = s.0.join(format!("{name}.toml"));
        std::fs::write(&suite, body).unwrap();
        let path = suite.display().to_string();
        let out = iobound(&strings(&["bench", "--suite", &path, "--out", &out_dir]));
        assert_eq!(out.status.code(), Some(2));
        assert_clean_failure(&s, &out, want);
        text(&out.stderr)
    };
    let cpu = "[[group]]\nworkloads = [\"cpu-hash\"]\n";
    refused_suite(
        "many",
        &format!("repeat = 5000\n{cpu}"),
        "top-level key 'repeat': must be from 1 to 1000",
    );
    // A bad value of a top-level suite key names that key, not group 1.
    let err = refused_suite(
        "top",
        &format!("duration = \"soon\"\n{cpu}"),
        "suite top: top-level key 'duration': ",
    );
    assert!(!err.contains("group"), "{err}");
    // `serve echo` refuses the database's flags; `serve db` a data
    // directory that is a file. Neither starts listening.
    let file = s.0.join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let file = file.display().to_string();
    for (args, want) in [
        (
            &["serve", "echo", "--direct"][..],
            "--direct applies to `serve db` only".to_string(),
        ),
        (
            &["serve", "echo", "--records", "10", "--data-dir", &data_dir],
            "--records, --data-dir apply to `serve db` only".to_string(),
        ),
        (
            &["serve", "db", "--data-dir", &file],
            format!("--data-dir {file}: is a file, not a directory"),
        ),
    ] {
        let out = iobound(&strings(args));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
        assert_clean_failure(&s, &out, &want);
        assert!(data_files(&s).is_empty());
    }
    // `compare` refuses a run with itself, and two runs with no cell in
    // common; it writes nothing then.
    let fixture: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run/run.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (a, b) = (s.0.join("run-a"), s.0.join("run-b"));
    let mut other = fixture.clone();
    other["run_id"] = "20990101-000000".into();
    for c in other["cells"].as_array_mut().unwrap() {
        c["cell"]["concurrency"] = (c["cell"]["concurrency"].as_u64().unwrap() + 1000).into();
    }
    for (dir, doc) in [(&a, &fixture), (&b, &other)] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("run.json"), doc.to_string()).unwrap();
    }
    let (a, b) = (a.display().to_string(), b.display().to_string());
    for (x, y, want) in [
        (&a, &a, format!("{a} and {a} are the same run (")),
        (&a, &b, format!("{a} and {b} share no cell: {a} has ")),
    ] {
        let out = iobound(&strings(&["compare", x, y]));
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        assert_clean_failure(&s, &out, &want);
        for d in [&a, &b] {
            let files = std::fs::read_dir(d).unwrap().count();
            assert_eq!(files, 1, "compare wrote into {d}");
        }
    }
}

#[test]
fn unusable_directories_give_one_line_errors_and_no_results() {
    let s = Scratch::new("dirs");
    let blocker = s.0.join("a-file");
    std::fs::write(&blocker, b"not a directory").unwrap();
    let under_file = blocker.join("sub").display().to_string();
    let run = |data: &str, out: &str| {
        iobound(&strings(&[
            "run",
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1",
            "-d",
            "100ms",
            "--file-size",
            FILE_SIZE,
            "--data-dir",
            data,
            "--out",
            out,
            "--quiet",
        ]))
    };
    let good_out = s.out().display().to_string();
    let good_data = s.data().display().to_string();
    // Issue 13: bad input, so exit 2 (it was 1), with the reason in words:
    // a file in the way, a directory that refuses new entries (/proc/sys,
    // which said "No such file or directory"), one that refuses writes
    // (even to root), and a file given as the directory ("File exists").
    let blocker_s = blocker.display().to_string();
    let cases = [
        (under_file.as_str(), "a-file is a file, not a directory"),
        (
            "/proc/sys/iobound",
            "/proc/sys does not accept new directories",
        ),
        ("/sys/kernel", "does not accept new files"),
        (blocker_s.as_str(), "is a file, not a directory"),
    ];
    for (data, want) in cases {
        let out = run(data, &good_out);
        assert_eq!(out.status.code(), Some(2), "{data}");
        assert_clean_failure(&s, &out, &format!("--data-dir {data}: "));
        assert_clean_failure(&s, &out, want);
    }
    for (out_dir, want) in cases {
        let out = run(&good_data, out_dir);
        assert_eq!(out.status.code(), Some(2), "{out_dir}");
        assert_clean_failure(&s, &out, &format!("--out {out_dir}: "));
        assert_clean_failure(&s, &out, want);
    }
}

#[test]
fn fio_comparison_says_how_to_install_a_missing_fio() {
    let s = Scratch::new("nofio");
    let out = iobound(&strings(&[
        "fio",
        "--fio",
        "/nonexistent/fio",
        "--data-dir",
        &s.data().display().to_string(),
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("apt-get install fio"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Issue 22: `iobound peers` on a machine without fio and sockperf (a PATH
/// holding neither) prints their rows as skipped, with how to install
/// them, and succeeds; no cell runs. A bad flag is one line, exit 2.
#[test]
fn peers_skip_missing_tools_with_the_reason() {
    let s = Scratch::new("nopeers");
    let empty = s.0.join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(BIN)
        .args([
            "peers",
            "--duration",
            "100ms",
            "--warmup",
            "0s",
            "--repeat",
            "1",
            "--data-dir",
            &s.data().display().to_string(),
        ])
        .env("PATH", &empty)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("randread-direct-uring-32     skipped: fio not found"),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped: sockperf not found")
            && stdout.contains("apt-get install sockperf"),
        "{stdout}"
    );
    // Issue 22 part 4: no redis-server, no redis-benchmark: the Redis rows
    // are skipped with the packages to install, alone or beside the others.
    assert!(
        stdout.contains("redis-benchmark, iobound redis  skipped: redis-server is not installed")
            && stdout.contains("`apt-get install redis-server redis-tools`"),
        "{stdout}"
    );
    assert!(!stdout.contains("iobound uring"), "no cell runs: {stdout}");
    let json = s.0.join("peers.json");
    let only = Command::new(BIN)
        .args(["peers", "--only", "redis", "--duration", "100ms", "--json"])
        .arg(&json)
        .arg("--data-dir")
        .arg(s.data())
        .env("PATH", &empty)
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&only.stdout), text(&only.stderr));
    assert!(only.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("    1  redis-benchmark, iobound redis  skipped:")
            && stdout.contains("   64  redis-benchmark, iobound redis  skipped:")
            && !stdout.contains("sockperf")
            && !stdout.contains("fio"),
        "{stdout}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(
        doc["redis"][0]["skipped"]
            .as_str()
            .unwrap()
            .contains("apt-get install redis-server redis-tools"),
        "{doc}"
    );
    assert!(doc["sockperf"].is_null(), "{doc}");
    for bad in [
        &["peers", "--connections", "0"][..],
        &["peers", "--only", "iperf"],
        &["peers", "--repeat", "0"],
    ] {
        let out = iobound(&strings(bad));
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{bad:?}: {}",
            text(&out.stderr)
        );
    }
}

/// Installs a seccomp filter in the child that makes io_uring_setup fail with
/// EPERM, the way container runtimes block it.
fn deny_io_uring(cmd: &mut Command) {
    // SAFETY: pre_exec runs in the forked child before exec; prctl is
    // async-signal-safe and the filter array outlives the call.
    unsafe {
        cmd.pre_exec(|| {
            let filter = [
                // Load the syscall number (offset 0 of seccomp_data).
                libc::sock_filter {
                    code: (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16,
                    jt: 0,
                    jf: 0,
                    k: 0,
                },
                libc::sock_filter {
                    code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
                    jt: 0,
                    jf: 1,
                    k: libc::SYS_io_uring_setup as u32,
                },
                libc::sock_filter {
                    code: (libc::BPF_RET | libc::BPF_K) as u16,
                    jt: 0,
                    jf: 0,
                    k: libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
                },
                libc::sock_filter {
                    code: (libc::BPF_RET | libc::BPF_K) as u16,
                    jt: 0,
                    jf: 0,
                    k: libc::SECCOMP_RET_ALLOW,
                },
            ];
            let prog = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr() as *mut _,
            };
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &prog as *const _,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

#[test]
fn without_io_uring_uring_cells_are_skipped_and_others_run() {
    let s = Scratch::new("nouring");
    let mut cmd = s.command(&[
        "-w",
        "file-randread",
        "-c",
        "2",
        "--requests",
        "200",
        "--warmup",
        "0s",
    ]);
    deny_io_uring(&mut cmd);
    let out = cmd.output().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let cells = cells(&s.runs()[0]);
    let all = engines();
    assert_eq!(cells.len(), all.len());
    // Every engine that needs io_uring is skipped with the reason; every
    // other one runs.
    for e in &all {
        let c = cells
            .iter()
            .find(|c| c["cell"]["mode"] == e.name.as_str())
            .unwrap();
        let want = if e.needs_io_uring { "skipped" } else { "ok" };
        assert_eq!(c["status"], want, "{}: {}", e.name, c["reason"]);
        if e.needs_io_uring {
            assert!(
                err.contains(&format!(
                    "{}.c2 skipped: io_uring_setup is not permitted",
                    e.name
                )),
                "{err}"
            );
            assert_eq!(c["system"]["io_uring"]["available"], false);
        }
    }
    assert!(all.iter().any(|e| e.needs_io_uring) && all.iter().any(|e| !e.needs_io_uring));

    // With only io_uring engines requested, no cell could run: non-zero exit.
    let only: Vec<&str> = all
        .iter()
        .filter(|e| e.needs_io_uring)
        .map(|e| e.name.as_str())
        .collect();
    let s2 = Scratch::new("nouring-only");
    let only = only.join(",");
    let mut cmd = s2.command(&[
        "-w",
        "file-randread",
        "-m",
        &only,
        "-c",
        "2",
        "--requests",
        "50",
    ]);
    deny_io_uring(&mut cmd);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn help_and_list_explain_themselves() {
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["list", "--help"],
        &["fio", "--help"],
        &["peers", "--help"],
    ] {
        let out = iobound(&strings(args));
        assert!(out.status.success());
        assert!(
            text(&out.stdout).contains("Example"),
            "{args:?} help has no examples"
        );
    }
    // Issue 13: the about line is not the old "three ways"; `compare --help`
    // names the file it really writes; `--keys` documents each value;
    // `clean` exists; `iobound` alone shows the help and exits 2.
    // Engines' option sets never replace a command's description (the run
    // and fio lines once read "Options of the process pool").
    let run_help = text(&iobound(&strings(&["run", "--help"])).stdout);
    assert!(
        run_help.starts_with("Run a matrix of workloads"),
        "{run_help}"
    );
    let main = text(&iobound(&strings(&["--help"])).stdout);
    assert!(!main.contains("Options of"), "{main}");
    assert!(
        !main.contains("three ways") && main.contains("concurrency models"),
        "{main}"
    );
    let compare = text(&iobound(&strings(&["compare", "--help"])).stdout);
    assert!(compare.contains("compare-vs-<run id of"), "{compare}");
    let run = text(&iobound(&strings(&["run", "--help"])).stdout);
    assert!(
        run.contains("- zipfian:") && run.contains("- uniform:"),
        "{run}"
    );
    // Issue 18: the exit statuses are listed where a script writer looks,
    // and `run --help` says what runs by default.
    for args in [&["--help"][..], &["run", "--help"], &["bench", "--help"]] {
        let help = text(&iobound(&strings(args)).stdout);
        let exit = help
            .split("Exit status:")
            .nth(1)
            .unwrap_or_else(|| panic!("{args:?} help has no exit statuses"));
        for code in ["0 ", "1 ", "2 ", "130 ", "143 "] {
            assert!(exit.contains(&format!("\n  {code}")), "{args:?}: {exit}");
        }
    }
    assert!(run.contains("[default: db-web]"), "{run}");
    let clean = iobound(&strings(&["clean", "--help"]));
    assert!(clean.status.success() && text(&clean.stdout).contains("--dry-run"));
    let bare = iobound(&[]);
    assert_eq!(bare.status.code(), Some(2));
    assert!(
        text(&bare.stderr).contains("Usage:"),
        "{}",
        text(&bare.stderr)
    );
    let out = iobound(&strings(&["list"]));
    let list = text(&out.stdout);
    for e in engines() {
        assert!(list.contains(&e.name), "{} missing from list", e.name);
    }
    // Each workload's line carries its class and the lesson's predicted model.
    let line = |name: &str| {
        list.lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} missing from list"))
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(line("cpu-hash"), "cpu-hash CPU-bound thread pool");
    assert_eq!(line("cpu-image"), "cpu-image CPU-bound thread pool");
    assert_eq!(line("mixed-file"), "mixed-file mixed event loop");
    assert_eq!(line("file-randread"), "file-randread I/O-bound event loop");
}

#[test]
fn every_engine_reports_the_same_checksum_for_the_same_requests() {
    let s = Scratch::new("checksum");
    let out = s.run(&[
        "-w",
        "cpu-hash,cpu-image,mixed-file",
        "-c",
        "5",
        "--requests",
        "200",
        "--warmup",
        "0s",
        "--work",
        "32K",
        "--verify",
    ]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let cells = cells(&s.runs()[0]);
    let all = engines();
    assert_eq!(cells.len(), 3 * all.len());
    for w in ["cpu-hash", "cpu-image", "mixed-file"] {
        let sums: Vec<String> = cells
            .iter()
            .filter(|c| c["cell"]["workload"] == w && c["status"] == "ok")
            .map(|c| c["summary"]["checksum"].as_str().unwrap().to_string())
            .collect();
        let expected = all
            .iter()
            .filter(|e| uring_available() || !e.needs_io_uring)
            .count();
        assert_eq!(sums.len(), expected, "{w}");
        assert!(sums.iter().all(|x| *x == sums[0]), "{w}: {sums:?}");
        assert_ne!(sums[0], "0000000000000000");
    }
    // Different work gives a different checksum: it is computed, not constant.
    let other = s.run(&[
        "-w", "cpu-hash", "-m", "threads", "-c", "1", "-n", "200", "--warmup", "0s", "--work",
        "33K", "--json",
    ]);
    let line: serde_json::Value = serde_json::from_str(text(&other.stdout).trim()).unwrap();
    let first = cells
        .iter()
        .find(|c| c["cell"]["workload"] == "cpu-hash" && c["status"] == "ok")
        .unwrap();
    assert_ne!(line["summary"]["checksum"], first["summary"]["checksum"]);
}

#[test]
fn json_lines_on_stdout_match_the_files() {
    let s = Scratch::new("jsonl");
    let out = s.run(&[
        "-w",
        "file-randread",
        "-m",
        "threads",
        "-c",
        "2",
        "--requests",
        "100",
        "--warmup",
        "0s",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(line["summary"]["requests"], 100);
    assert_eq!(cells(&s.runs()[0])[0]["summary"], line["summary"]);
}

#[test]
fn verify_catches_a_corrupted_data_file() {
    let s = Scratch::new("corrupt");
    assert!(s
        .run(&[
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1",
            "--requests",
            "20",
            "--warmup",
            "0s",
        ])
        .status
        .success());
    // Flip one byte in every 4 KiB block except the first and last, which the
    // reuse check reads: the file is kept, and any read now returns wrong data.
    let path = s.data().join(format!("iobound-data-{}.dat", 8 << 20));
    let mut bytes = std::fs::read(&path).unwrap();
    let n = bytes.len();
    for off in (4096..n - 4096).step_by(4096) {
        bytes[off + 100] ^= 0x5a;
    }
    std::fs::write(&path, bytes).unwrap();
    let out = s.run(&[
        "-w",
        "file-randread",
        "-m",
        "threads",
        "-c",
        "1",
        "--requests",
        "200",
        "--warmup",
        "0s",
        "--verify",
        "--block-size",
        "4K",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("not the file's content"), "{stdout}");
}

/// `iobound run ... | head -1`: a stdout closed under the run ends neither
/// the run nor its files (it panicked on the broken pipe and aborted,
/// leaving no run.json, before the fix).
#[test]
fn a_closed_stdout_does_not_lose_the_run() {
    let s = Scratch::new("pipe");
    let mut child = s
        .command(&[
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1,2,3",
            "-n",
            "300",
            "--warmup",
            "0s",
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    drop(out);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let dir = s.runs().pop().unwrap();
    assert!(dir.join("run.json").exists() && dir.join("report.html").exists());
    assert_eq!(cells(&dir).len(), 3);
}

/// Two SIGINTs a few milliseconds apart (coreutils' `timeout` signals the
/// process, then its group) are one request to stop: the run still writes
/// run.json and its reports (it died at once 3 times in 12, before).
#[test]
fn a_doubled_signal_still_stops_cleanly() {
    let s = Scratch::new("sigint2");
    let child = s
        .command(&[
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1,2",
            "-d",
            "30s",
            "--warmup",
            "0s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    for _ in 0..2 {
        // SAFETY: plain kill(2) on our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(s.runs()[0].join("run.json").exists());
}

/// Issue 18: a cell whose requests all end after its measured window
/// fails with the reason, rather than reading ok with 0 req/s (FNV-1a of
/// 64 MiB takes ~110 ms; the window is 50 ms).
#[test]
fn a_cell_with_no_completion_inside_its_window_fails_with_the_reason() {
    let s = Scratch::new("nowindow");
    let out = s.run(&[
        "-w", "cpu-py", "-m", "threads", "-c", "2", "--work", "64M", "-d", "50ms", "--warmup", "0s",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let dir = s.runs().pop().unwrap();
    let c = &cells(&dir)[0];
    assert_eq!(c["status"], "failed");
    assert!(
        c["reason"]
            .as_str()
            .unwrap()
            .contains("no request completed inside the measured window"),
        "{c}"
    );
}

/// Issue 18: a Ctrl-C stops within a second even while every request waits
/// seconds on the server (3 queries of 2 s each): the cell's connections are
/// shut down, so the waiting requests end at once (they took until the
/// server answered, up to 6 s, on every engine).
#[test]
fn ctrl_c_stops_within_a_second_while_requests_wait_on_the_server() {
    let s = Scratch::new("sigint-wait");
    for mode in ["threads", "uring", "tokio"] {
        if mode == "uring" && !uring_available() {
            continue;
        }
        let child = s
            .command(&[
                "-w",
                "db-web",
                "-m",
                mode,
                "-c",
                "4",
                "-d",
                "10s",
                "--warmup",
                "0s",
                "--db-latency",
                "2s",
                "--records",
                "1000",
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        // SAFETY: plain kill(2) on our own child.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
        let t = std::time::Instant::now();
        let out = child.wait_with_output().unwrap();
        let took = t.elapsed();
        assert_eq!(
            out.status.code(),
            Some(130),
            "{mode}: {}",
            text(&out.stderr)
        );
        assert!(
            took < std::time::Duration::from_secs(1),
            "{mode}: the run took {took:?} to stop"
        );
    }
}

#[test]
fn ctrl_c_stops_the_run_and_keeps_what_finished() {
    let s = Scratch::new("sigint");
    let child = s
        .command(&[
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1,2",
            "-d",
            "30s",
            "--warmup",
            "0s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let t = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(t.elapsed() < std::time::Duration::from_secs(10));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted (Ctrl-C): 0 of 2 cells completed, 1 kept in part"),
        "{err}"
    );
    let cells = cells(&s.runs()[0]);
    assert_eq!(cells.len(), 1);
    // Issue 13: the interrupted cell keeps what it measured, marked as
    // such (it was "failed" with nothing kept).
    assert_eq!(cells[0]["status"], "interrupted");
    assert!(cells[0]["reason"]
        .as_str()
        .unwrap()
        .contains("interrupted (Ctrl-C) after"));
    let measured = cells[0]["summary"]["requests"].as_u64().unwrap();
    assert!(measured > 0);
    assert_eq!(cells[0]["histogram"]["total_count"], measured);
    // The run-wide files are written for what finished; the cut cell is
    // marked interrupted, and the cell that never started is missing.
    let md = std::fs::read_to_string(s.runs()[0].join("report.md")).unwrap();
    assert!(
        md.contains("| file-randread.threads.c1 | interrupted |"),
        "{md}"
    );
    assert!(
        md.contains("| file-randread.threads.c2 | missing |"),
        "{md}"
    );
    let csv = std::fs::read_to_string(s.runs()[0].join("summary.csv")).unwrap();
    assert!(csv.contains(",interrupted,"), "{csv}");
}

/// Issue 13: a Ctrl-C typed at a terminal goes to the whole foreground
/// process group. The server iobound started must not die of it under the
/// running cell, or the cell fails instead of keeping what it measured
/// (fails when the server shares iobound's process group).
#[test]
fn a_terminal_ctrl_c_keeps_the_measured_part_of_a_network_cell() {
    let s = Scratch::new("pgrp");
    let child = s
        .command(&[
            "-w",
            "db-ycsb-c",
            "-m",
            "threads",
            "-c",
            "2",
            "-d",
            "30s",
            "--warmup",
            "0s",
            "--records",
            "100",
        ])
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    // SAFETY: kill(2) on the process group of our own child.
    assert_eq!(unsafe { libc::kill(-(child.id() as i32), libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    // The server is named in words (it was "started the Db server").
    assert!(
        text(&out.stderr).contains("started the database server (iobound serve db) on 127.0.0.1:"),
        "{}",
        text(&out.stderr)
    );
    let cells = cells(&s.runs()[0]);
    assert_eq!(cells[0]["status"], "interrupted", "{}", cells[0]["reason"]);
    assert!(cells[0]["summary"]["requests"].as_u64().unwrap() > 0);
}

/// Issue 13: a results directory that fills up mid-run keeps the cells
/// written, leaves no truncated run.json, and says how to finish; once
/// there is room, `iobound report` renders every cell. Needs a tmpfs mount
/// (root); skipped with the reason otherwise. Fails when run.json is
/// written in place (a truncated run.json is left) or the hint is dropped.
#[test]
fn a_full_results_disk_keeps_the_cells_and_says_how_to_finish() {
    let s = Scratch::new("fulldisk");
    let tiny = s.0.join("tiny");
    std::fs::create_dir_all(&tiny).unwrap();
    let mount = |opts: &str| {
        Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(&tiny)
            .output()
    };
    match mount("size=120k") {
        Ok(o) if o.status.success() => {}
        other => {
            eprintln!("skipping: cannot mount a tmpfs here ({other:?})");
            return;
        }
    }
    /// Unmounts when the test ends, passed or not.
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(tiny.clone());
    let out = Command::new(BIN)
        .args([
            "run",
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1,2,3,4,5,6,7,8",
            "-d",
            "50ms",
        ])
        .args(["--warmup", "0s", "--quiet", "--file-size", FILE_SIZE])
        .arg("--data-dir")
        .arg(s.data())
        .arg("--out")
        .arg(&tiny)
        .output()
        .unwrap();
    let run = std::fs::read_dir(&tiny)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_dir());
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(err.contains("iobound report"), "{err}");
    let run = run.expect("the run directory");
    assert!(
        !run.join("run.json").exists(),
        "a truncated run.json was left"
    );
    let remount = Command::new("mount")
        .args(["-o", "remount,size=4m"])
        .arg(&tiny)
        .status();
    assert!(remount.unwrap().success());
    let rep = iobound(&strings(&["report", &run.display().to_string()]));
    assert!(rep.status.success(), "{}", text(&rep.stderr));
    let csv = std::fs::read_to_string(run.join("summary.csv")).unwrap();
    assert!(csv.lines().count() > 1, "{csv}");
}

/// Issue 13: SIGTERM stops a run as Ctrl-C does — the cut cell kept and
/// marked, run.json, summary.csv and the reports written — and exits 143
/// (128 + SIGTERM). Before, it left cell files only.
#[test]
fn sigterm_stops_the_run_like_ctrl_c_and_exits_143() {
    let s = Scratch::new("sigterm");
    let child = s
        .command(&[
            "-w",
            "file-randread",
            "-m",
            "threads",
            "-c",
            "1,2",
            "-d",
            "30s",
            "--warmup",
            "0s",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(err.contains("interrupted (SIGTERM)"), "{err}");
    let run = &s.runs()[0];
    for f in ["run.json", "summary.csv", "report.md", "report.html"] {
        assert!(run.join(f).exists(), "{f} missing after SIGTERM");
    }
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(v["cells"][0]["status"], "interrupted");
    assert!(v["cells"][0]["summary"]["requests"].as_u64().unwrap() > 0);
}

/// Outside tester: SIGTERM while `advise` calibrates said "no run directory
/// was created" beside the calibration's run directory and its finished
/// cells. It names where what ran was written now, and exits 143.
#[test]
fn sigterm_during_advise_calibration_names_what_was_written() {
    let s = Scratch::new("advise-term");
    let child = Command::new(BIN)
        .args([
            "advise",
            "--calls",
            "1x2ms",
            "-c",
            "4",
            "--repeat",
            "1",
            "--duration",
            "30s",
            "--quiet",
            "--out",
        ])
        .arg(s.out())
        .arg("--data-dir")
        .arg(s.data())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Well into the first 30 s calibration cell (its server starts first).
    std::thread::sleep(std::time::Duration::from_secs(4));
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{err}");
    assert!(!err.contains("no run directory was created"), "{err}");
    let dir = err
        .split("what ran is in ")
        .nth(1)
        .unwrap_or_else(|| panic!("no directory named: {err}"))
        .trim();
    assert!(Path::new(dir).join("run.json").exists(), "{dir}: {err}");
}

/// `iobound lesson ...` run to completion.
fn lesson(args: &[&str], data: &Path) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("lesson").args(args).arg("--data-dir").arg(data);
    cmd.output().expect("binary runs")
}

/// The lines a lesson prints bare: the Rust examples' own output.
fn example_lines(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| {
            !l.is_empty() && !l.starts_with(' ') && !l.starts_with("==") && !l.starts_with("py> ")
        })
        .collect()
}

/// Whether `python3` is a Python 3.11 or newer (what the Python half of
/// the lesson and the py-* engines need).
fn python_available() -> bool {
    Command::new("python3")
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)",
        ])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn lesson_prints_the_lessons_lines_in_order_with_measured_timings() {
    if !uring_available() {
        eprintln!("skipping: the lesson's event loop needs io_uring");
        return;
    }
    let s = Scratch::new("lesson");
    let out = lesson(&["all", "--speed", "10"], &s.data());
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let ex = example_lines(&stdout);
    let finished = |l: &&str| l.starts_with("Programme terminé en ") && l.ends_with(" secondes.");
    // Chapter 1: the unawaited future is shown, never run; then it runs.
    assert!(ex[0].starts_with("<future ") && ex[0].contains("ma_coroutine"));
    assert_eq!(ex[1..3], ["Début de la coroutine", "Fin de la coroutine"]);
    // Chapter 2 runs the same coroutine twice (alone, then beside another task).
    assert_eq!(
        ex[3..7],
        [
            "Début de la coroutine",
            "Fin de la coroutine",
            "Début de la coroutine",
            "Fin de la coroutine"
        ]
    );
    // Chapter 3: gather, then sequential, each line as in the lesson.
    let gather = &ex[7..15];
    assert_eq!(
        gather
            .iter()
            .filter(|l| !finished(l))
            .copied()
            .collect::<Vec<_>>(),
        [
            "Début de 'hello'",
            "Début de 'world'",
            "Début de 'async'",
            "async",
            "hello",
            "world",
            "Résultats : [5, 5, 5]"
        ]
    );
    assert!(finished(&gather[6]));
    let sequential = &ex[15..23];
    assert_eq!(
        sequential[..6],
        [
            "Début de 'hello'",
            "hello",
            "Début de 'world'",
            "world",
            "Début de 'async'",
            "async"
        ]
    );
    assert!(finished(&sequential[6]));
    assert_eq!(sequential[7], "Résultats : [5, 5, 5]");
    // At --speed 10, gather takes about the longest delay (0.2 s), and the
    // sequential run about 1.75 times as long.
    let line = stdout
        .lines()
        .find(|l| l.trim_start().starts_with("= gather "))
        .expect("chapter 3 prints its measurement");
    let words: Vec<&str> = line.split_whitespace().collect();
    let gather_s: f64 = words[2].parse().unwrap();
    let ratio: f64 = words[5].parse().unwrap();
    assert!((1.0..=1.10).contains(&ratio), "{line}");
    assert!((0.2..=0.22).contains(&gather_s), "{line}");
    let speedup: f64 = line
        .rsplit_once("speed-up ")
        .unwrap()
        .1
        .trim_end_matches('x')
        .parse()
        .unwrap();
    assert!((1.6..=1.9).contains(&speedup), "{line}");
    // Chapter 4 measured both kinds of work and gave a verdict on each,
    // after saying which data file it prepares, and how big (issue 18: it
    // created 256 MiB without a word).
    let preparing = format!(
        "  # preparing {} (256.0MiB), kept for later runs",
        s.data().join("iobound-data-268435456.dat").display()
    );
    let at = stdout.find(&preparing).expect(&preparing);
    assert!(at < stdout.find("= file-randread (").unwrap(), "{stdout}");
    assert!(stdout.contains("= file-randread ("), "{stdout}");
    assert!(stdout.contains("= cpu-hash (SHA-256, 256 KiB): uring "));
    assert!(stdout.contains("# I/O-bound: ") && stdout.contains("# CPU-bound: "));
    // Chapter 5: the lesson's order (eager start), then asyncio's default.
    let eager = [
        "Lancement de la tâche de fond.",
        "La tâche de fond commence...",
        "Le programme principal continue...",
        "Le programme principal a fait une pause.",
        "La tâche de fond est terminée.",
        "Le programme principal a attendu la fin de la tâche.",
    ];
    let lazy = [eager[0], eager[2], eager[1], eager[3], eager[4], eager[5]];
    assert_eq!(ex[23..29], eager);
    assert_eq!(ex[29..35], lazy);
    assert_eq!(ex.len(), 35);
    // Each chapter ran again in Python asyncio: the same lines as Rust's
    // in chapters 1, 2, 3 and 5, and chapter 4's GIL measured.
    if !python_available() {
        eprintln!("skipping the Python half: no python3 3.11+ here");
        return;
    }
    let same = "  = Python printed the same lines in the same order";
    assert_eq!(stdout.matches(same).count(), 4, "{stdout}");
    let py: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("py> "))
        .collect();
    assert!(py.contains(&"Résultats : [5, 5, 5]"), "{stdout}");
    let gather = stdout
        .lines()
        .find(|l| l.starts_with("  = gather: Rust "))
        .expect("chapter 3's comparison");
    let python_s: f64 = gather.split_whitespace().nth(6).unwrap().parse().unwrap();
    assert!((0.2..=0.25).contains(&python_s), "{gather}");
    assert!(
        stdout.contains("pure-Python jobs: one after the other "),
        "{stdout}"
    );
}

#[test]
fn lesson_speaks_french_and_refuses_bad_input() {
    if !uring_available() {
        eprintln!("skipping: the lesson's event loop needs io_uring");
        return;
    }
    let s = Scratch::new("lesson-fr");
    let en = text(&lesson(&["3", "--speed", "50"], &s.data()).stdout);
    let fr = lesson(&["3", "--speed", "50", "--lang", "fr"], &s.data());
    assert!(fr.status.success());
    let fr = text(&fr.stdout);
    assert!(fr.contains("gather fait de chaque coroutine une tâche"));
    assert!(!en.contains("gather fait de chaque coroutine une tâche"));
    // The example lines are the lesson's whatever the language.
    let strip = |o: &str| {
        example_lines(o)
            .into_iter()
            .filter(|l| !l.starts_with("Programme terminé"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&en), strip(&fr));
    let list = lesson(&[], &s.data());
    assert!(text(&list.stdout).contains("5. create_task"));
    for bad in [
        &["9"][..],
        &["x"],
        &["1", "--speed", "0"],
        &["1", "--speed=-3"],
        // Issue 18: negative without '=', and speeds that print "inf x".
        &["1", "--speed", "-3"],
        &["3", "--speed", "1e12"],
        &["3", "--speed", "1e6"],
    ] {
        let out = lesson(bad, &s.data());
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}: {}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.starts_with("iobound: error: ") && err.lines().count() == 1,
            "{err}"
        );
    }
    // Issue 18: chapter 4's data directory is checked before any line is
    // printed (it printed the chapter's heading, then exited 1).
    for chapter in ["4", "all"] {
        let out = lesson(&[chapter], Path::new("/proc/x"));
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
        let err = text(&out.stderr);
        assert!(
            err.starts_with("iobound: error: --data-dir /proc/x: ") && err.lines().count() == 1,
            "{err}"
        );
    }
}

#[test]
fn bench_runs_a_suite_file_and_reports_render_again_and_compare() {
    let s = Scratch::new("bench");
    let suite = s.0.join("tiny.toml");
    std::fs::write(
        &suite,
        "description = \"tiny\"\nrepeat = 2\nduration = \"150ms\"\nwarmup = \"0s\"\nfile_size = \"8M\"\n\
         [[group]]\nworkloads = [\"file-randread\"]\nmodes = [\"threads\", \"rayon\"]\nconcurrency = [1, 4]\n\
         [[group]]\nworkloads = [\"cpu-hash\"]\nmodes = [\"threads\", \"rayon\"]\nconcurrency = [2]\nwork = \"16K\"\n",
    )
    .unwrap();
    let bench = |out: &Path| {
        Command::new(BIN)
            .args(["bench", "--quiet", "--suite"])
            .arg(&suite)
            .arg("--out")
            .arg(out)
            .arg("--data-dir")
            .arg(s.data())
            .args(["--lang", "fr"])
            .output()
            .unwrap()
    };
    let out = bench(&s.out());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = s.runs().pop().unwrap();
    for f in ["run.json", "summary.csv", "report.md", "report.html"] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["schema"], "iobound.run.v3");
    // Each cell names its group rather than repeating its configuration.
    let cell = &run["cells"][0];
    assert!(
        cell.get("config").is_none() && cell.get("system").is_none(),
        "{cell}"
    );
    let g = cell["group_index"].as_u64().unwrap() as usize;
    assert!(run["groups"][g].is_object(), "{cell}");
    assert_eq!(run["suite"], "tiny");
    assert_eq!(run["repeat"], 2);
    // (4 + 2 cells) x 2 repetitions, all measured.
    assert_eq!(run["plan"].as_array().unwrap().len(), 12);
    assert_eq!(run["cells"].as_array().unwrap().len(), 12);
    assert!(run["git_commit"].as_str().is_some_and(|c| !c.is_empty()));
    let csv = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert_eq!(csv.lines().count(), 13);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    // One language, the run's: the answer first, in French only.
    assert!(md.contains("## La réponse"), "{md}");
    assert!(
        !md.contains("The answer") && !md.contains("## Verdicts"),
        "{md}"
    );
    assert!(md.find("## La réponse").unwrap() < md.find("## Résultats par charge").unwrap());
    // No event loop ran: every claim reads "not measured", none is guessed.
    assert_eq!(md.matches("| – non mesurée |").count(), 6, "{md}");
    assert!(md.contains("### cpu-hash (limité par le CPU)"), "{md}");
    let run_lang = &run["lang"];
    assert_eq!(run_lang, "fr");

    // Re-rendering without run.json, with one cell file corrupted: that cell
    // is reported missing and the rest renders.
    std::fs::remove_file(dir.join("run.json")).unwrap();
    std::fs::write(dir.join("cpu-hash.rayon.c2.r1.json"), "{ not json").unwrap();
    std::fs::remove_file(dir.join("report.md")).unwrap();
    let out = iobound(&["report".to_string(), dir.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.contains("cpu-hash.rayon.c2.r1 is missing"));
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| cpu-hash.rayon.c2.r1 | missing |"), "{md}");
    assert!(md.contains("### file-randread"));
    // Issue 18: a missing run.json is said to be missing (not to lack a
    // language), and written again from the cells.
    assert!(
        err.contains("note: run.json is missing: the report is rebuilt from the cell files"),
        "{err}"
    );
    assert!(!err.contains("does not record"), "{err}");
    let again: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("run.json")).expect("run.json rewritten"))
            .unwrap();
    assert_eq!(again["run_id"], run["run_id"]);
    assert_eq!(again["plan"].as_array().unwrap().len(), 12);
    assert_eq!(again["cells"].as_array().unwrap().len(), 11);
    let out = iobound(&["report".to_string(), dir.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("run.json is"),
        "{}",
        text(&out.stderr)
    );

    // A second run, compared with the first.
    let other = s.0.join("results2");
    assert!(bench(&other).status.success());
    let dir2 = std::fs::read_dir(&other)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let out = iobound(&[
        "compare".to_string(),
        dir.display().to_string(),
        dir2.display().to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("| file-randread | threads | 4 |"), "{table}");
    assert!(std::fs::read_dir(&dir2)
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("compare-vs-")));

    // A suite with a mistake: one line, exit 2, nothing run.
    std::fs::write(
        &suite,
        "[[group]]\nworkloads = [\"nope\"]\nmodes = [\"uring\"]\nconcurrency = [1]\n",
    )
    .unwrap();
    let out = bench(&s.0.join("results3"));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("group 1") && err.lines().count() == 1, "{err}");
    assert!(!s.0.join("results3").exists());
}

/// Issue 16: a suite of two groups that both need the db server, at
/// different service times, runs (it exited 1: both groups' servers were
/// started up front on one table and the second was refused). Each group
/// talks to a server of its own settings: the 10 ms group's requests take
/// over 10 ms, the 100 us group's well under; each group and repetition has
/// its own server log.
#[test]
fn a_suite_of_two_db_groups_at_different_latencies_runs() {
    let s = Scratch::new("twodb");
    let suite = s.0.join("two-db.toml");
    std::fs::write(
        &suite,
        "repeat = 2\nduration = \"200ms\"\nwarmup = \"50ms\"\nrecords = 2000\n\
         [[group]]\nlabel = \"slow\"\nworkloads = [\"db-ycsb-c\"]\nmodes = [\"threads\", \"uring\"]\nconcurrency = [4]\ndb_latency = \"10ms\"\n\
         [[group]]\nlabel = \"fast\"\nworkloads = [\"mixed-db\"]\nmodes = [\"threads\", \"uring\"]\nconcurrency = [4]\ndb_latency = \"100us\"\nwork = \"4K\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["bench", "--quiet", "--suite"])
        .arg(&suite)
        .arg("--out")
        .arg(s.out())
        .arg("--data-dir")
        .arg(s.data())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = s.runs().pop().unwrap();
    let cells = cells(&dir);
    assert_eq!(cells.len(), 8);
    for c in &cells {
        assert_eq!(c["status"], "ok", "{c}");
        let p50 = c["summary"]["latency"]["p50_ns"].as_u64().unwrap();
        let slow = c["cell"]["tag"] == "slow";
        assert!(
            if slow {
                p50 >= 10_000_000
            } else {
                p50 < 5_000_000
            },
            "{}: p50 {p50} ns",
            c["cell"]
        );
    }
    for g in 1..=2 {
        for r in 1..=2 {
            let log = dir.join(format!("server-db-g{g}-r{r}.log"));
            assert!(log.exists(), "{} missing", log.display());
        }
    }
    assert!(processes_mentioning(&s.data().display().to_string()).is_empty());
}

/// Issue 16: a group's cells do not inherit the table an earlier group
/// wrote. Group 1 updates records (YCSB A); group 2's server starts with
/// --fresh and restores each record group 1 changed to its initial
/// content, and says how many in its log (fails if the harness stops
/// passing --fresh: group 2 would start on group 1's writes).
#[test]
fn a_group_starts_from_the_initial_table_whatever_the_last_one_wrote() {
    let s = Scratch::new("fresh");
    let suite = s.0.join("writes.toml");
    std::fs::write(
        &suite,
        "duration = \"200ms\"\nwarmup = \"0s\"\nrecords = 500\ndb_latency = \"0s\"\n\
         [[group]]\nworkloads = [\"db-ycsb-a\"]\nmodes = [\"threads\"]\nconcurrency = [4]\n\
         [[group]]\nworkloads = [\"db-ycsb-c\"]\nmodes = [\"threads\"]\nconcurrency = [4]\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["bench", "--quiet", "--suite"])
        .arg(&suite)
        .arg("--out")
        .arg(s.out())
        .arg("--data-dir")
        .arg(s.data())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = s.runs().pop().unwrap();
    let log = std::fs::read_to_string(dir.join("server-db-g2.log")).unwrap();
    let restored: u64 = log
        .split("--fresh: ")
        .nth(1)
        .and_then(|l| l.split("; ").nth(1))
        .and_then(|l| l.split(" of ").next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no --fresh line in the group 2 server log: {log}"));
    assert!(
        restored > 0,
        "group 1 wrote records, group 2 restored none: {log}"
    );
}

/// Chromium for the rendering check: $CHROMIUM, else Debian's.
fn chromium() -> Option<PathBuf> {
    let p = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    p.exists().then_some(p)
}

fn headless(chromium: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chromium);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--virtual-time-budget=3000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

#[test]
fn report_html_renders_its_charts_in_headless_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!("skipping: no chromium (apt-get install chromium, or set CHROMIUM)");
        return;
    };
    let s = Scratch::new("chromium");
    let dir = s.0.join("run");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run/run.json"),
        dir.join("run.json"),
    )
    .unwrap();
    let out = iobound(&["report".to_string(), dir.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The report has no script; a copy gets one that writes, for every SVG,
    // its rendered size, and every pair of its text boxes that intersect or
    // any text box that leaves it, into the DOM, which --dump-dom prints.
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let probe = html.replace(
        "</body>",
        r#"<script>
const out = { sizes: [], overlaps: [], outside: [], texts: 0 };
for (const s of document.querySelectorAll('svg')) {
  const r = s.getBoundingClientRect();
  out.sizes.push([s.id, r.width, r.height]);
  const ts = Array.from(s.querySelectorAll('text'))
    .filter(t => t.textContent.trim().length > 0)
    .map(t => [t.textContent, t.getBoundingClientRect()]);
  out.texts += ts.length;
  for (let i = 0; i < ts.length; i++) {
    const a = ts[i][1];
    if (a.left < r.left - 0.5 || a.right > r.right + 0.5 || a.top < r.top - 0.5 || a.bottom > r.bottom + 0.5)
      out.outside.push([s.id, ts[i][0]]);
    for (let j = i + 1; j < ts.length; j++) {
      const b = ts[j][1];
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 0.5 && h > 0.5) out.overlaps.push([s.id, ts[i][0], ts[j][0]]);
    }
  }
}
document.body.setAttribute('data-probe', JSON.stringify(out));
</script></body>"#,
    );
    std::fs::write(dir.join("probe.html"), probe).unwrap();
    let out = headless(&chromium, &s.0.join("profile"))
        .arg("--window-size=1400,900")
        .arg("--dump-dom")
        .arg(format!("file://{}", dir.join("probe.html").display()))
        .output()
        .unwrap();
    let dom = text(&out.stdout);
    let start = dom.find("data-probe=\"").expect("the probe ran") + "data-probe=\"".len();
    let end = start + dom[start..].find('"').unwrap();
    let probe: serde_json::Value = serde_json::from_str(
        &dom[start..end]
            .replace("&quot;", "\"")
            .replace("&amp;", "&"),
    )
    .unwrap();
    let sizes = probe["sizes"].as_array().unwrap();
    // As many charts as the page has SVGs, each drawn at a readable size.
    assert_eq!(sizes.len(), html.matches("<svg ").count(), "{sizes:?}");
    assert!(sizes.len() >= 8, "{sizes:?}");
    for s in sizes {
        let (w, h) = (s[1].as_f64().unwrap(), s[2].as_f64().unwrap());
        assert!(w > 100.0 && h > 100.0, "{} rendered {w}x{h}", s[0]);
    }
    assert!(probe["texts"].as_u64().unwrap() > 100, "{probe}");
    assert_eq!(
        probe["overlaps"],
        serde_json::json!([]),
        "text boxes intersect"
    );
    assert_eq!(
        probe["outside"],
        serde_json::json!([]),
        "text leaves its chart"
    );
    // The first screen at 1400x900, to look at: it should show the answer
    // (the map and the claims). Kept in cargo's test scratch directory.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-first-screen.png");
    eprintln!("screenshot: {}", shot.display());
    let out = headless(&chromium, &s.0.join("profile2"))
        .arg("--window-size=1400,900")
        .arg("--hide-scrollbars")
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", dir.join("report.html").display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

/// Every cell of the only run of `s`, by stem.
fn cells_by_stem(s: &Scratch) -> std::collections::HashMap<String, serde_json::Value> {
    cells(&s.runs()[0])
        .into_iter()
        .map(|c| {
            let k = &c["cell"];
            let rate = k["rate"]
                .as_u64()
                .map_or(String::new(), |r| format!("@{r}"));
            (
                format!(
                    "{}.{}.c{}{rate}",
                    k["workload"].as_str().unwrap(),
                    k["mode"].as_str().unwrap(),
                    k["concurrency"]
                ),
                c,
            )
        })
        .collect()
}

/// Issue 22: every option of the uring engine's ring (and hybrid's, which
/// shares its loop) runs file steps (O_DIRECT reads hashed, so a wrong
/// buffer shows in the checksum) and network steps to the same result as
/// the defaults: every request completed, --verify checking every byte,
/// the same checksum. Each cell records the ring the kernel set up, so an
/// option that was silently ignored fails here; SQPOLL's kernel thread is
/// checked to be counted in the cell's CPU.
#[test]
fn uring_options_give_the_default_results_and_show_in_the_ring_record() {
    if !uring_available() {
        eprintln!("skipping: io_uring unavailable");
        return;
    }
    const N: u64 = 200;
    let sets: [(&str, &[&str]); 8] = [
        ("default", &[]),
        ("files-off", &["--register-files", "off"]),
        ("fixed-off", &["--fixed-buffers", "off"]),
        ("plain", &["--taskrun", "plain"]),
        ("coop", &["--taskrun", "coop"]),
        ("sqpoll", &["--sqpoll", "20"]),
        ("wait", &["--wait-count", "4"]),
        (
            "together",
            &[
                "--fixed-buffers",
                "on",
                "--register-files",
                "off",
                "--taskrun",
                "coop",
                "--wait-count",
                "3",
                "--submit-batch",
                "2",
            ],
        ),
    ];
    let mut checksums: std::collections::HashMap<String, serde_json::Value> = Default::default();
    for (set, flags) in sets {
        let s = Scratch::new(&format!("ring-{set}"));
        let mut args = vec![
            "-w",
            "mixed-file,net-echo",
            "-m",
            "uring,hybrid",
            "-c",
            "5",
            "-n",
            "200",
            "--warmup",
            "0s",
            "--verify",
            "--direct",
        ];
        args.extend(flags);
        let out = s.run(&args);
        assert!(out.status.success(), "{set}: {}", text(&out.stderr));
        let cells = cells_by_stem(&s);
        assert_eq!(cells.len(), 4, "{set}: {:?}", cells.keys());
        for (stem, c) in &cells {
            let reason = c["reason"].as_str().unwrap_or("");
            if set == "sqpoll" && c["status"] == "failed" && reason.contains("SQPOLL") {
                eprintln!("skipping {stem} {set}: {reason}");
                continue;
            }
            assert_eq!(c["status"], "ok", "{stem} {set}: {reason}");
            let sum = &c["summary"];
            assert_eq!(sum["requests"], N, "{stem} {set}");
            let ring = &sum["ring"];
            let notes = sum["notes"].to_string();
            let file = stem.starts_with("mixed-file");
            let flags: Vec<&str> = ring["flags"]
                .as_array()
                .unwrap_or_else(|| panic!("{stem} {set}: no ring record in {sum}"))
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            // A flag the kernel refused is a note, never silence.
            let stepped_down = notes.contains("the kernel refused --taskrun");
            let taskrun = match set {
                "plain" | "sqpoll" => &[][..],
                "coop" | "together" => &["COOP_TASKRUN"][..],
                _ => &["SINGLE_ISSUER", "DEFER_TASKRUN"][..],
            };
            let (poll, rest) = flags.split_at(usize::from(set == "sqpoll"));
            assert_eq!(
                poll,
                if set == "sqpoll" {
                    &["SQPOLL"][..]
                } else {
                    &[]
                }
            );
            assert!(rest == taskrun || stepped_down, "{stem} {set}: {flags:?}");
            let registered = usize::from(file && !matches!(set, "files-off" | "together"));
            assert_eq!(ring["registered_files"], registered, "{stem} {set}");
            // Fixed buffers are the default, for file steps only, and only
            // the kinds the steps use: mixed-file reads, so one read buffer
            // per slot at -c 5.
            if set != "fixed-off" && file {
                assert!(
                    ring["fixed_buffers"] == 5 || notes.contains("--fixed-buffers on"),
                    "{stem} {set}: {ring}"
                );
            } else {
                assert_eq!(ring["fixed_buffers"], 0, "{stem} {set}");
            }
            let wait = match set {
                "wait" => 4,
                "together" => 3,
                _ => 1,
            };
            assert_eq!(ring["wait_count"], wait, "{stem} {set}");
            if set == "sqpoll" {
                // Found among the process's threads: the cell's CPU has it.
                assert!(ring["sq_thread_cpu_ns"].is_u64(), "{stem}: {ring}");
            }
            if file {
                let first = checksums
                    .entry(stem.clone())
                    .or_insert(sum["checksum"].clone());
                assert_eq!(sum["checksum"], *first, "{stem} {set}");
            }
        }
    }
    assert_eq!(
        checksums.len(),
        2,
        "the default's file cells ran: {checksums:?}"
    );
    // A polling thread that never sleeps over a 300 ms cell (short: it
    // takes a core from the tests beside it): its CPU, read from the thread
    // itself, is inside the cell's (at most a clock tick per reading off,
    // and its life starts a little before the clock).
    let s = Scratch::new("ring-sqpoll-cpu");
    let out = s.run(&[
        "-w",
        "file-randread",
        "-m",
        "uring",
        "-c",
        "4",
        "-d",
        "300ms",
        "--warmup",
        "0s",
        "--sqpoll",
        "5000",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let c = &cells(&s.runs()[0])[0];
    if c["status"] != "ok" {
        eprintln!("skipping the SQPOLL CPU check: {}", c["reason"]);
        return;
    }
    let sum = &c["summary"];
    let sq = sum["ring"]["sq_thread_cpu_ns"].as_u64().unwrap();
    let cell = sum["cpu"]["user_ns"].as_u64().unwrap() + sum["cpu"]["sys_ns"].as_u64().unwrap();
    // How much of the 300 ms it got depends on what else the two cores
    // run (a test asserts no speed): that it was read at all, and is
    // inside the cell's, is what is checked.
    assert!(sq > 0, "the SQPOLL thread's CPU was not read: {sq} ns");
    assert!(
        cell + 50_000_000 >= sq,
        "cell {cell} ns, SQPOLL thread {sq} ns"
    );
}

/// Every engine (the default `--mode` list), against the echo server iobound
/// starts, gets back exactly the bytes it sent, up to the largest payload
/// the protocol allows. The large sizes need several reads per frame on the
/// server: before the framing fix (issue 10) they failed on every engine
/// with "the server closed the connection".
#[test]
fn echo_returns_the_bytes_sent_in_every_engine() {
    let max = iobound_workloads::proto::MAX_FRAME - 1;
    for (size, n) in [(1000, 500), (65_537, 60), (max, 20)] {
        let s = Scratch::new(&format!("echo{size}"));
        let out = s.run(&[
            "-w",
            "net-echo",
            "-c",
            "3",
            "-n",
            &n.to_string(),
            "--warmup",
            "0s",
            "--msg-size",
            &size.to_string(),
        ]);
        // Every echo is compared with the bytes sent, --verify or not
        // (which is why `run` refuses --verify for net-echo).
        assert!(out.status.success(), "{size}: {}", text(&out.stderr));
        let cells = cells_by_stem(&s);
        assert!(cells.len() >= 4, "every engine ran: {:?}", cells.keys());
        for (stem, c) in &cells {
            if c["status"] == "skipped" && !uring_available() {
                continue;
            }
            assert_eq!(c["status"], "ok", "{stem} {size}: {}", c["reason"]);
            assert_eq!(c["summary"]["requests"], n, "{stem} {size}");
            // Frames of header + opcode + payload each way, checked byte for
            // byte by --verify.
            assert_eq!(
                c["summary"]["bytes"],
                n * 2 * (size as u64 + 5),
                "{stem} {size}"
            );
            assert!(
                c["summary"]["server"]["user_ns"].is_u64(),
                "{stem}: server CPU recorded"
            );
        }
    }
}

/// Issue 22: every Rust engine drives a real Redis through the same step
/// interpreter (GETs checked to return their own record with --verify,
/// durable SETs answered +OK), with Redis's CPU recorded as the server's;
/// without redis-server on PATH the cells are skipped with the package to
/// install, and the run succeeds.
#[test]
fn every_rust_engine_drives_a_real_redis_or_skips_with_the_reason() {
    let s = Scratch::new("redis");
    let flags = [
        "-w",
        "redis-get,redis-set,redis-ycsb-b",
        "-c",
        "3",
        "-n",
        "300",
        "--warmup",
        "0s",
        "--records",
        "2000",
        "--verify",
    ];
    let installed = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("redis-server").is_file()));
    if installed {
        let out = s.run(&flags);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let cells = cells_by_stem(&s);
        assert!(cells.len() >= 3 * 4, "every engine ran: {:?}", cells.keys());
        for (stem, c) in &cells {
            if c["status"] == "skipped" && !uring_available() {
                continue;
            }
            assert_eq!(c["status"], "ok", "{stem}: {}", c["reason"]);
            assert_eq!(c["summary"]["requests"], 300, "{stem}");
            assert!(c["summary"]["server"]["user_ns"].is_u64(), "{stem}");
        }
    } else {
        eprintln!("redis-server is not installed: only the skip path is tested");
    }
    // No redis-server on PATH: refused up front when no cell could run
    // (exit 2, nothing written), skipped with the reason beside a cell
    // that runs.
    let no_redis = s.0.join("no-such-dir");
    let before = s.runs().len();
    let out = s.command(&flags).env("PATH", &no_redis).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("apt-get install redis-server"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(s.runs().len(), before, "nothing written");
    let mut with_echo = flags.to_vec();
    with_echo[1] = "redis-get,net-echo";
    let out = s
        .command(&with_echo)
        .env("PATH", &no_redis)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let runs = s.runs();
    let last = runs.iter().max().unwrap();
    let all = cells(last);
    assert!(all.iter().any(|c| c["status"] == "ok"));
    for c in all.iter().filter(|c| c["cell"]["workload"] == "redis-get") {
        assert_eq!(c["status"], "skipped", "{c}");
        assert!(
            c["reason"]
                .as_str()
                .unwrap()
                .contains("apt-get install redis-server"),
            "{}",
            c["reason"]
        );
    }
}

/// An outsider's finding: a report rebuilt from the cell files (run.json
/// deleted) put the workloads in alphabetical order, so the claims judged
/// other groups and a verdict flipped. Rebuilt, the report says the same as
/// the run's own, but for what only run.json records (commit, suite).
#[test]
fn a_report_rebuilt_from_the_cell_files_keeps_the_runs_order() {
    let s = Scratch::new("rebuild-order");
    let out = s.run(&[
        "-w",
        "net-echo,cpu-hash",
        "-m",
        "threads,uring",
        "-c",
        "1,4",
        "-n",
        "300",
        "--warmup",
        "0s",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = &s.runs()[0];
    let keep = |md: &str| -> String {
        md.lines()
            .filter(|l| !l.contains("commit") && !l.contains("suite") && !l.contains("run.json"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = keep(&std::fs::read_to_string(dir.join("report.md")).unwrap());
    std::fs::remove_file(dir.join("run.json")).unwrap();
    let out = iobound(&["report".to_string(), dir.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let after = keep(&std::fs::read_to_string(dir.join("report.md")).unwrap());
    assert!(
        before.find("### net-echo").unwrap() < before.find("### cpu-hash").unwrap(),
        "{before}"
    );
    assert_eq!(after, before);
}

/// `iobound serve db` on a scratch directory, returning the child and its address.
/// An outsider's finding: `iobound clean` removed a running db server's
/// table and log, and its acknowledged writes were lost at the next start.
/// The files of a table whose lock a server holds are kept, and said so;
/// once the server is gone they go.
#[test]
fn clean_keeps_the_files_of_a_running_server() {
    let s = Scratch::new("cleanlive");
    let (mut server, _) = serve_db(&s);
    let clean = || {
        Command::new(BIN)
            .args(["clean", "--data-dir"])
            .arg(s.data())
            .output()
            .unwrap()
    };
    let out = clean();
    assert!(out.status.success());
    assert!(
        text(&out.stdout).contains("keeping")
            && text(&out.stdout).contains("a running iobound server uses the table iobound-db-64"),
        "{}",
        text(&out.stdout)
    );
    assert!(s.data().join("iobound-db-64.dat").exists());
    assert!(s.data().join("iobound-db-64.wal").exists());
    server.kill().unwrap();
    server.wait().unwrap();
    let out = clean();
    assert!(out.status.success());
    assert!(
        !s.data().join("iobound-db-64.dat").exists(),
        "{}",
        text(&out.stdout)
    );
    assert!(!s.data().join("iobound-db-64.lock").exists());
}

fn serve_db(s: &Scratch) -> (std::process::Child, std::net::SocketAddr) {
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "db",
            "--records",
            "64",
            "--db-latency",
            "0s",
            "--data-dir",
        ])
        .arg(s.data())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .parse()
        .unwrap();
    (child, addr)
}

/// Sends one request and reads one response frame.
fn ask(conn: &mut std::net::TcpStream, req: &iobound_workloads::proto::Request) -> (u8, Vec<u8>) {
    use iobound_workloads::proto;
    use std::io::{Read, Write};
    let mut buf = Vec::new();
    proto::encode_request(&mut buf, req);
    conn.write_all(&buf).unwrap();
    let mut head = [0u8; 4];
    conn.read_exact(&mut head).unwrap();
    let mut body = vec![0u8; u32::from_le_bytes(head) as usize];
    conn.read_exact(&mut body).unwrap();
    (body[0], body[1..].to_vec())
}

/// A second db server on the same table refuses to start: it would replay
/// and truncate the first one's write-ahead log under it, losing writes the
/// first had acknowledged (found by an outside tester). Fails without the
/// table lock: the second server then started.
#[test]
fn a_second_db_server_on_the_same_table_refuses_to_start() {
    let s = Scratch::new("dblock");
    let (mut first, addr) = serve_db(&s);
    let second = Command::new(BIN)
        .args(["serve", "db", "--records", "64", "--data-dir"])
        .arg(s.data())
        .output()
        .unwrap();
    let err = text(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains("another iobound server uses this table"),
        "{err}"
    );
    // The first one still answers.
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    let (status, _) = ask(
        &mut conn,
        &iobound_workloads::proto::Request::Get {
            key: 3,
            wait_us: None,
        },
    );
    assert_eq!(status, iobound_workloads::proto::STATUS_OK);
    first.kill().unwrap();
    first.wait().unwrap();
}

#[test]
fn acknowledged_puts_survive_a_kill_9_of_the_server() {
    use iobound_workloads::proto::{Request, RECORD_SIZE, STATUS_OK};
    let s = Scratch::new("wal");
    let (mut server, addr) = serve_db(&s);
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    let mut value = vec![0xAB; RECORD_SIZE];
    value[..8].copy_from_slice(&9u64.to_le_bytes());
    let (st, _) = ask(
        &mut c,
        &Request::Put {
            key: 9,
            wait_us: None,
            value: &value,
        },
    );
    assert_eq!(st, STATUS_OK);
    // Acknowledged: the server may die now, before any checkpoint.
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut server, addr) = serve_db(&s);
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    let (st, got) = ask(
        &mut c,
        &Request::Get {
            key: 9,
            wait_us: None,
        },
    );
    assert_eq!(st, STATUS_OK);
    assert_eq!(got, value, "the write was lost");
    let (_, other) = ask(
        &mut c,
        &Request::Get {
            key: 10,
            wait_us: None,
        },
    );
    assert_eq!(other[..8], 10u64.to_le_bytes());
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_malformed_frame_closes_only_that_connection() {
    use iobound_workloads::proto::{Request, STATUS_OK};
    use std::io::{Read, Write};
    let s = Scratch::new("badframe");
    let (mut server, addr) = serve_db(&s);
    let mut good = std::net::TcpStream::connect(addr).unwrap();
    assert_eq!(ask(&mut good, &Request::Echo(b"before")).0, STATUS_OK);
    for garbage in [
        &[2u8, 0, 0, 0, 99, 1][..],       // unknown opcode
        &[0xff, 0xff, 0xff, 0x7f, 1][..], // a 2 GiB frame
        &[3, 0, 0, 0, 2, 1, 2][..],       // GET with a short key
    ] {
        let mut bad = std::net::TcpStream::connect(addr).unwrap();
        bad.write_all(garbage).unwrap();
        bad.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut b = [0u8; 16];
        assert_eq!(
            bad.read(&mut b).unwrap(),
            0,
            "{garbage:?}: connection not closed"
        );
        // The well-behaved client is still served, on its open connection.
        let (st, body) = ask(&mut good, &Request::Echo(b"after"));
        assert_eq!((st, body.as_slice()), (STATUS_OK, &b"after"[..]));
    }
    // An abrupt disconnect mid-frame is fine too.
    let mut cut = std::net::TcpStream::connect(addr).unwrap();
    cut.write_all(&[100, 0, 0, 0, 1, 2, 3]).unwrap();
    drop(cut);
    assert_eq!(
        ask(
            &mut good,
            &Request::Get {
                key: 3,
                wait_us: None
            }
        )
        .0,
        STATUS_OK
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Pids of live processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn no_server_outlives_the_run_even_after_ctrl_c() {
    let s = Scratch::new("orphans");
    let needle = s.data().display().to_string();
    let db_run = |d: &str| {
        s.command(&[
            "-w",
            "db-ycsb-c",
            "-m",
            "threads",
            "-c",
            "2",
            "-d",
            d,
            "--warmup",
            "0s",
            "--records",
            "100",
        ])
    };
    // Waits up to `secs` until `n` processes mention the scratch directory.
    let wait_for = |n: usize, secs: u64| {
        let t = std::time::Instant::now();
        while processes_mentioning(&needle).len() != n
            && t.elapsed() < std::time::Duration::from_secs(secs)
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        processes_mentioning(&needle).len()
    };
    // A normal run.
    let out = db_run("200ms").output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(wait_for(0, 0), 0, "a server outlived the run");
    let start_long = || {
        let child = db_run("30s")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        assert_eq!(wait_for(2, 10), 2, "iobound and its server");
        child
    };
    // Ctrl-C in the middle of a long cell.
    let mut child = start_long();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: plain kill(2) on our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(wait_for(0, 2), 0, "a server outlived Ctrl-C");
    // Even kill -9 of iobound takes the server down (parent-death signal).
    let mut child = start_long();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(wait_for(0, 5), 0, "a server outlived kill -9 of iobound");
}

#[test]
fn open_loop_corrected_latency_grows_past_saturation_while_uncorrected_stays_flat() {
    let s = Scratch::new("openloop");
    // 2 connections to a server that takes 2 ms per query: about 1000 req/s at most.
    let run = |rate: &str, d: &str| {
        let out = s.run(&[
            "-w",
            "db-ycsb-c",
            "-m",
            "threads",
            "-c",
            "2",
            "--rate",
            rate,
            "-d",
            d,
            "--warmup",
            "0s",
            "--db-latency",
            "2ms",
            "--records",
            "100",
            "--slo",
            "60s",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let dir = s.runs().into_iter().max().unwrap();
        let c = cells(&dir).pop().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        // Both histograms are kept, with the same count.
        assert_eq!(
            c["histogram_uncorrected"]["total_count"],
            c["summary"]["requests"]
        );
        let l = |k: &str| c["summary"][k]["p99_ns"].as_f64().unwrap() / 1e6;
        (
            l("latency"),
            l("latency_uncorrected"),
            c["summary"]["throughput_rps"].as_f64().unwrap(),
        )
    };
    // Sustainable: the corrected p99 stays near the uncorrected one (both
    // about the service time). Compared with the saturated cells of this same
    // run rather than with fixed milliseconds: when other processes load the
    // two cores, late wake-ups inflate both p99s, but not to the seconds of
    // queueing that saturation gives.
    let (corr, unc, _) = run("200", "1s");
    let (short_c, short_u, got) = run("3000", "500ms");
    let (long_c, long_u, _) = run("3000", "2s");
    assert!(got < 2000.0, "the server kept up with 3000/s ({got})");
    assert!(
        long_c > short_c * 1.8,
        "corrected p99 {short_c} -> {long_c} ms did not grow with run length"
    );
    assert!(
        long_u < short_u * 1.5 + 1.0,
        "uncorrected p99 {short_u} -> {long_u} ms did not stay flat"
    );
    assert!(long_c > long_u * 10.0);
    // Against the saturated cell of this run, not against the uncorrected
    // p99 in milliseconds: a late wake-up on a loaded machine delays the
    // intended start of every request behind it (corrected 89 ms against
    // 15 ms uncorrected was seen with a build beside the tests), while
    // saturation queues for seconds.
    assert!(
        corr < long_c / 4.0,
        "at 200/s: corrected {corr} ms, uncorrected {unc} ms (saturated: {long_c} ms)"
    );
}

/// Engines that run requests in worker processes.
fn process_pool_engines() -> Vec<String> {
    let pools: Vec<String> = engines()
        .into_iter()
        .filter(|e| e.model == "process-pool")
        .map(|e| e.name)
        .collect();
    assert!(!pools.is_empty(), "no process-pool engine is registered");
    pools
}

/// Live engine worker processes whose parent is `pid`.
fn engine_workers_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) else {
                return false;
            };
            // After the command name: state, then the parent's pid.
            let ppid = stat[stat.rfind(')').unwrap() + 2..]
                .split_whitespace()
                .nth(1)
                .and_then(|f| f.parse::<u32>().ok());
            ppid == Some(pid)
                && std::fs::read(format!("/proc/{p}/environ")).is_ok_and(|env| {
                    env.split(|&b| b == 0)
                        .any(|v| v.starts_with(b"IOBOUND_ENGINE_CHILD="))
                })
        })
        .collect()
}

/// Waits up to `secs` for `f` to hold.
fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let t = std::time::Instant::now();
    while !f() {
        if t.elapsed() > std::time::Duration::from_secs(secs) {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    true
}

fn alive(pid: u32) -> bool {
    // A zombie is dead; only its parent's wait is missing.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .is_ok_and(|s| !s[s.rfind(')').unwrap() + 2..].starts_with('Z'))
}

#[test]
fn process_pool_workers_cpu_and_memory_are_in_the_summary() {
    for mode in process_pool_engines() {
        let s = Scratch::new(&format!("pool-usage-{mode}"));
        let out = s.run(&[
            "-w",
            "cpu-hash",
            "-m",
            &mode,
            "-c",
            "4",
            "--requests",
            "400",
            "--warmup",
            "0s",
            "--work",
            "256K",
        ]);
        assert!(out.status.success(), "{mode}: {}", text(&out.stderr));
        let cells = cells(&s.runs()[0]);
        let sum = &cells[0]["summary"];
        let p = &sum["processes"];
        assert!(p["count"].as_u64().unwrap() >= 1, "{mode}: {p}");
        let (pu, ps) = (
            p["user_ns"].as_u64().unwrap(),
            p["sys_ns"].as_u64().unwrap(),
        );
        let (cu, cs) = (
            sum["cpu"]["user_ns"].as_u64().unwrap(),
            sum["cpu"]["sys_ns"].as_u64().unwrap(),
        );
        // The workers' CPU is part of the cell's, and hashing happens in
        // them: most of the cell's user time is theirs.
        assert!(cu >= pu && cs >= ps, "{mode}: {sum}");
        assert!(pu > cu / 2, "{mode}: workers {pu} ns of {cu} ns user time");
        let peak = p["peak_rss_bytes"].as_u64().unwrap();
        assert!(
            peak > 0 && sum["peak_rss_bytes"].as_u64().unwrap() > peak,
            "{mode}: {sum}"
        );
        let notes = sum["notes"].to_string();
        assert!(notes.contains("process boundary: "), "{mode}: {notes}");
    }
}

#[test]
fn a_killed_worker_fails_its_cell_and_no_worker_outlives_iobound() {
    for mode in process_pool_engines() {
        let s = Scratch::new(&format!("pool-kill-{mode}"));
        let long = || {
            // A light open loop: the cell only has to be running.
            let child = s
                .command(&[
                    "-w", "cpu-hash", "-m", &mode, "-c", "4", "--rate", "200", "--work", "4K",
                    "-d", "60s", "--warmup", "0s",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            let mut workers = Vec::new();
            assert!(
                eventually(20, || {
                    workers = engine_workers_of(child.id());
                    !workers.is_empty()
                }),
                "{mode}: no worker started"
            );
            // Well into the cell: set-up takes milliseconds.
            std::thread::sleep(std::time::Duration::from_millis(500));
            (child, workers)
        };

        // A worker killed mid-cell fails the cell at once, with the reason.
        let (mut child, workers) = long();
        // SAFETY: plain kill(2) on a process we found as our child's child.
        assert_eq!(unsafe { libc::kill(workers[0] as i32, libc::SIGKILL) }, 0);
        let ended = eventually(20, || child.try_wait().unwrap().is_some());
        if !ended {
            child.kill().unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(ended, "{mode}: iobound hung after its worker died");
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        let cells = cells(&s.runs()[0]);
        assert_eq!(cells[0]["status"], "failed");
        let reason = cells[0]["reason"].as_str().unwrap();
        assert!(
            reason.contains(&format!("pid {}", workers[0]))
                && reason.contains("died mid-cell")
                && reason.contains("SIGKILL"),
            "{mode}: {reason}"
        );
        for w in &workers {
            assert!(
                eventually(5, || !alive(*w)),
                "{mode}: worker {w} outlived the cell"
            );
        }

        // kill -9 of iobound takes its workers down (parent-death signal).
        let (mut child, workers) = long();
        child.kill().unwrap();
        child.wait().unwrap();
        for w in &workers {
            assert!(
                eventually(5, || !alive(*w)),
                "{mode}: worker {w} outlived kill -9 of iobound"
            );
        }
    }
}

/// Issue 21: a workload file runs on every engine with no engine change,
/// every step kind at once, each request once with one checksum; and a
/// file that describes a catalogued workload gives that workload's
/// checksum.
#[test]
fn a_workload_file_runs_every_step_kind_on_every_engine() {
    let s = Scratch::new("script");
    let db = s.0.join("every-db.toml");
    std::fs::write(
        &db,
        "name = \"every-db\"\ndb_latency = \"200us\"\n\
         [[step]]\nread = \"random\"\nsize = \"4K\"\n\
         [[step]]\nread = \"sequential\"\nsize = \"8K\"\n\
         [[step]]\nwrite = \"append\"\nsize = \"4K\"\nfdatasync = true\n\
         [[step]]\ndb = \"get\"\n[[step]]\ndb = \"put\"\n\
         [[step]]\ncompute = \"fnv1a\"\nsize = \"1K\"\n",
    )
    .unwrap();
    let echo = s.0.join("every-echo.toml");
    std::fs::write(
        &echo,
        "name = \"every-echo\"\n[[step]]\necho = \"100B\"\n\
         [[step]]\necho = \"uniform(1B, 3000B)\"\n\
         [[step]]\ncompute = \"sha256\"\nsize = \"2K\"\n",
    )
    .unwrap();
    // Issue 21's asks at once: calls with their own waits beside one with
    // the server's, a weighted mix of two kinds, and sizes and waits drawn
    // from distributions; every engine must draw the same requests.
    let mix = s.0.join("every-mix.toml");
    std::fs::write(
        &mix,
        r#"name = "every-mix"
db_latency = "200us"
[[kind]]
name = "read"
weight = 3
[[kind.step]]
read = "random"
size = "uniform(4K, 16K)"
[[kind.step]]
db = "get"
wait = "1ms"
[[kind.step]]
db = "get"
[[kind.step]]
compute = "fnv1a"
size = "exponential(1K)"
[[kind]]
name = "write"
weight = 1
[[kind.step]]
write = "append"
size = "percentiles(p50=4K, p100=8K)"
fdatasync = true
[[kind.step]]
db = "put"
wait = "uniform(500us, 3ms)"
[[kind.step]]
read = "sequential"
size = "8K"
[[kind.step]]
compute = "sha256"
size = "percentiles(p50=1K, p99=4K, p100=8K)"
"#,
    )
    .unwrap();
    let mut modes: Vec<String> = engines().into_iter().map(|e| e.name).collect();
    if python_available() {
        modes.extend(["py-asyncio".into(), "py-threads".into(), "py-procs".into()]);
    }
    let modes = modes.join(",");
    // --verify checks what reads return; the echo file reads nothing it
    // would check (every echo is compared with what was sent anyway).
    for (file, name, verify) in [
        (&db, "every-db", "--verify"),
        (&echo, "every-echo", ""),
        (&mix, "every-mix", "--verify"),
    ] {
        let mut args = vec![
            "-w",
            file.to_str().unwrap(),
            "-m",
            &modes,
            "-c",
            "3",
            "--requests",
            "60",
            "--warmup",
            "0s",
        ];
        if !verify.is_empty() {
            args.push(verify);
        }
        let out = s.run(&args);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
    }
    for run in s.runs() {
        let cells = cells(&run);
        let sums: Vec<&str> = cells
            .iter()
            .filter(|c| c["status"] == "ok")
            .map(|c| c["summary"]["checksum"].as_str().unwrap())
            .collect();
        let expected = cells
            .iter()
            .filter(|c| !skipped_here(&c["cell"]["mode"]))
            .count();
        assert_eq!(sums.len(), expected, "{}", run.display());
        assert!(sums.iter().all(|x| *x == sums[0]), "{sums:?}");
        // run.json records the file's steps and its computed class, so the
        // run renders again without the file.
        let doc: serde_json::Value =
            serde_json::from_slice(&std::fs::read(run.join("run.json")).unwrap()).unwrap();
        // every-db waits 2 x 200 µs against ~1 µs of FNV-1a: I/O-bound;
        // every-mix waits ~1.3 ms against µs: I/O-bound; every-echo's
        // waits are not known ahead: mixed.
        let w = &doc["workloads"][0];
        let class = if w["name"] == "every-echo" {
            "mixed"
        } else {
            "io-bound"
        };
        assert_eq!(w["class"], class, "{w}");
        let key = if w["name"] == "every-mix" {
            "kinds"
        } else {
            "steps"
        };
        assert!(
            doc["groups"][0]["script"][key].is_array(),
            "{}",
            doc["groups"][0]
        );
    }
    // A file equal to cpu-hash --work 32K: cpu-hash's checksum.
    let hash = s.0.join("like-cpu-hash.toml");
    std::fs::write(
        &hash,
        "name = \"like-cpu-hash\"\n[[step]]\ncompute = \"sha256\"\nsize = \"32K\"\n",
    )
    .unwrap();
    // --work sizes cpu-hash; the file sizes its own step (and --work, which
    // it does not read, is refused for it).
    let sum = |w: &str, work: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "-w", w, "-m", "threads", "-c", "2", "-n", "100", "--warmup", "0s", "--json",
        ];
        args.extend_from_slice(work);
        let out = s.run(&args);
        assert!(out.status.success(), "{w}: {}", text(&out.stderr));
        let line: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
        line["summary"]["checksum"].clone()
    };
    assert_eq!(
        sum(hash.to_str().unwrap(), &[]),
        sum("cpu-hash", &["--work", "32K"])
    );
}

/// A mistake in a workload file: one line naming file, line and column,
/// exit 2, nothing written.
#[test]
fn a_workload_file_mistake_is_one_line_and_exit_2() {
    let s = Scratch::new("script-bad");
    let bad = s.0.join("bad.toml");
    std::fs::write(
        &bad,
        "name = \"bad\"\n[[step]]\ndb = \"get\"\nsize = 4096\n",
    )
    .unwrap();
    let out = s.run(&["-w", bad.to_str().unwrap(), "-m", "threads", "-d", "1s"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("{}:4:8:", bad.display())), "{err}");
    assert!(s.runs().is_empty());
}

/// Issue 21: `iobound advise` from flags predicts, measures and answers,
/// and writes its files; a bad flag is one line, exit 2, nothing written.
#[test]
fn advise_answers_for_a_request_given_by_flags() {
    let s = Scratch::new("advise");
    let out = s.advise(&[
        "--calls",
        "2x2ms",
        "--compute",
        "4K",
        "--concurrency",
        "8",
        "--repeat",
        "2",
        "--duration",
        "300ms",
        "--quiet",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Predicted at C=8"), "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("Use ")), "{stdout}");
    assert!(stdout.contains("What limits it: "), "{stdout}");
    let dirs = s.runs();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    let md = std::fs::read_to_string(dirs[0].join("advice.md")).unwrap();
    assert!(md.contains("| 8 | blocking threads | threads |"), "{md}");
    assert!(dirs[0].join("advice.html").exists());
    // advice.json: the same answer, and the engines its first line names
    // (an outside tester found no machine-readable advice).
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dirs[0].join("advice.json")).unwrap()).unwrap();
    let first = j["answer"][0].as_str().unwrap_or_default().to_string();
    assert!(stdout.contains(&first), "{first}");
    let picked: Vec<&str> = j["recommended"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert!(!picked.is_empty(), "{j}");
    for e in &picked {
        assert!(first.contains(&format!("({e})")), "{e} not in: {first}");
    }
    let at_8 = j["sweep"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["concurrency"] == 8)
        .expect("C=8 in the sweep");
    assert!(at_8["measured"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["engine"] == "threads" && m["reps"].as_array().is_some_and(|r| r.len() == 2)));
    // The flags as a workload file, which runs on its own.
    let file = std::fs::read_to_string(dirs[0].join("workload.toml")).unwrap();
    assert!(
        file.contains("db_latency = \"2ms\"") && file.contains("repeat = 2"),
        "{file}"
    );
    // Both run directories render again.
    for sub in ["calibration", "measurement"] {
        let run = std::fs::read_dir(dirs[0].join(sub))
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        assert!(run.join("run.json").exists(), "{}", run.display());
    }
    for bad in [
        vec!["--calls", "3x5", "--concurrency", "8"],
        vec!["--concurrency", "8"],
        vec!["--compute", "64", "--concurrency", "8"],
        vec!["--calls", "3x5ms", "--concurrency", "0"],
        // Refused by the run's own checks, after the request was read.
        vec![
            "--calls",
            "3x5ms",
            "--concurrency",
            "8",
            "--max-threads",
            "0",
        ],
        vec!["--calls", "3x5ms", "--concurrency", "8", "--slo", "0s"],
    ] {
        let out = Command::new(BIN)
            .arg("advise")
            .args(&bad)
            .arg("--out")
            .arg(s.0.join("bad"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stderr).trim().lines().count(), 1, "{bad:?}");
        assert!(!s.0.join("bad").exists(), "{bad:?}");
    }
}

/// An outside tester's findings on advise: `--json` without `--quiet`
/// printed the cells' table on stdout before the JSON; a `--data-dir` that
/// is a file was refused (exit 2) only after "calibrating" and a
/// workload.toml written; an `--out` that is a file exited 1.
#[test]
fn advise_json_is_stdout_alone_and_bad_directories_write_nothing() {
    let s = Scratch::new("advise-json");
    let out = s.advise(&[
        "--calls",
        "2x1ms",
        "-c",
        "2",
        "--repeat",
        "1",
        "--duration",
        "200ms",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON alone ({e}): {}", text(&out.stdout)));
    assert!(
        j["answer"][0]
            .as_str()
            .is_some_and(|l| l.starts_with("Use ")),
        "{j}"
    );
    // The cells' lines went to stderr.
    assert!(
        text(&out.stderr).contains("threads"),
        "{}",
        text(&out.stderr)
    );
    let file = s.0.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let nowhere = s.0.join("nothing-here");
    for (flag, args) in [
        (
            "--data-dir",
            vec!["--data-dir".to_string(), file.display().to_string()],
        ),
        ("--out", vec![]),
    ] {
        let out_dir = if flag == "--out" {
            file.join("sub")
        } else {
            nowhere.clone()
        };
        let out = Command::new(BIN)
            .args(["advise", "--calls", "2x1ms", "-c", "2", "--out"])
            .arg(&out_dir)
            .args(&args)
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{flag}: {err}");
        assert!(err.contains(flag), "{flag}: {err}");
        assert!(!nowhere.exists(), "{flag}: something was written");
    }
}

/// An outside tester saw Python engines report no bytes for echoes and
/// fewer for database calls: each engine counts a request's bytes alike.
#[test]
fn python_engines_count_the_bytes_the_rust_engines_count() {
    if !python_available() {
        eprintln!("skipping: no python3 3.11+ here");
        return;
    }
    let s = Scratch::new("pybytes");
    for w in ["net-echo", "db-web", "db-ycsb-c"] {
        let out = s.run(&[
            "-w",
            w,
            "-m",
            "threads,py-threads",
            "-c",
            "2",
            "-n",
            "200",
            "--warmup",
            "0s",
            "--json",
        ]);
        assert!(out.status.success(), "{w}: {}", text(&out.stderr));
        let per_request: Vec<f64> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|c| {
                c["summary"]["bytes"].as_f64().unwrap() / c["summary"]["requests"].as_f64().unwrap()
            })
            .collect();
        assert_eq!(per_request.len(), 2, "{w}");
        assert!(per_request[0] > 0.0, "{w}: {per_request:?}");
        assert_eq!(per_request[0], per_request[1], "{w}");
    }
}

/// Issue 21: every engine, the Python ones included, sends a db call's own
/// wait (a GET_WAIT or PUT_WAIT frame) and the server honours it: with the
/// server's default `--db-latency` of 1 ms (which `run` refuses to change
/// here: no call reads it), a request of a 20 ms GET and a 5 ms PUT never
/// takes less than 25 ms; sent as plain queries, it would take 2 ms. (Checksums cannot see a wait: this is the
/// test that fails when an engine sends a plain GET.)
#[test]
fn every_engine_sends_each_calls_own_wait() {
    let s = Scratch::new("callwait");
    let file = s.0.join("own-waits.toml");
    std::fs::write(
        &file,
        "name = \"own-waits\"\n[[step]]\ndb = \"get\"\nwait = \"20ms\"\n\
         [[step]]\ndb = \"put\"\nwait = \"5ms\"\n",
    )
    .unwrap();
    let mut modes: Vec<String> = engines().into_iter().map(|e| e.name).collect();
    if python_available() {
        modes.extend(["py-asyncio".into(), "py-threads".into(), "py-procs".into()]);
    }
    let out = s.run(&[
        "-w",
        file.to_str().unwrap(),
        "-m",
        &modes.join(","),
        "-c",
        "2",
        "-n",
        "12",
        "--warmup",
        "0s",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut ran = 0;
    for line in text(&out.stdout).lines() {
        let c: serde_json::Value = serde_json::from_str(line).unwrap();
        if c["status"] != "ok" {
            continue;
        }
        ran += 1;
        let min = c["summary"]["latency"]["min_ns"].as_u64().unwrap();
        assert!(
            min >= 25_000_000,
            "{}: a request took {min} ns, less than its 20 + 5 ms of waits",
            c["cell"]["mode"]
        );
    }
    assert!(ran >= engines().len(), "{ran} cells ran");
}

/// An outsider's finding: `iobound list | true` panicked with a backtrace
/// ("failed printing to stdout: Broken pipe"). The printing commands end
/// quietly instead, as `ls` does.
#[test]
fn a_closed_stdout_ends_the_printing_commands_quietly() {
    for args in [&["list"][..], &["list", "--json"]] {
        let mut child = std::process::Command::new(BIN)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the child writes.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// An outside tester's finding: a distribution in run.json was read as
/// written, so a hand-edited or corrupted one (here `uniform` with a > b,
/// and percentiles that fall) reached a report's or a compare's draws. It
/// is refused on load: one line, exit 2, nothing written.
#[test]
fn a_corrupted_distribution_in_run_json_is_one_line_and_exit_2() {
    let s = Scratch::new("baddist");
    let file = s.0.join("dist.toml");
    std::fs::write(
        &file,
        "name = \"dist\"\n[[step]]\ndb = \"get\"\nwait = \"uniform(1ms, 2ms)\"\n",
    )
    .unwrap();
    let out = s.run(&[
        "-w",
        file.to_str().unwrap(),
        "-m",
        "threads",
        "-c",
        "2",
        "-n",
        "20",
        "--warmup",
        "0s",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let good = s.runs().pop().unwrap();
    let json = std::fs::read_to_string(good.join("run.json")).unwrap();
    assert!(json.contains("\"uniform\":[1000,2000]"), "{json}");
    for (tag, bad) in [
        ("uniform", "\"uniform\":[2000,1000]"),
        (
            "percentiles",
            "\"percentiles\":[[500000,2000],[1000000,1000]]",
        ),
    ] {
        let dir = s.0.join(format!("edited-{tag}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("run.json"),
            json.replace("\"uniform\":[1000,2000]", bad),
        )
        .unwrap();
        let d = dir.display().to_string();
        for args in [
            vec!["report".to_string(), d.clone()],
            vec!["compare".to_string(), good.display().to_string(), d.clone()],
        ] {
            let out = iobound(&args);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
            assert!(err.contains("distribution"), "{args:?}: {err}");
            assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "{args:?}");
        }
    }
}

/// An outside tester's findings on advise: a size flag without its unit
/// was reported at "(advise's flags):11:8", a line of a file the user
/// never wrote; a built-in name given to --workload said only that no such
/// file exists. Each error names the flag and what it takes.
#[test]
fn advise_names_the_flag_at_fault_and_what_it_takes() {
    let s = Scratch::new("advise-flags");
    for (args, want) in [
        (
            vec!["--compute", "64", "--concurrency", "8"],
            "--compute 64: size '64': a size needs its unit",
        ),
        (
            vec!["--calls", "2x5ms", "--read", "1000B", "--concurrency", "8"],
            "--read 1000B: size of a read '1000B': 1000 bytes: expected a multiple of 512",
        ),
        (
            vec!["--calls", "2x90s", "--concurrency", "8"],
            "--calls 2x90s: db_latency '90s': expected at most 60s",
        ),
        (
            vec!["--workload", "db-web", "--concurrency", "8"],
            "--workload db-web: advise takes a workload file describing your request",
        ),
    ] {
        let out = Command::new(BIN)
            .arg("advise")
            .args(&args)
            .arg("--out")
            .arg(s.out())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(!err.contains("advise's flags"), "{args:?}: {err}");
        assert_clean_failure(&s, &out, want);
    }
}

/// An outside tester read "`--workload` takes a comma list" as any list of
/// files; a run takes one file beside built-in names, and `--help` and the
/// refusal say so. The other workload-file edges they found end the same
/// way: one line with the file's line and column, exit 2, nothing written.
#[test]
fn workload_file_edges_are_one_line_with_where() {
    let s = Scratch::new("script-edges");
    let help = text(&iobound(&strings(&["run", "--help"])).stdout);
    // As one line: --help wraps to the terminal's width.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("at most one workload file (FILE.toml) per run"),
        "{help}"
    );
    let file = |name: &str, body: &[u8]| {
        let p = s.0.join(name);
        std::fs::write(&p, body).unwrap();
        p.display().to_string()
    };
    let a = file("a.toml", b"name = \"a\"\n[[step]]\ndb = \"get\"\n");
    let b = file("b.toml", b"name = \"b\"\n[[step]]\ndb = \"get\"\n");
    let latin1 = file(
        "latin1.toml",
        b"name = \"x\"\n# caf\xe9\n[[step]]\ndb = \"get\"\n",
    );
    let long = file(
        "long.toml",
        b"name = \"x\"\ndb_latency = \"100s\"\n[[step]]\ndb = \"get\"\n",
    );
    let lines = file(
        "lines.toml",
        b"name = \"x\"\ndescription = \"\"\"\none\ntwo\"\"\"\n[[step]]\ndb = \"get\"\n",
    );
    let kinds = file(
        "kinds.toml",
        b"name = \"x\"\n[[kind]]\nname = \"r\"\nweight = 1\n[[kind.step]]\ndb = \"get\"\n\
          [[kind]]\nname = \"r\"\nweight = 1\n[[kind.step]]\ndb = \"put\"\n",
    );
    let typed = file(
        "typed.toml",
        b"name = \"x\"\n[[step]]\ndb = \"get\"\nrepeat = \"3\"\n",
    );
    for (w, want) in [
        (
            format!("{a},{b}"),
            format!("one workload file per run: {a} and {b}"),
        ),
        (
            latin1.clone(),
            format!("{latin1}:2:6: byte 0xe9 is not UTF-8"),
        ),
        (
            long.clone(),
            format!("{long}:2:14: db_latency '100s': expected at most 60s"),
        ),
        (
            lines.clone(),
            format!("{lines}:2:15: description: expected one line"),
        ),
        (
            kinds.clone(),
            format!("{kinds}:8:8: [[kind]] 2: name 'r' is already [[kind]] 1's"),
        ),
        (
            typed.clone(),
            format!("{typed}:4:10: repeat \"3\": expected a whole number from 1 to 8"),
        ),
    ] {
        let out = s.run(&["-w", &w, "-m", "threads", "-d", "1s"]);
        assert_eq!(out.status.code(), Some(2), "{w}: {}", text(&out.stderr));
        assert_clean_failure(&s, &out, &want);
    }
}

/// An outsider's finding: `iobound lesson 1 | head -1` printed a panic's
/// backtrace (exit 101), and `iobound run ... 2>&1 | head -2` aborted
/// (exit 134) and left an empty run directory. A closed stdout ends the
/// process as SIGPIPE would (141, no panic); a closed stderr loses only
/// the diagnostics: the run finishes and writes its results.
#[test]
fn closed_pipes_end_quietly_or_are_ignored() {
    use std::process::Stdio;
    let mut lesson = Command::new(BIN)
        .args(["lesson", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    drop(lesson.stdout.take());
    let out = lesson.wait_with_output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(141), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let s = Scratch::new("closed-stderr");
    // Not `s.command`: its --quiet would leave stderr unwritten.
    let mut child = Command::new(BIN)
        .args([
            "run", "-w", "cpu-hash", "-m", "threads", "-c", "1", "-d", "100ms",
        ])
        .arg("--data-dir")
        .arg(s.data())
        .arg("--out")
        .arg(s.out())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let runs = s.runs();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].join("run.json").is_file(), "{}", runs[0].display());
}

/// An outsider's finding: two runs sharing a --data-dir at once, the
/// second's every db cell failed ("... .lock is locked"), exit 1, with a
/// run directory written. While a server holds the table, a run that would
/// start its own on it is refused up front; one that needs no db server
/// runs; once the server is gone, the same run goes through.
#[test]
fn a_table_in_use_is_refused_before_anything_is_written() {
    use std::io::BufRead;
    use std::process::Stdio;
    let s = Scratch::new("busy-table");
    let data = s.data().display().to_string();
    let mut server = Command::new(BIN)
        .args(["serve", "db", "--records", "1000", "--data-dir", &data])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary runs");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    let db = [
        "-w",
        "db-web",
        "-m",
        "threads",
        "-c",
        "1",
        "-d",
        "100ms",
        "--records",
        "1000",
    ];
    let out = s.run(&db);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_clean_failure(
        &s,
        &out,
        "another iobound server uses the table of 1000 records",
    );
    let out = s.run(&["-w", "cpu-hash", "-m", "threads", "-c", "1", "-d", "100ms"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    server.kill().unwrap();
    server.wait().unwrap();
    let out = s.run(&db);
    assert!(out.status.success(), "{}", text(&out.stderr));
}
