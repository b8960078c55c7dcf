//! The five chapters, following the seed lesson's sections: a coroutine, the
//! event loop, `gather`, when async pays off, and `create_task`.

use std::time::{Duration, Instant};

use iobound_workloads::dataset::Prepared;
use iobound_workloads::WorkloadParams;

use super::runtime::{block_on, gather, sleep, spawn, spawn_eager, Event, Tracer};
use super::{Kind, LessonError, Settings, Transcript};
use crate::engine;
use crate::load::{Bound, Plan};
use crate::result::Status;
use crate::ring::UringSupport;
use crate::run::{self, CellOptions};

/// Number of chapters (fixed in `config`, which checks `lesson N` before
/// anything runs).
pub const COUNT: usize = crate::config::CHAPTERS;

/// Chapter titles, in the chosen language.
pub fn title(n: usize, s: &Settings) -> &'static str {
    let l = s.lang;
    match n {
        1 => l.pick(
            "Coroutines: an async fn that sleeps",
            "Coroutines : une async fn qui dort",
        ),
        2 => l.pick(
            "The event loop, traced",
            "La boucle d'événements, pas à pas",
        ),
        3 => l.pick(
            "gather: three waits at once",
            "gather : trois attentes à la fois",
        ),
        4 => l.pick(
            "When async pays off: I/O-bound against CPU-bound",
            "Quand l'asynchrone paie : I/O contre CPU",
        ),
        5 => l.pick(
            "create_task: work in the background",
            "create_task : une tâche en arrière-plan",
        ),
        _ => "",
    }
}

/// Figures a chapter measured, by name, in seconds or as ratios.
#[derive(Debug, Default, Clone)]
pub struct Figures(pub Vec<(&'static str, f64)>);

impl Figures {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
    }
    fn put(&mut self, name: &'static str, v: f64) {
        self.0.push((name, v));
    }
}

/// What chapters `chapters` need, checked before the first line is
/// printed: an event loop that starts (io_uring), and for chapter 4 a data
/// directory that can hold its file (created when missing).
pub fn check(chapters: &[usize], s: &Settings) -> Result<(), LessonError> {
    if chapters.is_empty() {
        return Ok(());
    }
    check_runtime()?;
    if chapters.contains(&4) {
        run::check_data_dir(&s.data_dir, &data_files(s))?;
    }
    Ok(())
}

/// Chapter 4's file-randread parameters: a 256 MiB data file.
fn io_params() -> WorkloadParams {
    WorkloadParams {
        file_size: 256 << 20,
        ..Default::default()
    }
}

/// The data files chapter 4 reads (path, size), under `--data-dir`.
pub fn data_files(s: &Settings) -> Vec<(std::path::PathBuf, u64)> {
    iobound_workloads::build("file-randread", &io_params())
        .map(|w| {
            w.files()
                .iter()
                .map(|f| (iobound_workloads::dataset::path_for(&s.data_dir, f), f.size))
                .collect()
        })
        .unwrap_or_default()
}

/// Says, in the transcript, which data file chapter 4 prepares and how
/// big it is before creating it, and whether it was created or reused, as
/// `iobound run` does.
struct Preparing<'a>(&'a Transcript, crate::lang::Lang);

impl run::Observer for Preparing<'_> {
    fn preparing(&mut self, path: &std::path::Path, size: u64) {
        self.0.say(
            Kind::Explain,
            format!(
                "{} {} ({}){}",
                self.1.pick("preparing", "préparation de"),
                path.display(),
                crate::output::human::bytes(size as f64),
                self.1.pick(
                    ", kept for later runs (`iobound clean` removes it)...",
                    ", gardé pour les prochaines fois (`iobound clean` le supprime)..."
                )
            ),
        );
    }

    fn prepared(&mut self, path: &std::path::Path, how: Prepared, took: Duration) {
        let what = match how {
            Prepared::Reused => self.1.pick("reused", "réutilisé :"),
            Prepared::Created => self.1.pick("created", "créé :"),
        };
        self.0.say(
            Kind::Explain,
            format!("{what} {} ({:.1} s)", path.display(), took.as_secs_f64()),
        );
    }
}

/// Runs chapter `n`.
pub fn run(n: usize, s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    out.say(Kind::Heading, format!("{n}. {}", title(n, s)));
    if s.speed != 1.0 {
        out.say(
            Kind::Explain,
            format!(
                "{} {}",
                s.lang.pick(
                    "every delay is divided by --speed",
                    "chaque délai est divisé par --speed"
                ),
                s.speed
            ),
        );
    }
    let before = out.examples().len();
    let figures = match n {
        1 => chapter1(s, out),
        2 => chapter2(s, out),
        3 => chapter3(s, out),
        4 => chapter4(s, out),
        5 => chapter5(s, out),
        _ => Err(LessonError::NoChapter(n)),
    }?;
    super::python::chapter(n, s, out, &figures, &out.examples()[before..]);
    Ok(figures)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The lesson's `ma_coroutine`: print, sleep one second, print.
async fn ma_coroutine(out: Transcript, pause: Duration) {
    out.say(Kind::Example, "Début de la coroutine");
    let t = Instant::now();
    sleep(pause).await;
    out.say(Kind::Measure, format!("({:.4} s)", secs(t.elapsed())));
    out.say(Kind::Example, "Fin de la coroutine");
}

fn chapter1(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    let l = s.lang;
    out.say(
        Kind::Explain,
        l.pick(
            "Calling an async fn runs none of its body: it returns a future, a value that \
             describes the work. Rust futures are lazy, like Python coroutine objects.",
            "Appeler une async fn n'exécute rien de son corps : on obtient un future, une valeur \
             qui décrit le travail. En Rust, les futures sont paresseux, comme les objets \
             coroutine de Python.",
        ),
    );
    let fut = ma_coroutine(out.clone(), s.delay(1.0));
    out.say(
        Kind::Example,
        format!(
            "<future {} at {:p}, {} bytes>",
            std::any::type_name_of_val(&fut),
            &fut,
            std::mem::size_of_val(&fut)
        ),
    );
    drop(fut);
    out.say(
        Kind::Explain,
        l.pick(
            "Nothing was printed, and dropping the future now means its body never runs. \
             To run it, hand it to an event loop: block_on plays the part of asyncio.run.",
            "Rien ne s'est affiché, et le future abandonné ici ne s'exécutera jamais. Pour le \
             lancer, on le confie à une boucle d'événements : block_on tient le rôle \
             d'asyncio.run.",
        ),
    );
    let t = Instant::now();
    block_on(ma_coroutine(out.clone(), s.delay(1.0)), None)?;
    let took = secs(t.elapsed());
    out.say(
        Kind::Measure,
        format!(
            "block_on: {took:.4} s ({} {:.4} s)",
            l.pick("lesson's sleep:", "pause de la leçon :"),
            secs(s.delay(1.0))
        ),
    );
    let mut f = Figures::default();
    f.put("run_s", took);
    f.put("drift_s", took - secs(s.delay(1.0)));
    Ok(f)
}

fn describe(e: &Event, s: &Settings) -> String {
    let l = s.lang;
    match e {
        Event::Scheduled(t) => format!("{} {t}", l.pick("scheduled:", "planifiée :")),
        Event::Picked(t) => format!("{} {t}", l.pick("runs:", "exécute :")),
        Event::Parked(t) => format!(
            "{t} {}",
            l.pick(
                "awaits something not ready: parked",
                "attend quelque chose : mise en pause"
            )
        ),
        Event::Finished(t) => format!("{t} {}", l.pick("returned", "terminée")),
        Event::Idle { timers } => format!(
            "{} ({} {timers})",
            l.pick(
                "nothing ready: sleeping in io_uring_enter",
                "rien de prêt : attente dans io_uring_enter"
            ),
            l.pick("timeouts pending:", "timeouts en cours :")
        ),
        Event::TimerFired(t) => format!(
            "{} {t} {}",
            l.pick("timeout completed:", "timeout terminé :"),
            l.pick("is ready again", "est de nouveau prête")
        ),
    }
}

fn tracer(s: &Settings, out: &Transcript) -> Tracer {
    let (s, out) = (s.clone(), out.clone());
    Box::new(move |at, e| {
        out.say(
            Kind::Trace,
            format!("[{:7.3} s] {}", secs(at), describe(e, &s)),
        )
    })
}

fn chapter2(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    let l = s.lang;
    out.say(
        Kind::Explain,
        l.pick(
            "The loop keeps a queue of ready tasks. It takes one, polls it until it awaits \
             something that is not ready, parks it, and takes the next. When none is ready it \
             sleeps in the kernel until an event (here an io_uring timeout) makes a task ready.",
            "La boucle tient une file de tâches prêtes. Elle en prend une, l'exécute jusqu'à ce \
             qu'elle attende quelque chose qui n'est pas prêt, la met de côté, puis passe à la \
             suivante. Quand aucune n'est prête, elle dort dans le noyau jusqu'à ce qu'un \
             événement (ici un timeout io_uring) réveille une tâche.",
        ),
    );
    out.say(
        Kind::Explain,
        l.pick(
            "The lesson's example, traced: one coroutine on the loop.",
            "L'exemple de la leçon, suivi pas à pas : une coroutine sur la boucle.",
        ),
    );
    let t = Instant::now();
    block_on(
        ma_coroutine(out.clone(), s.delay(1.0)),
        Some(tracer(s, out)),
    )?;
    let single = secs(t.elapsed());
    out.say(
        Kind::Explain,
        l.pick(
            "Two tasks of 1 s and 0.5 s: while one is parked, the loop runs the other.",
            "Deux tâches de 1 s et 0,5 s : pendant que l'une attend, la boucle fait avancer \
             l'autre.",
        ),
    );
    let (o, d1, d2) = (out.clone(), s.delay(1.0), s.delay(0.5));
    let t = Instant::now();
    block_on(
        async move {
            let a = spawn("ma_coroutine", ma_coroutine(o.clone(), d1));
            let b = spawn("autre", async move {
                sleep(d2).await;
            });
            a.await;
            b.await;
        },
        Some(tracer(s, out)),
    )?;
    let two = secs(t.elapsed());
    out.say(
        Kind::Measure,
        format!(
            "{} {two:.4} s ({} {:.4} s)",
            l.pick("two tasks took", "deux tâches :"),
            l.pick("the longer one alone:", "la plus longue seule :"),
            secs(d1)
        ),
    );
    let mut f = Figures::default();
    f.put("single_s", single);
    f.put("two_tasks_s", two);
    Ok(f)
}

/// The lesson's `dire_apres`: announce, sleep, print the word, return its length.
async fn dire_apres(out: Transcript, delai: Duration, mot: &'static str) -> usize {
    out.say(Kind::Example, format!("Début de '{mot}'"));
    sleep(delai).await;
    out.say(Kind::Example, mot);
    mot.chars().count()
}

const WORDS: [(f64, &str); 3] = [(1.0, "hello"), (2.0, "world"), (0.5, "async")];

fn finish_lines(out: &Transcript, took: f64, results: &[usize]) {
    out.say(
        Kind::Example,
        format!("Programme terminé en {took:.2} secondes."),
    );
    out.say(Kind::Example, format!("Résultats : {results:?}"));
}

fn chapter3(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    let l = s.lang;
    out.say(
        Kind::Explain,
        l.pick(
            "gather turns each coroutine into a task and waits for all of them. The three \
             sleeps overlap, so the total is the longest one, not the sum.",
            "gather fait de chaque coroutine une tâche et attend qu'elles aient toutes fini. \
             Les trois pauses se chevauchent : le total vaut la plus longue, pas la somme.",
        ),
    );
    let o = out.clone();
    let delays: Vec<Duration> = WORDS.iter().map(|&(d, _)| s.delay(d)).collect();
    let ds = delays.clone();
    let (gathered, results) = block_on(
        async move {
            let debut = Instant::now();
            let taches = WORDS
                .iter()
                .zip(&ds)
                .map(|(&(_, mot), &d)| (mot.to_string(), dire_apres(o.clone(), d, mot)))
                .collect();
            let resultats = gather(taches).await;
            (secs(debut.elapsed()), resultats)
        },
        None,
    )?;
    finish_lines(out, gathered, &results);
    out.say(
        Kind::Explain,
        l.pick(
            "The same three awaited one after the other, as blocking code would run them:",
            "Les trois mêmes, attendues l'une après l'autre, comme le ferait du code bloquant :",
        ),
    );
    let o = out.clone();
    let ds = delays.clone();
    let (sequential, results) = block_on(
        async move {
            let debut = Instant::now();
            let mut resultats = Vec::new();
            for (&(_, mot), &d) in WORDS.iter().zip(&ds) {
                resultats.push(dire_apres(o.clone(), d, mot).await);
            }
            (secs(debut.elapsed()), resultats)
        },
        None,
    )?;
    finish_lines(out, sequential, &results);
    let longest = secs(*delays.iter().max().expect("three delays"));
    let sum: f64 = delays.iter().map(|d| secs(*d)).sum();
    out.say(
        Kind::Measure,
        format!(
            "gather {gathered:.4} s = {:.4} x {} ({longest:.4} s); {} {sequential:.4} s \
             ({} {sum:.4} s); speed-up {:.3}x",
            gathered / longest,
            l.pick("the longest delay", "le plus long délai"),
            l.pick("one after the other", "l'une après l'autre"),
            l.pick("sum of delays", "somme des délais"),
            sequential / gathered
        ),
    );
    let mut f = Figures::default();
    f.put("gather_s", gathered);
    f.put("sequential_s", sequential);
    f.put("gather_over_longest", gathered / longest);
    f.put("sequential_over_gather", sequential / gathered);
    f.put("drift_s", gathered - longest);
    Ok(f)
}

/// One measured cell of chapter 4.
fn measure(
    workload: &str,
    mode: &str,
    params: &WorkloadParams,
    s: &Settings,
    direct: bool,
) -> Result<f64, LessonError> {
    let mut done = Vec::new();
    let ready = run::prepare(workload, params, &s.data_dir, &mut done, &mut run::Silent)
        .map_err(|e| LessonError::Measure(e.to_string()))?;
    let engine = engine::by_name(mode).expect("known engine");
    let plan = Plan {
        concurrency: 32,
        warmup: s.delay(0.2).max(Duration::from_millis(20)),
        bound: Bound::Duration(s.delay(1.0).max(Duration::from_millis(100))),
        rate: None,
    };
    let opts = CellOptions::new(direct, engine::Settings::default());
    let cell = run::run_cell(
        &ready,
        engine,
        plan,
        &opts,
        &UringSupport::detect(),
        &mut run::Silent,
    );
    match (cell.status, cell.summary) {
        // A ratio of two measurements is printed: neither may be 0.
        (Status::Ok, Some(sum)) if sum.throughput_rps > 0.0 => Ok(sum.throughput_rps),
        (Status::Ok, Some(_)) => Err(LessonError::Measure(format!(
            "{workload} on {mode}: no request completed"
        ))),
        _ => Err(LessonError::Measure(format!(
            "{workload} on {mode}: {}",
            cell.reason.unwrap_or_default()
        ))),
    }
}

fn chapter4(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    let l = s.lang;
    out.say(
        Kind::Explain,
        l.pick(
            "An event loop helps while requests wait: one thread keeps many waits in flight. \
             It cannot make computing faster: one loop thread uses one core, and while it \
             computes, nothing else moves. For CPU work, a pool of threads (one per core, the \
             Rust counterpart of Python's multiprocessing) is the tool.",
            "Une boucle d'événements aide tant que les requêtes attendent : un seul thread garde \
             beaucoup d'attentes en cours. Elle n'accélère pas le calcul : le thread de la \
             boucle n'occupe qu'un cœur, et pendant qu'il calcule, rien d'autre n'avance. Pour \
             le calcul, un pool de threads (un par cœur, l'équivalent Rust du multiprocessing \
             de Python) est le bon outil.",
        ),
    );
    out.say(
        Kind::Explain,
        l.pick(
            "Measured now, 32 requests in flight, about 1 s per run:",
            "Mesuré maintenant, 32 requêtes en cours, environ 1 s par mesure :",
        ),
    );
    run::ensure_writable_dir(&s.data_dir).map_err(|e| {
        LessonError::Measure(format!("data directory {}: {e}", s.data_dir.display()))
    })?;
    let io_params = io_params();
    // O_DIRECT makes every read wait on the device; a filesystem without it
    // (tmpfs) only has the page cache, where reads barely wait at all.
    let direct = {
        let mut done = Vec::new();
        let ready = run::prepare(
            "file-randread",
            &io_params,
            &s.data_dir,
            &mut done,
            &mut Preparing(out, l),
        )
        .map_err(|e| LessonError::Measure(e.to_string()))?;
        crate::exec::FileSet::open(&ready.files, true).is_ok()
    };
    let io_uring = measure("file-randread", "uring", &io_params, s, direct)?;
    let io_rayon = measure("file-randread", "rayon", &io_params, s, direct)?;
    let cpu_params = WorkloadParams::default();
    let cpu_uring = measure("cpu-hash", "uring", &cpu_params, s, false)?;
    let cpu_rayon = measure("cpu-hash", "rayon", &cpu_params, s, false)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let rate = |x: f64| crate::output::human::rate(x);
    out.say(
        Kind::Measure,
        format!(
            "file-randread ({}): uring {} req/s, rayon {} req/s -> uring x{:.2}",
            if direct {
                l.pick("4 KiB, O_DIRECT", "4 Kio, O_DIRECT")
            } else {
                l.pick("4 KiB, page cache", "4 Kio, cache de pages")
            },
            rate(io_uring),
            rate(io_rayon),
            io_uring / io_rayon
        ),
    );
    out.say(
        Kind::Measure,
        format!(
            "cpu-hash (SHA-256, 256 KiB): uring {} req/s, rayon ({cores} {}) {} req/s -> rayon x{:.2}",
            rate(cpu_uring),
            l.pick("threads", "threads"),
            rate(cpu_rayon),
            cpu_rayon / cpu_uring
        ),
    );
    let verdict = |ratio: f64, winner: &str, kind: &str| -> String {
        if ratio >= 1.10 {
            format!(
                "{kind}: {winner} {} ({ratio:.2}x).",
                l.pick(
                    "wins, as the lesson predicts",
                    "gagne, comme la leçon le prédit"
                )
            )
        } else if ratio > 1.0 / 1.10 {
            format!(
                "{kind}: {} ({ratio:.2}x).",
                l.pick(
                    "no clear winner on this machine",
                    "pas de gagnant net sur cette machine"
                )
            )
        } else {
            format!(
                "{kind}: {} ({ratio:.2}x).",
                l.pick(
                    "the lesson's prediction did not hold here",
                    "la prédiction de la leçon ne tient pas ici"
                )
            )
        }
    };
    out.say(
        Kind::Explain,
        verdict(io_uring / io_rayon, "uring", l.pick("I/O-bound", "I/O")),
    );
    out.say(
        Kind::Explain,
        verdict(cpu_rayon / cpu_uring, "rayon", l.pick("CPU-bound", "CPU")),
    );
    let mut f = Figures::default();
    f.put("io_uring_rps", io_uring);
    f.put("io_rayon_rps", io_rayon);
    f.put("cpu_uring_rps", cpu_uring);
    f.put("cpu_rayon_rps", cpu_rayon);
    Ok(f)
}

async fn operation_longue(out: Transcript, d: Duration) {
    out.say(Kind::Example, "La tâche de fond commence...");
    sleep(d).await;
    out.say(Kind::Example, "La tâche de fond est terminée.");
}

/// The lesson's create_task `main`; `eager` picks when the task first runs.
async fn create_task_main(out: Transcript, s: Settings, eager: bool) -> (f64, f64) {
    let t = Instant::now();
    out.say(Kind::Example, "Lancement de la tâche de fond.");
    let fut = operation_longue(out.clone(), s.delay(2.0));
    let task = if eager {
        spawn_eager("operation_longue", fut)
    } else {
        spawn("operation_longue", fut)
    };
    out.say(Kind::Example, "Le programme principal continue...");
    sleep(s.delay(1.0)).await;
    let paused = secs(t.elapsed());
    out.say(Kind::Measure, format!("({paused:.4} s)"));
    out.say(Kind::Example, "Le programme principal a fait une pause.");
    task.await;
    let total = secs(t.elapsed());
    out.say(Kind::Measure, format!("({total:.4} s)"));
    out.say(
        Kind::Example,
        "Le programme principal a attendu la fin de la tâche.",
    );
    (paused, total)
}

fn chapter5(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
    let l = s.lang;
    out.say(
        Kind::Explain,
        l.pick(
            "create_task starts a coroutine as a task of its own: main carries on, and awaits \
             the task's end only when it needs it. The 2 s task and main's 1 s pause overlap: \
             about 2 s in all.",
            "create_task lance une coroutine comme tâche à part : main continue son chemin et \
             n'attend la fin de la tâche que lorsqu'il en a besoin. La tâche de 2 s et la pause \
             de 1 s de main se recouvrent : environ 2 s en tout.",
        ),
    );
    out.say(
        Kind::Explain,
        l.pick(
            "In the lesson's output the task starts before main prints its next line: the task \
             runs at once, up to its first await (an eager start, what Python 3.12's \
             eager_task_factory does). That is what runs here:",
            "Dans la sortie de la leçon, la tâche commence avant la ligne suivante de main : \
             elle s'exécute tout de suite, jusqu'à son premier await (un démarrage immédiat, ce \
             que fait eager_task_factory depuis Python 3.12). C'est ce qui tourne ici :",
        ),
    );
    let (paused, total) = block_on(create_task_main(out.clone(), s.clone(), true), None)?;
    out.say(
        Kind::Explain,
        l.pick(
            "By default asyncio only queues the new task; it first runs when main awaits, so \
             'Le programme principal continue...' comes first. The same program with that \
             default:",
            "Par défaut, asyncio ne fait que mettre la tâche en file ; elle ne démarre qu'au \
             premier await de main, et 'Le programme principal continue...' s'affiche donc \
             avant. Le même programme avec ce comportement par défaut :",
        ),
    );
    let (lazy_paused, lazy_total) =
        block_on(create_task_main(out.clone(), s.clone(), false), None)?;
    let mut f = Figures::default();
    f.put("paused_s", paused);
    f.put("total_s", total);
    f.put("lazy_paused_s", lazy_paused);
    f.put("lazy_total_s", lazy_total);
    f.put("drift_s", total - secs(s.delay(2.0)));
    Ok(f)
}

/// Runs every chapter in order.
pub fn run_all(s: &Settings, out: &Transcript) -> Result<Vec<Figures>, LessonError> {
    (1..=COUNT).map(|n| run(n, s, out)).collect()
}

/// Makes sure the loop can start at all, with a plain reason when not.
pub fn check_runtime() -> Result<(), LessonError> {
    block_on(async {}, None)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(speed: f64) -> Settings {
        Settings {
            lang: super::super::Lang::En,
            speed,
            data_dir: std::env::temp_dir().join("iobound-lesson-test"),
            python: None,
        }
    }

    fn available() -> bool {
        let ok = io_uring::IoUring::new(2).is_ok();
        if !ok {
            eprintln!("skipping: io_uring unavailable here");
        }
        ok
    }

    #[test]
    fn gather_overlaps_and_sequential_adds_up() {
        if !available() {
            return;
        }
        let out = Transcript::new(false);
        let f = run(3, &settings(10.0), &out).unwrap();
        let r = f.get("gather_over_longest").unwrap();
        assert!((1.0..=1.10).contains(&r), "gather / longest = {r}");
        let r = f.get("sequential_over_gather").unwrap();
        assert!((1.6..=1.9).contains(&r), "sequential / gather = {r}");
        let ex = out.examples();
        assert_eq!(
            ex[..8],
            [
                "Début de 'hello'",
                "Début de 'world'",
                "Début de 'async'",
                "async",
                "hello",
                "world",
                &ex[6],
                "Résultats : [5, 5, 5]"
            ]
        );
        assert!(ex[6].starts_with("Programme terminé en "), "{}", ex[6]);
    }

    #[test]
    fn create_task_overlaps_the_pause_with_the_task() {
        if !available() {
            return;
        }
        let s = settings(5.0);
        let f = run(5, &s, &Transcript::new(false)).unwrap();
        // Never early. The task overlapping the pause is what is tested: one
        // after the other would take 1.5x the overlapped total, so anything
        // under 1.45x is overlap plus the scheduling noise of a shared
        // machine (a timed bound tighter than that failed under load).
        for (name, want) in [
            ("paused_s", 0.2),
            ("total_s", 0.4),
            ("lazy_paused_s", 0.2),
            ("lazy_total_s", 0.4),
        ] {
            let got = f.get(name).unwrap();
            assert!(got >= want && got < want * 1.45, "{name}: {got}");
        }
    }

    #[test]
    fn the_trace_parks_the_sleeping_task_and_wakes_it_on_its_timeout() {
        if !available() {
            return;
        }
        let out = Transcript::new(false);
        run(2, &settings(50.0), &out).unwrap();
        let trace: Vec<String> = out
            .lines()
            .into_iter()
            .filter(|l| l.kind == Kind::Trace)
            .map(|l| l.text)
            .collect();
        let find = |needle: &str| {
            trace
                .iter()
                .position(|t| t.ends_with(needle))
                .unwrap_or_else(|| panic!("no '{needle}' in {trace:#?}"))
        };
        assert!(find("main awaits something not ready: parked") < find("timeouts pending: 1)"));
        assert!(find("timeouts pending: 1)") < find("timeout completed: main is ready again"));
        // The two-task example: the shorter sleep completes first.
        assert!(
            find("timeout completed: autre is ready again")
                < find("timeout completed: ma_coroutine is ready again")
        );
    }
}
