//! The GIL sentence: threads against processes on a CPU-bound group, and
//! what a model's growth past the cores is made of.

use iobound_workloads::Model;

use super::super::model::{Group, Report};
use super::super::verdict::{compare, model_label, Figure, Lead};
use super::{best, growth, times};
use crate::lang::Lang;
use crate::output::human;

/// The GIL, measured on one CPU-bound group: how threads, processes and
/// asyncio grew from one request in flight to many.
pub(super) fn gil_sentence(r: &Report, g: &Group, lang: Lang) -> Option<String> {
    let (lo, hi) = (*g.concurrencies.first()?, *g.concurrencies.last()?);
    let threads = growth(r, g, Model::BlockingThreads, lang);
    let procs = growth(r, g, Model::ProcessPool, lang);
    let others: Vec<String> = [Model::EventLoop, Model::EventLoopPool]
        .into_iter()
        .filter_map(|m| growth(r, g, m, lang).map(|(t, _, _)| t))
        .collect();
    let (t, t_lead, t_ratio) = threads?;
    let mut parts = vec![t];
    let procs_scaled = procs.as_ref().is_some_and(|(_, l, _)| *l == Lead::A);
    if let Some((p, _, _)) = &procs {
        parts.push(p.clone());
    }
    parts.extend(others);
    // Threads grew by less than 30 % (or fell) while processes grew: the
    // GIL; threads grew beyond the repetitions' agreement: the code
    // released it (hashlib does on large buffers).
    let p_ratio = procs.as_ref().map_or(f64::NAN, |(_, _, r)| *r);
    let reps = |m: Model| {
        let (lo, hi) = (*g.concurrencies.first()?, *g.concurrencies.last()?);
        let c = compare(best(r, g, m, hi)?, best(r, g, m, lo)?, Figure::Throughput);
        c.paired
            .then(|| super::super::claims::per_rep_text(&c, lang))
    };
    let (t_reps, p_reps) = (
        reps(Model::BlockingThreads).unwrap_or_default(),
        reps(Model::ProcessPool).unwrap_or_default(),
    );
    let verdict = match (t_lead == Lead::A && t_ratio >= 1.3, procs_scaled, lang) {
        (false, true, Lang::En) => format!(" Threads did {} their rate at {lo} in flight{t_reps} where processes did {}{p_reps}: the GIL lets one thread run Python code at a time, and each process has its own.", times(t_ratio), times(p_ratio)),
        (false, true, Lang::Fr) => format!(" Les threads ont fait {} leur débit à {lo} en cours{t_reps} quand les processus faisaient {}{p_reps} : le GIL ne laisse qu'un thread exécuter du code Python à la fois, et chaque processus a le sien.", times(t_ratio), times(p_ratio)),
        (true, _, Lang::En) => " Threads gained here: this code releases the GIL while it computes (hashlib's SHA-256 does on large buffers), the exception to \"threads cannot compute in parallel in Python\".".to_string(),
        (true, _, Lang::Fr) => " Les threads ont gagné ici : ce code relâche le GIL pendant qu'il calcule (le SHA-256 de hashlib le fait sur de grands tampons), l'exception à « les threads ne calculent pas en parallèle en Python ».".to_string(),
        (false, false, Lang::En) => " Neither threads nor processes gained in every repetition here.".to_string(),
        (false, false, Lang::Fr) => " Ni les threads ni les processus n'ont gagné à chaque répétition ici.".to_string(),
    };
    let beyond = beyond_cores(r, g, lo, lang);
    Some(match lang {
        Lang::En => format!(
            "{}: from {lo} to {hi} requests in flight on {} cores — {}.{verdict}{beyond}",
            g.label,
            r.cpus,
            parts.join("; ")
        ),
        Lang::Fr => format!(
            "{} : de {lo} à {hi} requêtes en cours sur {} cœurs — {}.{verdict}{beyond}",
            g.label,
            r.cpus,
            parts.join(" ; ")
        ),
    })
}

/// A model that grew by more than the machine's cores from the group's
/// lowest concurrency cannot owe it all to parallelism: at that lowest
/// concurrency its CPUs were partly idle (the request travelled between
/// processes, or waited on the loop), and more requests in flight filled
/// the gaps. Said with the CPU busy at that point (its rate times its CPU
/// per request), so a "3.64x on 2 cores" reads for what it is.
fn beyond_cores(r: &Report, g: &Group, lo: usize, lang: Lang) -> String {
    let hi = g.concurrencies.last().copied().unwrap_or(lo);
    let cores = r.cpus.max(1) as f64;
    let mut out = Vec::new();
    for m in [
        Model::BlockingThreads,
        Model::ProcessPool,
        Model::EventLoop,
        Model::EventLoopPool,
    ] {
        let (Some(a), Some(b)) = (best(r, g, m, lo), best(r, g, m, hi)) else {
            continue;
        };
        let growth = b.throughput.median / a.throughput.median;
        if growth.is_nan() || growth <= cores * 1.05 {
            continue;
        }
        // The figure printed is the ratio of medians, so it is the one
        // explained; but a ratio of medians can pair a slow repetition at
        // one end with a fast one at the other (2.46x from 3.02x, 2.03x and
        // 1.97x), and then the sentence says that not every repetition
        // went past the cores.
        let c = compare(b, a, Figure::Throughput);
        let reps = if c.paired {
            super::super::claims::per_rep_text(&c, lang)
        } else {
            String::new()
        };
        let some_within = c.paired && c.ratios.iter().any(|&g| g <= cores * 1.05);
        let reps = match (some_within, lang) {
            (false, _) => reps,
            (true, Lang::En) => format!("{reps}, past the cores in the ratio of medians but not in every repetition,"),
            (true, Lang::Fr) => format!("{reps}, au-delà des cœurs dans le rapport des médianes mais pas à chaque répétition,"),
        };
        let busy = a.throughput.median * a.cpu_ns.median / 1e9;
        let (cpu_lo, cpu_hi) = (
            human::duration_ns(a.cpu_ns.median),
            human::duration_ns(b.cpu_ns.median),
        );
        // Each cause named only where its number shows it: a core left
        // partly idle at the lowest concurrency (one request at a time
        // keeps at most one busy), a request that cost less CPU further up.
        let idle = busy < 0.9;
        let cheaper = b.cpu_ns.median < 0.95 * a.cpu_ns.median;
        let because = match (idle, cheaper, lang) {
            (true, true, Lang::En) => "idle time filled and cheaper requests count in the gain, not parallelism alone",
            (true, false, Lang::En) => "idle time filled counts in the gain, not parallelism alone",
            (false, true, Lang::En) => "cheaper requests count in the gain, not parallelism alone",
            (false, false, Lang::En) => "neither idle time nor cheaper requests explain it: read its repetitions in summary.csv",
            (true, true, Lang::Fr) => "le gain vient donc aussi de temps mort comblé et de requêtes moins chères, pas du seul parallélisme",
            (true, false, Lang::Fr) => "le gain vient donc aussi de temps mort comblé, pas du seul parallélisme",
            (false, true, Lang::Fr) => "le gain vient donc aussi de requêtes moins chères, pas du seul parallélisme",
            (false, false, Lang::Fr) => "ni du temps mort ni des requêtes moins chères ne l'expliquent : lisez ses répétitions dans summary.csv",
        };
        out.push(match lang {
            Lang::En => format!(
                "{} {}{reps} on {} cores: at {lo} in flight it kept {busy:.2} cores busy at {cpu_lo} of CPU per request ({cpu_hi} at {hi}), so {because}",
                model_label(m, lang),
                times(growth),
                r.cpus,
            ),
            Lang::Fr => format!(
                "{} {}{reps} sur {} cœurs : à {lo} en cours ce modèle occupait {busy:.2} cœur à {cpu_lo} de CPU par requête ({cpu_hi} à {hi}), {because}",
                model_label(m, lang),
                times(growth),
                r.cpus,
            ),
        });
    }
    if out.is_empty() {
        return String::new();
    }
    match lang {
        Lang::En => format!(" More than the cores can give: {}.", out.join("; ")),
        Lang::Fr => format!(
            " Plus que ce que les cœurs peuvent donner : {}.",
            out.join(" ; ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::sentences;
    use super::super::tests::{cpu, py_report};
    use crate::lang::Lang;
    use crate::report::model::testing::point;

    /// Issue 20: the GIL shown, not told — the sentence follows the
    /// numbers: threads flat and processes up on a byte loop; threads up
    /// where the code releases the GIL.
    #[test]
    fn the_gil_is_read_from_the_numbers() {
        let r = py_report(vec![cpu("cpu-py [python]", &[118.0, 119.0, 121.0])]);
        let s = sentences(&r, Lang::En);
        assert!(
            s[0].contains("the GIL lets one thread run Python code at a time")
                && s[0].contains("blocking threads 125 → 119 req/s (0.95x)"),
            "{}",
            s[0]
        );
        let r = py_report(vec![cpu("cpu-hash [python]", &[230.0, 240.0, 235.0])]);
        let s = sentences(&r, Lang::En);
        assert!(
            s[0].contains("Threads gained here: this code releases the GIL"),
            "{}",
            s[0]
        );
        assert!(!s[0].contains("lets one thread"), "{}", s[0]);
    }

    /// Reviewer finding: py-procs grew 2.17x (and 3.64x on cpu-hash) on 2
    /// cores with no word on how. Past the cores, the sentence gives the
    /// CPU busy at the lowest concurrency and both CPU costs; within them,
    /// it says nothing.
    #[test]
    fn growth_past_the_cores_is_explained_by_its_numbers() {
        // The fixture's processes: 81 → 203 req/s (2.50x), 12 ms then 10 ms
        // of CPU per request: 0.97 cores busy at 1 in flight.
        let r = py_report(vec![cpu("cpu-py [python]", &[118.0, 119.0, 121.0])]);
        let s = sentences(&r, Lang::En);
        assert!(
            s[0].contains("More than the cores can give: process pool 2.51x (2.50x, 2.51x, 2.51x by repetition) on 2 cores: at 1 in flight it kept 0.97 cores busy at 12.00ms of CPU per request (10.00ms at 8), so cheaper requests count in the gain, not parallelism alone"),
            "{}",
            s[0]
        );
        let f = sentences(&r, Lang::Fr);
        assert!(f[0].contains("ce modèle occupait 0.97 cœur"), "{}", f[0]);
        // Half a core busy at C = 1 and the same CPU per request at 8:
        // idle time filled, and no word of cheaper requests.
        let mut idle = cpu("cpu-py [python]", &[118.0, 119.0, 121.0]);
        for p in idle.points.iter_mut().filter(|p| p.engine == "py-procs") {
            p.cpu_ns = crate::report::model::Stat::of(&[6e6, 6e6, 6e6]);
        }
        let s = sentences(&py_report(vec![idle]), Lang::En);
        assert!(
            s[0].contains("it kept 0.49 cores busy at 6.00ms of CPU per request (6.00ms at 8), so idle time filled counts in the gain, not parallelism alone"),
            "{}",
            s[0]
        );
        // Reviewer findings: 2.46x of the medians from 3.02x, 2.03x and
        // 1.97x by repetition. One repetition within the cores: the
        // medians' ratio alone does not show growth past them, and the
        // sentence says so; but a printed 2.46x on 2 cores is explained
        // all the same.
        let mut one = cpu("cpu-py [python]", &[118.0, 119.0, 121.0]);
        for p in one
            .points
            .iter_mut()
            .filter(|p| p.engine == "py-procs" && p.concurrency == 8)
        {
            *p = point("py-procs", 8, &[200.0, 150.0, 203.0], 10000.0, 4.0);
        }
        let s = sentences(&py_report(vec![one]), Lang::En);
        assert!(
            s[0].contains("More than the cores can give: process pool")
                && s[0].contains("by repetition), past the cores in the ratio of medians but not in every repetition, on 2 cores"),
            "{}",
            s[0]
        );
        // 1.9x on 2 cores: nothing to explain.
        let mut g = cpu("cpu-py [python]", &[118.0, 119.0, 121.0]);
        for p in g
            .points
            .iter_mut()
            .filter(|p| p.engine == "py-procs" && p.concurrency == 8)
        {
            p.throughput = crate::report::model::Stat::of(&[154.0, 154.0, 154.0]);
        }
        let s = sentences(&py_report(vec![g]), Lang::En);
        assert!(!s[0].contains("More than the cores"), "{}", s[0]);
    }
}
