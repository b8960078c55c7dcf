//! The Python interpreter the py-* engines and the lesson start: which
//! interpreter answers and what it says of itself ([`probe`]), and the
//! program written where it can import it ([`program_dir`]).

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::engine::EngineError;

/// The program, as compiled into this binary.
const SOURCES: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../../python/iobound_py/__init__.py"),
    ),
    (
        "__main__.py",
        include_str!("../../../../python/iobound_py/__main__.py"),
    ),
    (
        "kernels.py",
        include_str!("../../../../python/iobound_py/kernels.py"),
    ),
    (
        "lesson.py",
        include_str!("../../../../python/iobound_py/lesson.py"),
    ),
    (
        "model_asyncio.py",
        include_str!("../../../../python/iobound_py/model_asyncio.py"),
    ),
    (
        "model_asyncio_procs.py",
        include_str!("../../../../python/iobound_py/model_asyncio_procs.py"),
    ),
    (
        "model_procs.py",
        include_str!("../../../../python/iobound_py/model_procs.py"),
    ),
    (
        "model_threads.py",
        include_str!("../../../../python/iobound_py/model_threads.py"),
    ),
    (
        "pool.py",
        include_str!("../../../../python/iobound_py/pool.py"),
    ),
    (
        "protocol.py",
        include_str!("../../../../python/iobound_py/protocol.py"),
    ),
    (
        "steps.py",
        include_str!("../../../../python/iobound_py/steps.py"),
    ),
];

/// What the interpreter said of itself: its version and path (and
/// uvloop's version, when asked), or why it cannot run the program. Asked
/// once per interpreter and question, with a time limit (an interpreter that
/// hangs is a reason, not a hung run).
pub(crate) fn probe(python: &str, uvloop: bool) -> Result<String, String> {
    /// (interpreter, uvloop asked, what it said) of every probe so far.
    type Asked = Vec<(String, bool, Result<String, String>)>;
    static ASKED: OnceLock<std::sync::Mutex<Asked>> = OnceLock::new();
    let asked = ASKED.get_or_init(Default::default);
    let mut asked = asked.lock().expect("never poisoned");
    if let Some((_, _, said)) = asked.iter().find(|(p, u, _)| p == python && *u == uvloop) {
        return said.clone();
    }
    let code = format!(
        "import sys\n{}print(sys.version.split()[0], sys.executable{})\nsys.exit(0 if sys.version_info >= (3, 11) else 4)",
        if uvloop { "import uvloop\n" } else { "" },
        if uvloop { ", 'uvloop', uvloop.__version__" } else { "" }
    );
    let said = run_with_limit(python, &code, Duration::from_secs(10));
    let said = match said {
        Err(e) => Err(e),
        Ok((Some(4), _, _)) => Err(format!("{python} is older than Python 3.11")),
        Ok((Some(0), out, _)) => {
            let w: Vec<&str> = out.split_whitespace().collect();
            Ok(match w.as_slice() {
                [v, path, _, u] => format!("Python {v} ({path}), uvloop {u}"),
                [v, path, ..] => format!("Python {v} ({path})"),
                _ => format!("{python}: {}", out.trim()),
            })
        }
        Ok((_, _, err)) if uvloop && err.contains("uvloop") => Err(format!(
            "uvloop is not installed for {python} (pip install uvloop)"
        )),
        Ok((_, _, err)) => Err(format!(
            "{python} does not run: {}",
            err.lines().last().unwrap_or("no message")
        )),
    };
    asked.push((python.to_string(), uvloop, said.clone()));
    said
}

/// Runs `python -c code` for at most `limit`: (exit code, stdout, stderr).
fn run_with_limit(
    python: &str,
    code: &str,
    limit: Duration,
) -> Result<(Option<i32>, String, String), String> {
    let mut child = Command::new(python)
        .args(["-c", code])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let (mut out, mut err) = (String::new(), String::new());
                if let Some(mut o) = child.stdout.take() {
                    let _ = o.read_to_string(&mut out);
                }
                if let Some(mut e) = child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                return Ok((status.code(), out, err));
            }
            Ok(None) if start.elapsed() < limit => std::thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{python} did not answer within {} s",
                    limit.as_secs()
                ));
            }
        }
    }
}

/// Writes the program into a cache directory named by a digest of its
/// sources (once per version of iobound) and returns the directory to put
/// on `PYTHONPATH`.
pub(crate) fn program_dir() -> Result<PathBuf, EngineError> {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for (name, text) in SOURCES {
        h = iobound_workloads::compute::fnv1a64(name.as_bytes()) ^ h.rotate_left(5);
        h = iobound_workloads::compute::fnv1a64(text.as_bytes()) ^ h.rotate_left(7);
    }
    let root = std::env::temp_dir().join(format!("iobound-py-{h:016x}"));
    let pkg = root.join("iobound_py");
    if pkg.join("__main__.py").exists() {
        return Ok(root);
    }
    let fail =
        |e: std::io::Error| EngineError::Other(format!("cannot write the Python program: {e}"));
    // Written aside and renamed, so a concurrent run never sees half of it.
    let tmp = std::env::temp_dir().join(format!("iobound-py-{h:016x}.{}", std::process::id()));
    std::fs::create_dir_all(tmp.join("iobound_py")).map_err(fail)?;
    for (name, text) in SOURCES {
        std::fs::write(tmp.join("iobound_py").join(name), text).map_err(fail)?;
    }
    match std::fs::rename(&tmp, &root) {
        Ok(()) => Ok(root),
        // Another run wrote it first.
        Err(_) if pkg.join("__main__.py").exists() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(root)
        }
        Err(e) => Err(fail(e)),
    }
}
