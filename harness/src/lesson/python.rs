//! Each chapter again in real Python asyncio (`python/iobound_py/lesson.py`,
//! run by the interpreter of `--python`): its lines shown as they come,
//! beside the Rust ones, and its timings set against theirs.
//!
//! The Python half never fails the lesson: no interpreter, a crash or a
//! hang is one line saying so, and the Rust chapter stands on its own.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::chapters::Figures;
use super::{Kind, Settings, Transcript};
use crate::lang::Lang;

/// What the Python chapter printed: its example lines by part, in order,
/// and its figures.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PyChapter {
    pub parts: Vec<(String, Vec<String>)>,
    pub figures: BTreeMap<String, f64>,
}

impl PyChapter {
    fn get(&self, name: &str) -> Option<f64> {
        self.figures.get(name).copied()
    }

    /// Example lines of the parts that pass `keep`, in order.
    fn lines(&self, keep: impl Fn(&str) -> bool) -> Vec<String> {
        self.parts
            .iter()
            .filter(|(p, _)| keep(p))
            .flat_map(|(_, l)| l.iter().cloned())
            .collect()
    }
}

/// Longest a chapter may take in Python before it is stopped: chapter 4's
/// computing does not shrink with `--speed`, and a slow machine may take
/// several times the nominal few seconds.
const LIMIT: Duration = Duration::from_secs(120);

/// Runs chapter `n` in Python after its Rust version, whose figures and
/// example lines are `rust` and `rust_lines`, and writes the comparison.
pub fn chapter(n: usize, s: &Settings, out: &Transcript, rust: &Figures, rust_lines: &[String]) {
    let Some(python) = s.python.as_deref() else {
        return;
    };
    let l = s.lang;
    let said = crate::engine::python::probe(python, false);
    let version = match said {
        Ok(v) => v,
        Err(reason) => {
            out.say(
                Kind::Explain,
                format!(
                    "{} {reason} ({})",
                    l.pick("Python: not run here:", "Python : pas exécuté ici :"),
                    l.pick(
                        "--no-python hides this line",
                        "--no-python masque cette ligne"
                    )
                ),
            );
            return;
        }
    };
    out.say(
        Kind::Explain,
        format!(
            "{} ({version}):",
            l.pick(
                "The same example in Python asyncio, lines marked py>",
                "Le même exemple en Python asyncio, lignes marquées py>"
            )
        ),
    );
    match run(python, n, s, out) {
        Ok(py) => {
            for line in compare(n, l, s.speed, rust, rust_lines, &py) {
                out.say(Kind::Measure, line);
            }
        }
        Err(reason) => out.say(
            Kind::Explain,
            format!("{} {reason}", l.pick("Python:", "Python :")),
        ),
    }
}

/// Runs `python -m iobound_py lesson n`, echoing its lines to `out` as
/// they come; a run past [`LIMIT`] is killed.
fn run(python: &str, n: usize, s: &Settings, out: &Transcript) -> Result<PyChapter, String> {
    let dir = crate::engine::python::program_dir().map_err(|e| e.to_string())?;
    let mut child = Command::new(python)
        .args(["-m", "iobound_py", "lesson", &n.to_string(), "--speed"])
        .arg(s.speed.to_string())
        .env("PYTHONPATH", &dir)
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let done = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (done, killed, pid) = (done.clone(), killed.clone(), child.id() as libc::pid_t);
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(Ordering::Acquire) {
                if start.elapsed() > LIMIT {
                    killed.store(true, Ordering::Release);
                    // SAFETY: kill(2) on our own child, not yet reaped (the
                    // reader reaps it only after `done` is set).
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let mut py = PyChapter::default();
    let mut bad = None;
    for line in BufReader::new(child.stdout.take().expect("piped")).lines() {
        let Ok(line) = line else { break };
        if let Some(name) = line.strip_prefix("#part ") {
            py.parts.push((name.trim().to_string(), Vec::new()));
        } else if let Some(json) = line.strip_prefix("#figures ") {
            match serde_json::from_str(json) {
                Ok(f) => py.figures = f,
                Err(e) => bad = Some(format!("unreadable figures ({e})")),
            }
        } else {
            out.say(Kind::Python, line.clone());
            match py.parts.last_mut() {
                Some((_, lines)) => lines.push(line),
                None => py.parts.push((String::new(), vec![line])),
            }
        }
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().map_err(|e| e.to_string());
    done.store(true, Ordering::Release);
    let _ = watchdog.join();
    let status = status?;
    if killed.load(Ordering::Acquire) {
        return Err(format!(
            "stopped after {} s without finishing",
            LIMIT.as_secs()
        ));
    }
    if !status.success() {
        return Err(format!(
            "the chapter failed ({status}): {}",
            err.lines().last().unwrap_or("no message")
        ));
    }
    match bad {
        Some(b) => Err(b),
        None if py.figures.is_empty() => Err("the chapter printed no figures".into()),
        None => Ok(py),
    }
}

/// A line with its digits hidden: the durations two runs print differ in
/// their last digits, not in their words.
fn shape(line: &str) -> String {
    line.chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

/// Whether Python printed the lines Rust printed, in the same order
/// (durations aside): `None` when they match, else the first difference.
fn first_difference(rust: &[String], py: &[String]) -> Option<(String, String)> {
    let none = "-".to_string();
    (0..rust.len().max(py.len()))
        .map(|i| {
            (
                rust.get(i).unwrap_or(&none).clone(),
                py.get(i).unwrap_or(&none).clone(),
            )
        })
        .find(|(r, p)| shape(r) != shape(p))
}

/// The Measure lines comparing the two runs of chapter `n`.
pub fn compare(
    n: usize,
    l: Lang,
    speed: f64,
    rust: &Figures,
    rust_lines: &[String],
    py: &PyChapter,
) -> Vec<String> {
    let mut lines = timings(n, l, speed, rust, py);
    lines.extend(same_lines(n, l, rust_lines, py));
    lines
}

/// Each timing of chapter `n` in both languages, beside the lesson's.
fn timings(n: usize, l: Lang, speed: f64, rust: &Figures, py: &PyChapter) -> Vec<String> {
    let mut lines = Vec::new();
    // `lesson` is the duration the lesson's text gives, before --speed.
    let pair = |what: &str, key: &str, lesson: f64| -> Option<String> {
        let (r, p) = (rust.get(key)?, py.get(key)?);
        Some(format!(
            "{what}{} Rust {r:.4} s, Python {p:.4} s ({} {:.4} s)",
            l.pick(":", " :"),
            l.pick("expected", "attendu"),
            lesson / speed
        ))
    };
    match n {
        1 => {
            lines.extend(pair("asyncio.run / block_on", "run_s", 1.0));
        }
        2 => {
            lines.extend(pair(
                l.pick("one coroutine", "une coroutine"),
                "single_s",
                1.0,
            ));
            lines.extend(pair(
                l.pick("two tasks (1 s and 0.5 s)", "deux tâches (1 s et 0,5 s)"),
                "two_tasks_s",
                1.0,
            ));
        }
        3 => {
            lines.extend(pair("gather", "gather_s", 2.0));
            lines.extend(pair(
                l.pick("one after the other", "l'une après l'autre"),
                "sequential_s",
                3.5,
            ));
            if let (Some(g), Some(q)) = (py.get("gather_s"), py.get("sequential_s")) {
                lines.push(format!(
                    "{} {:.2} ({} 3.5 / 2.0 = 1.75)",
                    l.pick(
                        "Python: one after the other / gather =",
                        "Python : l'une après l'autre / gather ="
                    ),
                    q / g,
                    l.pick("the lesson's", "leçon :")
                ));
            }
        }
        4 => lines.extend(chapter4(l, rust, py)),
        5 => {
            if !py.parts.iter().any(|(p, _)| p == "eager") {
                lines.push(
                    l.pick(
                        "this Python has no eager_task_factory (3.12 and newer): only asyncio's \
                         default ran",
                        "ce Python n'a pas eager_task_factory (3.12 et plus) : seul le \
                         comportement par défaut d'asyncio a tourné",
                    )
                    .to_string(),
                );
            }
            lines.extend(pair(
                l.pick("create_task, main's pause", "create_task, pause de main"),
                "paused_s",
                1.0,
            ));
            lines.extend(pair(
                l.pick("create_task, in all", "create_task, en tout"),
                "total_s",
                2.0,
            ));
            lines.extend(pair(
                l.pick("asyncio's default, in all", "défaut d'asyncio, en tout"),
                "lazy_total_s",
                2.0,
            ));
        }
        _ => {}
    }
    lines
}

/// Whether Python printed the lines Rust did, in the same order (none for
/// chapter 4, which prints no example line).
fn same_lines(n: usize, l: Lang, rust_lines: &[String], py: &PyChapter) -> Option<String> {
    // Chapter 1's object is shown in each language's own way, and
    // chapter 4 prints no example line.
    let (rust_same, py_same): (Vec<String>, Vec<String>) = match n {
        1 => (
            rust_lines
                .iter()
                .filter(|x| !x.starts_with("<future"))
                .cloned()
                .collect(),
            py.lines(|p| p == "run"),
        ),
        // Python before 3.12 has no eager start: compare the default only.
        5 if !py.parts.iter().any(|(p, _)| p == "eager") => {
            let lazy = py.lines(|p| p == "lazy");
            let skip = rust_lines.len().saturating_sub(lazy.len());
            (rust_lines[skip..].to_vec(), lazy)
        }
        4 => (Vec::new(), Vec::new()),
        _ => (rust_lines.to_vec(), py.lines(|_| true)),
    };
    if n == 4 {
        return None;
    }
    Some(match first_difference(&rust_same, &py_same) {
        None => format!(
            "{} ({})",
            l.pick(
                "Python printed the same lines in the same order",
                "Python a affiché les mêmes lignes dans le même ordre"
            ),
            rust_same.len()
        ),
        Some((r, p)) => format!(
            "{} Rust `{r}`, Python `{p}`",
            l.pick(
                "Python's lines differ from Rust's, first at:",
                "Les lignes de Python diffèrent de celles de Rust, d'abord :"
            )
        ),
    })
}

/// A gain counts above 1.15x: the shortest of several rounds leaves a few
/// per cent of noise.
const GAIN: f64 = 1.15;
/// Threads computing in parallel keep more than one core busy; under the GIL
/// the process stays near one (a little above: the loop's own work).
const THREADS_PARALLEL: f64 = 1.3;

/// Chapter 4's sentence on threads: `t` their speed-up over one after the
/// other, `busy` the process's CPU seconds per second while they ran.
fn threads_line(l: Lang, t: f64, gil: bool, busy: Option<f64>) -> String {
    let (colon, semi) = (l.pick(":", " :"), l.pick(";", " ;"));
    // `busy` is a figure a busy machine can only lower, so it tells the GIL
    // from noise between two timings.
    let used = |c: f64| {
        format!(
            "{} {c:.2} {}",
            l.pick("the process used", "le processus a utilisé"),
            l.pick(
                "core's worth of CPU while they ran",
                "cœur de CPU pendant qu'ils tournaient"
            )
        )
    };
    match busy {
        _ if !gil => format!(
            "{} x{t:.2}.",
            l.pick(
                "this interpreter runs without a GIL: threads gained",
                "cet interpréteur tourne sans GIL : les threads ont gagné"
            )
        ),
        Some(c) if t < GAIN => format!(
            "{} ({}).",
            l.pick(
                "threads gained nothing: with the GIL one thread at a time runs Python code",
                "les threads n'ont rien gagné : avec le GIL, un seul thread à la fois exécute \
                 du code Python"
            ),
            used(c)
        ),
        None if t < GAIN => l
            .pick(
                "threads gained nothing: with the GIL one thread at a time runs Python code.",
                "les threads n'ont rien gagné : avec le GIL, un seul thread à la fois exécute du \
                 code Python.",
            )
            .to_string(),
        Some(c) if c < THREADS_PARALLEL => format!(
            "{} x{t:.2}{colon} {}{semi} {}",
            l.pick("threads timed", "les threads ont mesuré"),
            used(c),
            l.pick(
                "one thread at a time computed, as the GIL allows: the gap is the machine's \
                 noise between rounds, not parallel work.",
                "un seul thread à la fois a calculé, comme le veut le GIL : l'écart vient du \
                 bruit de la machine entre les tours, pas d'un calcul parallèle."
            )
        ),
        _ => format!(
            "{} x{t:.2} {}",
            l.pick("threads gained", "les threads ont gagné"),
            l.pick(
                "although this interpreter has a GIL: unexpected here.",
                "bien que cet interpréteur ait un GIL : inattendu ici."
            )
        ),
    }
}

/// Chapter 4 in Python: waits gathered against one after the other, and
/// pure-Python computing one after the other, gathered, on threads and on
/// processes. Every sentence follows from the figures.
fn chapter4(l: Lang, rust: &Figures, py: &PyChapter) -> Vec<String> {
    let mut lines = Vec::new();
    // French sets a space before its two-part punctuation.
    let (colon, semi) = (l.pick(":", " :"), l.pick(";", " ;"));
    let f = |k: &str| py.get(k);
    if let (Some(n), Some(w), Some(g), Some(q)) = (
        f("io_waits"),
        f("io_wait_s"),
        f("io_gather_s"),
        f("io_sequential_s"),
    ) {
        lines.push(format!(
            "{n:.0} {} {w:.3} s{colon} gather {g:.3} s, {} {q:.3} s (x{:.1})",
            l.pick("waits of", "attentes de"),
            l.pick("one after the other", "l'une après l'autre"),
            q / g
        ));
    }
    let (Some(jobs), Some(seq), Some(gat), Some(thr), Some(pro), Some(workers)) = (
        f("cpu_jobs"),
        f("cpu_sequential_s"),
        f("cpu_gather_s"),
        f("cpu_threads_s"),
        f("cpu_processes_s"),
        f("cpu_workers"),
    ) else {
        return lines;
    };
    let (g, t, p) = (seq / gat, seq / thr, seq / pro);
    lines.push(format!(
        "{jobs:.0} {}{colon} {} {seq:.3} s{semi} gather {gat:.3} s (x{g:.2}){semi} {} {thr:.3} s \
         (x{t:.2}){semi} {} ({workers:.0}) {pro:.3} s (x{p:.2})",
        l.pick("pure-Python jobs", "calculs en Python pur"),
        l.pick("one after the other", "l'un après l'autre"),
        l.pick("threads (asyncio.to_thread)", "threads (asyncio.to_thread)"),
        l.pick("processes", "processus"),
    ));
    let gil = f("gil").unwrap_or(1.0) >= 1.0;
    lines.push(threads_line(l, t, gil, f("cpu_threads_cores")));
    lines.push(if workers < 2.0 {
        l.pick(
            "one core here: processes cannot gain either.",
            "un seul cœur ici : les processus ne peuvent rien gagner non plus.",
        )
        .to_string()
    } else if p >= GAIN {
        format!(
            "{} {workers:.0} {} x{p:.2}.",
            l.pick(
                "processes, each with its own interpreter and GIL, computed on",
                "les processus, chacun avec son interpréteur et son GIL, ont calculé sur"
            ),
            l.pick("cores:", "cœurs :"),
        )
    } else {
        format!(
            "{} x{p:.2} {workers:.0} {}",
            l.pick("processes gained only", "les processus n'ont gagné que"),
            l.pick(
                "workers: the machine was busy, or a job is too short for the pool's overhead.",
                "workers : la machine était occupée, ou un calcul est trop court pour le coût \
                 du pool."
            ),
        )
    });
    if g >= GAIN {
        lines.push(format!(
            "{} x{g:.2}{colon} {}",
            l.pick("gather gained", "gather a gagné"),
            l.pick(
                "unexpected for code that never awaits.",
                "inattendu pour du code qui n'attend jamais."
            )
        ));
    }
    if let (Some(u), Some(r)) = (rust.get("cpu_uring_rps"), rust.get("cpu_rayon_rps")) {
        lines.push(format!(
            "{} x{:.2}, {} x{p:.2}.",
            l.pick(
                "The same rule in both languages: Rust's pool against one event loop",
                "La même règle dans les deux langages : le pool de Rust contre une boucle"
            ),
            r / u,
            l.pick("Python's processes", "les processus de Python")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(v: &[(&'static str, f64)]) -> Figures {
        Figures(v.to_vec())
    }

    fn py(parts: &[(&str, &[&str])], figures: &[(&str, f64)]) -> PyChapter {
        PyChapter {
            parts: parts
                .iter()
                .map(|(p, l)| (p.to_string(), l.iter().map(|x| x.to_string()).collect()))
                .collect(),
            figures: figures.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn same_lines_with_other_durations_match_and_a_reorder_is_named() {
        let rust = strings(&["Début de 'hello'", "Programme terminé en 2.00 secondes."]);
        let same = py(
            &[(
                "gather",
                &["Début de 'hello'", "Programme terminé en 2.01 secondes."],
            )],
            &[("gather_s", 2.01), ("sequential_s", 3.5)],
        );
        let r = figures(&[("gather_s", 2.0), ("sequential_s", 3.5)]);
        let out = compare(3, Lang::En, 1.0, &r, &rust, &same);
        assert!(out.iter().any(|x| x.contains("same lines")), "{out:?}");
        assert!(out
            .iter()
            .any(|x| x.contains("Rust 2.0000 s, Python 2.0100 s")));
        let swapped = py(
            &[(
                "gather",
                &["Programme terminé en 2.01 secondes.", "Début de 'hello'"],
            )],
            &[],
        );
        let out = compare(3, Lang::En, 1.0, &r, &rust, &swapped);
        assert!(
            out.iter()
                .any(|x| x.contains("differ") && x.contains("Rust `Début de 'hello'`")),
            "{out:?}"
        );
        // A missing line is a difference too.
        let short = py(&[("gather", &["Début de 'hello'"])], &[]);
        let out = compare(3, Lang::En, 1.0, &r, &rust, &short);
        assert!(out.iter().any(|x| x.contains("Python `-`")), "{out:?}");
    }

    #[test]
    fn chapter_one_compares_the_run_not_each_language_s_object() {
        let rust = strings(&[
            "<future chapters::ma_coroutine at 0x1, 64 bytes>",
            "Début de la coroutine",
            "Fin de la coroutine",
        ]);
        let p = py(
            &[
                ("coroutine", &["<coroutine object ma_coroutine at 0x7f>"]),
                ("run", &["Début de la coroutine", "Fin de la coroutine"]),
            ],
            &[("run_s", 1.0)],
        );
        let out = compare(1, Lang::En, 1.0, &figures(&[("run_s", 1.0)]), &rust, &p);
        assert!(
            out.iter()
                .any(|x| x.contains("same lines in the same order (2)")),
            "{out:?}"
        );
    }

    #[test]
    fn chapter_four_says_what_its_figures_show() {
        let gil = [
            ("cpu_jobs", 8.0),
            ("cpu_sequential_s", 0.2),
            ("cpu_gather_s", 0.2),
            ("cpu_threads_s", 0.21),
            ("cpu_processes_s", 0.1),
            ("cpu_workers", 2.0),
            ("gil", 1.0),
        ];
        let out = compare(4, Lang::En, 1.0, &Figures::default(), &[], &py(&[], &gil));
        assert!(
            out.iter().any(|x| x.contains("threads gained nothing")),
            "{out:?}"
        );
        assert!(
            out.iter().any(|x| x.contains("on 2 cores: x2.00")),
            "{out:?}"
        );
        // Threads that gain under a GIL are not explained away as the GIL.
        let mut odd = gil;
        odd[3].1 = 0.1;
        odd[4].1 = 0.19;
        let out = compare(4, Lang::En, 1.0, &Figures::default(), &[], &py(&[], &odd));
        assert!(out.iter().any(|x| x.contains("unexpected here")), "{out:?}");
        assert!(
            out.iter().any(|x| x.contains("gained only x1.05")),
            "{out:?}"
        );
        assert!(!out.iter().any(|x| x.contains("gained nothing")), "{out:?}");
        // A timing gap with one core busy is noise, and said to be; with two
        // cores busy under a GIL, it is unexpected.
        for (cores, says) in [(1.02, "noise between rounds"), (1.9, "unexpected here")] {
            let busy: Vec<_> = odd
                .iter()
                .copied()
                .chain([("cpu_threads_cores", cores)])
                .collect();
            let out = compare(4, Lang::En, 1.0, &Figures::default(), &[], &py(&[], &busy));
            assert!(out.iter().any(|x| x.contains(says)), "{cores}: {out:?}");
        }
        let busy: Vec<_> = gil
            .iter()
            .copied()
            .chain([("cpu_threads_cores", 0.98)])
            .collect();
        let out = compare(4, Lang::En, 1.0, &Figures::default(), &[], &py(&[], &busy));
        assert!(
            out.iter()
                .any(|x| x.contains("nothing") && x.contains("0.98 core")),
            "{out:?}"
        );
        let mut one = gil;
        one[5].1 = 1.0;
        let out = compare(4, Lang::En, 1.0, &Figures::default(), &[], &py(&[], &one));
        assert!(out.iter().any(|x| x.contains("one core here")), "{out:?}");
    }

    fn settings(python: Option<&str>) -> Settings {
        Settings {
            lang: Lang::En,
            speed: 20.0,
            data_dir: std::env::temp_dir().join("iobound-lesson-test"),
            python: python.map(str::to_string),
        }
    }

    #[test]
    fn a_missing_interpreter_is_one_line_and_no_failure() {
        let out = Transcript::new(false);
        chapter(
            3,
            &settings(Some("/nonexistent/python3")),
            &out,
            &Figures::default(),
            &[],
        );
        let lines = out.lines();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(lines[0].text.contains("not run here"), "{lines:?}");
        // --no-python: nothing at all.
        let out = Transcript::new(false);
        chapter(3, &settings(None), &out, &Figures::default(), &[]);
        assert!(out.lines().is_empty());
    }

    /// The real thing: chapter 3 in the machine's python3, its lines equal
    /// to the lesson's, gather about the longest wait and one after the
    /// other about their sum.
    #[test]
    fn chapter_three_in_python_gathers_and_adds_up() {
        if crate::engine::python::probe("python3", false).is_err() {
            crate::errln!("skipping: no python3 3.11+ here");
            return;
        }
        let s = settings(Some("python3"));
        let out = Transcript::new(false);
        let py = run("python3", 3, &s, &out).expect("chapter 3 runs");
        let (g, q) = (py.get("gather_s").unwrap(), py.get("sequential_s").unwrap());
        // Delays of 1, 2 and 0.5 s divided by 20.
        assert!((0.1..0.1 * 1.5).contains(&g), "gather {g}");
        assert!((0.175..0.175 * 1.5).contains(&q), "sequential {q}");
        let gathered = py.lines(|p| p == "gather");
        assert_eq!(
            gathered[..6],
            strings(&[
                "Début de 'hello'",
                "Début de 'world'",
                "Début de 'async'",
                "async",
                "hello",
                "world"
            ])[..]
        );
        assert_eq!(gathered[7], "Résultats : [5, 5, 5]");
        assert!(out.lines().iter().all(|l| l.kind == Kind::Python));
    }
}
