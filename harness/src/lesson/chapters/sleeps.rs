//! Chapters 1, 2, 3 and 5: a coroutine, the event loop traced, `gather`
//! against awaiting in turn, and `create_task`, each a few sleeps on the
//! lesson's own event loop with the seed lesson's output lines.

use std::time::{Duration, Instant};

use super::super::runtime::{block_on, gather, sleep, spawn, spawn_eager, Event, Tracer};
use super::super::{Kind, LessonError, Settings, Transcript};
use super::{secs, Figures};

/// The lesson's `ma_coroutine`: print, sleep one second, print.
async fn ma_coroutine(out: Transcript, pause: Duration) {
    out.say(Kind::Example, "Début de la coroutine");
    let t = Instant::now();
    sleep(pause).await;
    out.say(Kind::Measure, format!("({:.4} s)", secs(t.elapsed())));
    out.say(Kind::Example, "Fin de la coroutine");
}

pub(super) fn chapter1(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
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

pub(super) fn chapter2(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
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

pub(super) fn chapter3(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
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

pub(super) fn chapter5(s: &Settings, out: &Transcript) -> Result<Figures, LessonError> {
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
