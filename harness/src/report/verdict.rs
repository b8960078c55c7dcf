//! Verdicts computed from the data: per workload, who wins on throughput and
//! on p99 at the highest common load, by how much, whether the difference is
//! beyond the noise the repetitions showed, and whether the lesson's
//! prediction held. Then the take-away sentences, in English or French.

use iobound_workloads::Class;

use super::model::{Group, Point, Report, Stat};
use crate::lang::Lang;
use crate::output::human;

/// With a single repetition the noise is unknown: a lead under this margin
/// is not called a win (the device here drifts 10-20% over minutes).
pub const SINGLE_RUN_MARGIN: f64 = 0.10;

/// Who leads on one figure.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `engine` leads `runner_up` by `margin` (0.25 = 25% better), beyond the spread.
    Winner {
        engine: String,
        value: f64,
        runner_up: String,
        runner_value: f64,
        margin: f64,
    },
    /// The leaders' ranges overlap (or, with one run, differ by less than
    /// [`SINGLE_RUN_MARGIN`]).
    NoClearWinner { leaders: Vec<(String, Stat)> },
    /// Fewer than two engines measured.
    Alone,
}

impl Outcome {
    pub fn winner(&self) -> Option<&str> {
        match self {
            Outcome::Winner { engine, .. } => Some(engine),
            _ => None,
        }
    }
}

/// Whether the lesson's prediction held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Yes,
    No,
    /// No clear winner, the predicted engine among the leaders.
    Tie,
    /// No prediction for this workload, or its engine was not run.
    Unknown,
}

#[derive(Debug, Clone)]
pub struct Verdict {
    pub label: String,
    pub class: Option<Class>,
    /// The load judged at: a concurrency, or an offered rate in an open loop.
    pub concurrency: usize,
    pub open_loop: bool,
    pub throughput: Outcome,
    pub p99: Outcome,
    pub prediction: Option<String>,
    pub held: Held,
}

/// Ranks points by a figure; `higher_better` for throughput.
fn outcome(points: &[&Point], value: impl Fn(&Point) -> Stat, higher_better: bool) -> Outcome {
    if points.len() < 2 {
        return Outcome::Alone;
    }
    let mut ranked: Vec<&Point> = points.to_vec();
    ranked.sort_by(|a, b| {
        let (x, y) = (value(a).median, value(b).median);
        if higher_better {
            y.total_cmp(&x)
        } else {
            x.total_cmp(&y)
        }
    });
    let best = value(ranked[0]);
    let better = |a: f64, b: f64| if higher_better { a > b } else { a < b };
    let margin = |a: f64, b: f64| {
        if higher_better {
            a / b - 1.0
        } else {
            b / a - 1.0
        }
    };
    let reps = ranked.iter().map(|p| p.reps).min().unwrap_or(1);
    // A rival is within the noise when its range reaches the leader's range.
    let within = |p: &Point| {
        let s = value(p);
        if reps >= 2 {
            if higher_better {
                s.max >= best.min
            } else {
                s.min <= best.max
            }
        } else {
            margin(best.median, s.median) < SINGLE_RUN_MARGIN
        }
    };
    let second = ranked[1];
    if within(second) || !better(best.median, value(second).median) {
        let leaders = ranked
            .iter()
            .enumerate()
            .filter(|(i, p)| *i == 0 || within(p))
            .map(|(_, p)| (p.engine.clone(), value(p)))
            .collect();
        return Outcome::NoClearWinner { leaders };
    }
    Outcome::Winner {
        engine: ranked[0].engine.clone(),
        value: best.median,
        runner_up: second.engine.clone(),
        runner_value: value(second).median,
        margin: margin(best.median, value(second).median),
    }
}

/// The verdict of one group, at its highest common concurrency.
pub fn judge(g: &Group) -> Option<Verdict> {
    let c = g.highest_common()?;
    let points: Vec<&Point> = g.engines.iter().filter_map(|e| g.point(e, c)).collect();
    let throughput = outcome(&points, |p| p.throughput, true);
    let p99 = outcome(&points, |p| p.p99_ns, false);
    let held = match (g.prediction.as_ref(), &throughput) {
        (Some(pred), _) if !g.engines.contains(pred) => Held::Unknown,
        (None, _) => Held::Unknown,
        (Some(pred), Outcome::Winner { engine, .. }) => {
            if engine == pred.as_str() {
                Held::Yes
            } else {
                Held::No
            }
        }
        (Some(pred), Outcome::NoClearWinner { leaders }) => {
            if leaders.iter().any(|(e, _)| e == pred.as_str()) {
                Held::Tie
            } else {
                Held::No
            }
        }
        (Some(_), Outcome::Alone) => Held::Unknown,
    };
    Some(Verdict {
        label: g.label.clone(),
        class: g.class,
        concurrency: c,
        open_loop: g.open_loop,
        throughput,
        p99,
        prediction: g.prediction.clone(),
        held,
    })
}

pub fn all(r: &Report) -> Vec<Verdict> {
    r.groups.iter().filter_map(judge).collect()
}

/// The load a verdict was judged at, in words.
pub fn load_text(v: &Verdict, lang: Lang) -> String {
    if v.open_loop {
        format!(
            "{} {}",
            v.concurrency,
            lang.pick("req/s offered", "req/s offertes")
        )
    } else {
        format!("{} {}", v.concurrency, lang.pick("in flight", "en cours"))
    }
}

pub fn class_label(c: Option<Class>, lang: Lang) -> &'static str {
    match c {
        Some(Class::IoBound) => lang.pick("I/O-bound", "limité par les I/O"),
        Some(Class::CpuBound) => lang.pick("CPU-bound", "limité par le CPU"),
        Some(Class::Mixed) => lang.pick("mixed", "mixte"),
        None => lang.pick("unknown", "inconnue"),
    }
}

fn rps(x: f64) -> String {
    format!("{} req/s", human::rate(x))
}

fn lat(ns: f64) -> String {
    human::duration_ns(ns)
}

/// One plain sentence on a figure's outcome, with the numbers in it.
pub fn outcome_sentence(o: &Outcome, throughput: bool, lang: Lang) -> String {
    let fmt = |v: f64| if throughput { rps(v) } else { lat(v) };
    match o {
        Outcome::Winner {
            engine,
            value,
            runner_up,
            runner_value,
            margin,
        } => {
            if throughput {
                format!(
                    "{engine} {} {}, {:.2}x {runner_up} ({})",
                    lang.pick("leads with", "mène avec"),
                    fmt(*value),
                    1.0 + margin,
                    fmt(*runner_value)
                )
            } else {
                format!(
                    "{engine} {} {}, {runner_up} {} {} ({:.2}x)",
                    lang.pick("has the lowest p99,", "a le p99 le plus bas,"),
                    fmt(*value),
                    lang.pick("next at", "suit avec"),
                    fmt(*runner_value),
                    1.0 + margin
                )
            }
        }
        Outcome::NoClearWinner { leaders } => format!(
            "{} ({})",
            lang.pick(
                "no clear winner within the measured spread",
                "pas de gagnant net, compte tenu de la dispersion mesurée"
            ),
            leaders
                .iter()
                .map(|(e, s)| if s.max > s.min {
                    let bare = |v: f64| if throughput { human::rate(v) } else { lat(v) };
                    format!(
                        "{e} {} ({} {}–{})",
                        fmt(s.median),
                        lang.pick("range", "écart"),
                        bare(s.min),
                        bare(s.max)
                    )
                } else {
                    format!("{e} {}", fmt(s.median))
                })
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Outcome::Alone => lang
            .pick("only one engine measured", "un seul moteur mesuré")
            .to_string(),
    }
}

pub fn held_text(h: Held, lang: Lang) -> &'static str {
    match h {
        Held::Yes => lang.pick("held", "vérifiée"),
        Held::No => lang.pick("did not hold", "non vérifiée"),
        Held::Tie => lang.pick("not confirmed (tie)", "non confirmée (égalité)"),
        Held::Unknown => "n/a",
    }
}

fn cpu_note(g: &Group, c: usize, lang: Lang) -> Option<String> {
    let u = g.point("uring", c)?;
    let t = g.point("threads", c)?;
    // Seconds per 1000 requests is milliseconds per request: x 1e6 in ns.
    let per_req = |p: &Point| format!("{} µs", human::cpu_us(p.cpu_s_per_1000.median * 1e6));
    Some(format!(
        "{} uring {}, threads {}",
        lang.pick("CPU time per request:", "Temps CPU par requête :"),
        per_req(u),
        per_req(t)
    ))
}

/// The "what to take away" sentences, one per workload, worded from its
/// verdict and explained by its class.
pub fn takeaways(r: &Report, verdicts: &[Verdict], lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for v in verdicts {
        let g = r
            .groups
            .iter()
            .find(|g| g.label == v.label)
            .expect("verdicts come from groups");
        let head = format!(
            "{} ({}, {}){} {}.",
            v.label,
            class_label(v.class, lang),
            load_text(v, lang),
            lang.pick(":", " :"),
            outcome_sentence(&v.throughput, true, lang)
        );
        let why = match (v.class, v.held, v.throughput.winner()) {
            (Some(Class::IoBound), Held::Yes, _) => lang.pick(
                "Requests spend their time waiting (on the device or the server); one event-loop thread keeps them all in flight without a thread each.",
                "Les requêtes passent leur temps à attendre (le périphérique ou le serveur) ; un seul thread de boucle d'événements les garde toutes en cours, sans un thread par requête.",
            ),
            (Some(Class::IoBound), _, _) if g.page_cache_warm => lang.pick(
                "The data sat in the page cache, so reads never waited: there was no waiting for async I/O to overlap, and engines that use both cores did as well or better.",
                "Les données étaient dans le cache de pages : les lectures n'attendaient jamais. L'asynchrone n'avait aucune attente à recouvrir, et les moteurs qui occupent les deux cœurs ont fait aussi bien ou mieux.",
            ),
            (Some(Class::IoBound), _, _) => lang.pick(
                "Blocking threads kept as many operations in flight as the event loop here, and the event loop's gain (one thread, less CPU per request) did not turn into more throughput.",
                "Les threads bloquants ont gardé ici autant d'opérations en cours que la boucle d'événements, et l'avantage de celle-ci (un seul thread, moins de CPU par requête) ne s'est pas traduit en débit.",
            ),
            (Some(Class::CpuBound), Held::Yes | Held::Tie, _) | (Some(Class::CpuBound), _, Some("threads")) => lang.pick(
                "Computation needs cores, not waiting: an event loop runs on one core, while a pool (or threads) uses them all.",
                "Le calcul a besoin de cœurs, pas d'attente : une boucle d'événements tourne sur un seul cœur, alors qu'un pool (ou des threads) les utilise tous.",
            ),
            (Some(Class::CpuBound), _, _) => lang.pick(
                "The lesson expected a pool of cores to win; this run did not show it.",
                "La leçon attendait la victoire d'un pool de cœurs ; cette mesure ne le montre pas.",
            ),
            (Some(Class::Mixed), Held::Yes, _) => lang.pick(
                "Each request waits and then computes: the event loop keeps the waits in flight while a pool does the computing, so neither blocks the other.",
                "Chaque requête attend puis calcule : la boucle d'événements garde les attentes en cours pendant qu'un pool calcule, et aucun ne bloque l'autre.",
            ),
            (Some(Class::Mixed), _, _) => lang.pick(
                "Each request waits and then computes; on this machine the leaders stayed within the spread of the runs, so none can be called faster.",
                "Chaque requête attend puis calcule ; sur cette machine, les meilleurs sont restés dans la dispersion des mesures : aucun ne peut être dit plus rapide.",
            ),
            (None, _, _) => "",
        };
        let mut line = head;
        if let Some(p) = v.prediction.as_deref() {
            line.push_str(&format!(
                " {} {p}{} {}.",
                lang.pick("The lesson predicted", "La leçon prédisait"),
                lang.pick(":", " :"),
                held_text(v.held, lang)
            ));
        }
        if !why.is_empty() {
            line.push(' ');
            line.push_str(why);
        }
        if v.class == Some(Class::IoBound) {
            if let Some(n) = cpu_note(g, v.concurrency, lang) {
                line.push_str(&format!(" {n}."));
            }
            if let Some(u) = g
                .point("uring", v.concurrency)
                .filter(|u| u.threads.median > 1.0)
            {
                line.push_str(&match lang {
                    Lang::En => format!(
                        " uring ran {:.0} OS threads: io_uring hands work it cannot do asynchronously (such as fdatasync) to kernel worker threads.",
                        u.threads.median
                    ),
                    Lang::Fr => format!(
                        " uring a utilisé {:.0} threads : io_uring confie ce qu'il ne sait pas faire de façon asynchrone (fdatasync par exemple) à des threads noyau.",
                        u.threads.median
                    ),
                });
            }
        }
        if v.class == Some(Class::CpuBound) {
            if let (Some(u), Some(best)) = (
                g.point("uring", v.concurrency),
                g.engines
                    .iter()
                    .filter_map(|e| g.point(e, v.concurrency))
                    .max_by(|a, b| a.throughput.median.total_cmp(&b.throughput.median)),
            ) {
                let (tput, ratio, cores) = (
                    rps(u.throughput.median),
                    best.throughput.median / u.throughput.median,
                    best.cores_busy.median,
                );
                line.push_str(&match lang {
                    Lang::En => format!(
                        " uring, on one thread: {tput}; {} did {ratio:.2}x that with {cores:.2} cores busy.",
                        best.engine
                    ),
                    Lang::Fr => format!(
                        " uring, sur un seul thread : {tput} ; {} a fait {ratio:.2}x plus avec {cores:.2} cœurs occupés.",
                        best.engine
                    ),
                });
            }
        }
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::new_histogram;
    use crate::report::model::Stat;

    fn pt(engine: &str, vals: &[f64]) -> Point {
        let s = Stat::of(vals);
        Point {
            engine: engine.into(),
            concurrency: 32,
            reps: vals.len(),
            throughput: s,
            p50_ns: s,
            p99_ns: s,
            p999_ns: s,
            p99_uncorrected_ns: None,
            cpu_s_per_1000: s,
            server_cpu_s_per_1000: None,
            threads: s,
            cores_busy: s,
            hist: new_histogram(),
            checksum: None,
        }
    }

    #[test]
    fn overlapping_ranges_are_no_clear_winner() {
        let a = pt("uring", &[100.0, 110.0, 120.0]);
        let b = pt("threads", &[95.0, 105.0, 101.0]);
        match outcome(&[&a, &b], |p| p.throughput, true) {
            Outcome::NoClearWinner { leaders } => assert_eq!(leaders.len(), 2),
            o => panic!("{o:?}"),
        }
        let c = pt("threads", &[60.0, 70.0, 65.0]);
        match outcome(&[&a, &c], |p| p.throughput, true) {
            Outcome::Winner { engine, margin, .. } => {
                assert_eq!(engine, "uring");
                assert!((margin - (110.0 / 65.0 - 1.0)).abs() < 1e-9);
            }
            o => panic!("{o:?}"),
        }
        // Lower is better for latency: the same numbers, the other winner.
        assert_eq!(
            outcome(&[&a, &c], |p| p.p99_ns, false).winner(),
            Some("threads")
        );
    }

    #[test]
    fn a_single_run_needs_a_ten_percent_lead() {
        let a = pt("uring", &[108.0]);
        let b = pt("threads", &[100.0]);
        assert!(matches!(
            outcome(&[&a, &b], |p| p.throughput, true),
            Outcome::NoClearWinner { .. }
        ));
        let a = pt("uring", &[111.0]);
        assert_eq!(
            outcome(&[&a, &b], |p| p.throughput, true).winner(),
            Some("uring")
        );
    }
}
