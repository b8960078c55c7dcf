//! The per-workload tables: each engine and concurrency's figures, the
//! open loop's sustainable rate, the class heading and the C10k note.

use super::{mib, rps, us};
use crate::lang::Lang;
use crate::output::human;
use crate::report::bounds;
use crate::report::claims;
use crate::report::model::{Group, Report};
use crate::report::verdict;

/// The per-workload table's header; an open-loop group's second column is
/// the offered rate.
pub fn group_header(g: &Group, lang: Lang) -> Vec<&'static str> {
    let mut h = vec![
        lang.pick("engine", "moteur"),
        lang.pick("concurrency", "concurrence"),
        lang.pick("req/s (median)", "requêtes/s (médiane)"),
        lang.pick("req/s range", "écart requêtes/s"),
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        crate::output::human::CPU_PER_REQUEST,
        lang.pick("OS threads", "threads"),
        lang.pick("memory added MiB", "mémoire ajoutée MiB"),
        lang.pick("ceiling req/s", "plafond requêtes/s"),
        lang.pick("% of ceiling", "% du plafond"),
    ];
    if g.open_loop {
        h[1] = lang.pick("offered req/s", "requêtes/s offertes");
        h.push(lang.pick("p99 µs, uncorrected", "p99 µs, non corrigé"));
    }
    if g.has_server() {
        h.push(lang.pick("server CPU µs/req", "CPU serveur µs/req"));
    }
    h
}

/// One row per engine and concurrency.
pub fn group_rows(r: &Report, g: &Group, lang: Lang) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in &g.engines {
        for &c in &g.concurrencies {
            let Some(p) = g.point(e, c) else { continue };
            let range = if p.reps > 1 {
                format!(
                    "{}–{} ({} {})",
                    rps(p.throughput.min),
                    rps(p.throughput.max),
                    p.reps,
                    lang.pick("runs", "mesures")
                )
            } else {
                lang.pick("1 run", "1 mesure").to_string()
            };
            let ceiling = bounds::ceiling(r, g, p);
            rows.push(vec![
                e.clone(),
                c.to_string(),
                rps(p.throughput.median),
                range,
                us(p.p50_ns.median),
                us(p.p99_ns.median),
                us(p.p999_ns.median),
                crate::output::human::cpu_us(p.cpu_ns.median),
                format!("{:.0}", p.threads.median),
                mib(p.memory.median),
                ceiling.as_ref().map_or("-".into(), |c| rps(c.limit.1)),
                ceiling
                    .as_ref()
                    .map_or("-".into(), |c| format!("{:.0}", 100.0 * c.reached(p))),
            ]);
            let row = rows.last_mut().expect("pushed");
            if g.open_loop {
                row.push(p.p99_uncorrected_ns.map_or("-".into(), |u| us(u.median)));
            }
            if g.has_server() {
                row.push(
                    p.server_cpu_ns
                        .map_or("-".into(), |s| crate::output::human::cpu_us(s.median)),
                );
            }
        }
    }
    rows
}

/// An open-loop group's sustainable rate per engine: the highest offered
/// rate it carried (95 % or more of it completed) with p99 under the SLO,
/// and what stopped it at the next rate (its lowest ceiling there).
pub fn sustainable_text(r: &Report, g: &Group, lang: Lang) -> Option<String> {
    if !g.open_loop {
        return None;
    }
    let slo = g.params.slo_ns.map(|n| n as f64);
    let mut parts = Vec::new();
    for e in &g.engines {
        let points: Vec<_> = g
            .concurrencies
            .iter()
            .filter_map(|&x| g.point(e, x))
            .collect();
        let ok = |p: &crate::report::model::Point| {
            p.throughput.median >= 0.95 * p.concurrency as f64
                && slo.map_or(true, |s| p.p99_ns.median <= s)
        };
        let best = points.iter().filter(|p| ok(p)).map(|p| p.concurrency).max();
        let first_fail = points
            .iter()
            .find(|p| !ok(p) && best.map_or(true, |b| b < p.concurrency));
        let head = match (best, lang) {
            (Some(x), Lang::En) => format!("{e}: {} req/s", rps(x as f64)),
            (Some(x), Lang::Fr) => format!("{e} : {} requêtes/s", rps(x as f64)),
            (None, Lang::En) => format!("{e}: none of the rates offered"),
            (None, Lang::Fr) => format!("{e} : aucun des débits offerts"),
        };
        let why = first_fail.map_or(String::new(), |p| {
            let kept_up = p.throughput.median >= 0.95 * p.concurrency as f64;
            let ceiling = bounds::ceiling(r, g, p);
            let limit = ceiling.as_ref().map_or(String::new(), |c| match lang {
                Lang::En => format!(
                    "; its lowest ceiling there, {}, is {} req/s",
                    c.limit.0.label(lang),
                    rps(c.limit.1)
                ),
                Lang::Fr => format!(
                    " ; son plus bas plafond là, {}, est de {} requêtes/s",
                    c.limit.0.label(lang),
                    rps(c.limit.1)
                ),
            });
            match (kept_up, lang) {
                (false, Lang::En) => format!(
                    " (at {} offered it completed {}{limit})",
                    rps(p.concurrency as f64),
                    rps(p.throughput.median)
                ),
                (false, Lang::Fr) => format!(
                    " (à {} offertes elle a fait {}{limit})",
                    rps(p.concurrency as f64),
                    rps(p.throughput.median)
                ),
                (true, Lang::En) => format!(
                    " (at {} offered its p99 was {}, past the SLO of {})",
                    rps(p.concurrency as f64),
                    human::duration_ns(p.p99_ns.median),
                    human::duration_ns(slo.unwrap_or(f64::NAN))
                ),
                (true, Lang::Fr) => format!(
                    " (à {} offertes son p99 était de {}, au-delà du SLO de {})",
                    rps(p.concurrency as f64),
                    human::duration_ns(p.p99_ns.median),
                    human::duration_ns(slo.unwrap_or(f64::NAN))
                ),
            }
        });
        parts.push(format!("{head}{why}"));
    }
    Some(match lang {
        Lang::En => format!(
            "Sustainable rate (the highest offered rate carried within 5 %{}): {}.",
            slo.map_or(String::new(), |s| format!(
                " with p99 under the {} SLO",
                human::duration_ns(s)
            )),
            parts.join("; ")
        ),
        Lang::Fr => format!(
            "Débit soutenable (le plus haut débit offert porté à 5 % près{}) : {}.",
            slo.map_or(String::new(), |s| format!(
                " avec un p99 sous le SLO de {}",
                human::duration_ns(s)
            )),
            parts.join(" ; ")
        ),
    })
}
/// The class label of a group, as the renderers head its section. A
/// workload of I/O class whose reads all came from a warm page cache never
/// waited: it is said so, not called I/O-bound.
/// What one request of the group does, under its heading: a reader meets
/// db-web or cpu-py here before any figure of theirs. None for runs that
/// did not record it.
pub fn gist_text(g: &Group, lang: Lang) -> Option<String> {
    let [en, fr] = g.gist.as_ref()?;
    Some(match lang {
        Lang::En => format!("What one request does: {en}."),
        Lang::Fr => format!("Ce que fait une requête : {fr}."),
    })
}

pub fn class_of(g: &Group, lang: Lang) -> &'static str {
    if g.page_cache_warm {
        return lang.pick(
            "warm page cache: nothing waits",
            "cache de pages chaud : rien n'attend",
        );
    }
    verdict::class_label(g.class, lang)
}

/// What the C10k section shows, its scale, where the figure comes from,
/// and C* for blocking threads.
/// The C10k curve as numbers, for the Markdown report (which has no
/// figure): a row per concurrency, each engine's median requests per
/// second ("–" where it did not run).
pub fn c10k_table(g: &Group, lang: Lang) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header = vec![lang.pick("in flight (C)", "en cours (C)").to_string()];
    header.extend(
        g.engines
            .iter()
            .map(|e| format!("{e} {}", lang.pick("req/s", "requêtes/s"))),
    );
    let rows = g
        .concurrencies
        .iter()
        .map(|&c| {
            let mut row = vec![c.to_string()];
            row.extend(g.engines.iter().map(|e| {
                g.point(e, c)
                    .map_or("–".to_string(), |p| human::rate(p.throughput.median))
            }));
            row
        })
        .collect();
    (header, rows)
}

/// A point's measured window and warm-up (ns).
type Window = (Option<u64>, Option<u64>);

/// When the sweep's points were not all measured alike (a suite that runs
/// the high concurrencies in a group of their own, with a longer window):
/// which concurrencies had which window, so the curve's parts are read
/// with that in mind. Empty when they all agree.
fn windows_text(g: &Group, lang: Lang) -> String {
    let mut by: Vec<(Window, Vec<usize>)> = Vec::new();
    for &c in &g.concurrencies {
        let Some(p) = g.engines.iter().find_map(|e| g.point(e, c)) else {
            continue;
        };
        match by.iter_mut().find(|(w, _)| *w == p.window) {
            Some((_, cs)) => cs.push(c),
            None => by.push((p.window, vec![c])),
        }
    }
    if by.len() < 2 {
        return String::new();
    }
    let fmt = |ns: Option<u64>| {
        ns.map_or("?".to_string(), |ns| {
            iobound_workloads::units::format_duration(std::time::Duration::from_nanos(ns))
        })
    };
    let cs = |v: &[usize]| match v {
        [one] => one.to_string(),
        [a, .., b] => format!("{a}–{b}"),
        [] => String::new(),
    };
    let parts: Vec<String> = by
        .iter()
        .map(|((d, w), v)| match lang {
            Lang::En => format!("C = {} for {} after {} of warm-up", cs(v), fmt(*d), fmt(*w)),
            Lang::Fr => format!(
                "C = {} pendant {} après {} de chauffe",
                cs(v),
                fmt(*d),
                fmt(*w)
            ),
        })
        .collect();
    match lang {
        Lang::En => format!(" Its points were not all measured alike ({}, each its suite group's): read a step between them with that in mind.", parts.join("; ")),
        Lang::Fr => format!(" Ses points n'ont pas tous été mesurés de la même façon ({}, selon leur groupe de la suite) : lisez un saut entre eux en gardant cela en tête.", parts.join(" ; ")),
    }
}

pub fn c10k_text(r: &Report, g: &Group, lang: Lang) -> String {
    let (lo, hi) = (
        g.concurrencies.first().copied().unwrap_or(0),
        g.concurrencies.last().copied().unwrap_or(0),
    );
    let star = claims::common_top(r, g).map(|top| (claims::c_star(r, g, top), top));
    let star = match (star, lang) {
        (Some((Some(s), _)), Lang::En) => format!(" C* = {s}: the lowest concurrency measured from which blocking threads fell behind the event loop (paired by repetition) and stayed behind at every higher one."),
        (Some((Some(s), _)), Lang::Fr) => format!(" C* = {s} : la plus basse concurrence mesurée à partir de laquelle les threads bloquants décrochent de la boucle d'événements (répétition par répétition) et restent derrière à chaque concurrence plus haute."),
        (Some((None, top)), Lang::En) => format!(" C*: none up to {top} — blocking threads were not behind the event loop at every concurrency from one of them up to {top} in this run."),
        (Some((None, top)), Lang::Fr) => format!(" C* : aucun jusqu'à {top} — les threads bloquants ne sont restés derrière la boucle à aucune concurrence jusqu'à {top} dans cette mesure."),
        (None, Lang::En) => " C* is not measured: this sweep lacks an event loop or blocking threads.".to_string(),
        (None, Lang::Fr) => " C* n'est pas mesuré : il manque à ce balayage une boucle d'événements ou des threads bloquants.".to_string(),
    };
    let windows = windows_text(g, lang);
    match lang {
        Lang::En => format!(
            "{} swept from {lo} to {hi} requests in flight; the concurrency axis is on a log scale. It is the shape of the classic figure of thread-per-connection throughput against connections (Welsh, Culler and Brewer, SEDA, SOSP 2001, figure 2), measured here on the client side, with each engine's ceiling dashed beside its throughput: where a curve meets its ceiling, that ceiling (often the one-thread server) is what bends it.{star}{windows}",
            g.label
        ),
        Lang::Fr => format!(
            "{} balayé de {lo} à {hi} requêtes en cours ; l'axe de la concurrence est en échelle log. C'est la forme de la figure classique du débit d'un thread par connexion en fonction des connexions (Welsh, Culler et Brewer, SEDA, SOSP 2001, figure 2), mesurée ici côté client, avec le plafond de chaque moteur en tirets à côté de son débit : là où une courbe rejoint son plafond, c'est ce plafond (souvent le serveur à un thread) qui la plie.{star}{windows}",
            g.label
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::windows_text;
    use crate::lang::Lang;
    use crate::report::model::testing::{group, point};
    use iobound_workloads::Class;

    /// Reviewer finding: the C10k curve joined points measured 1 s after
    /// 250 ms of warm-up with points measured 3 s after 2 s, without a word.
    /// The text says which concurrencies had which window (fails if the
    /// sentence is dropped or shown when every point agrees).
    #[test]
    fn a_sweep_measured_in_two_windows_says_so() {
        let window = |c: usize, d: u64, w: u64| {
            let mut p = point("uring", c, &[100.0, 100.0, 100.0], 10.0, 1.0);
            p.window = (Some(d), Some(w));
            p
        };
        let (s, ms) = (1_000_000_000, 1_000_000);
        let same = group(
            "db-web",
            Class::IoBound,
            vec![window(1, s, 250 * ms), window(256, s, 250 * ms)],
        );
        assert_eq!(windows_text(&same, Lang::En), "");
        let two = group(
            "db-web",
            Class::IoBound,
            vec![
                window(1, s, 250 * ms),
                window(256, s, 250 * ms),
                window(1024, 3 * s, 2 * s),
                window(4096, 3 * s, 2 * s),
            ],
        );
        let t = windows_text(&two, Lang::En);
        assert!(
            t.contains(
                "C = 1–256 for 1s after 250ms of warm-up; C = 1024–4096 for 3s after 2s of warm-up"
            ),
            "{t}"
        );
    }
}
