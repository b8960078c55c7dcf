//! The section's opening line, and the Python groups whose requests are
//! not the Rust groups' of the same workload.

use iobound_workloads::Class;

use super::super::model::{Group, Report};
use super::has_python;
use crate::lang::Lang;
use crate::output::human;

/// The section's opening line, and where a Python group's requests are
/// not the Rust groups' of the same workload (a Python request can cost
/// 100 times a Rust one, so a suite may give it less to hash): the reader
/// must not take "the same workloads" for "the same requests" there.
pub fn intro(r: &Report, lang: Lang) -> String {
    let head = lang.pick(
        "The lesson is about Python: here the lesson's workloads ran on Python's own models — asyncio (and uvloop where installed), threading, a multiprocessing pool, asyncio handing computations to a process pool — started by iobound as a Python program, against the same servers and files. Their figures are in each workload's table below.",
        "La leçon parle de Python : ici les charges de la leçon ont tourné sur les modèles de Python — asyncio (et uvloop s'il est installé), threading, un pool multiprocessing, asyncio confiant les calculs à un pool de processus — lancés par iobound comme un programme Python, contre les mêmes serveurs et fichiers. Leurs chiffres sont dans la table de chaque charge, plus bas.",
    );
    let differ = differing_params(r, lang);
    if differ.is_empty() {
        return head.to_string();
    }
    match lang {
        Lang::En => format!(
            "{head} Not the same requests as the Rust groups of the same workload: {}.",
            differ.join("; ")
        ),
        Lang::Fr => format!(
            "{head} Pas les mêmes requêtes que les groupes Rust de la même charge : {}.",
            differ.join(" ; ")
        ),
    }
}

/// Each Python group whose wait or hashed bytes no Rust group of its
/// workload shares, worded with both sides' values.
fn differing_params(r: &Report, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    for g in r.groups.iter().filter(|g| has_python(r, g)) {
        let rust: Vec<&Group> = r
            .groups
            .iter()
            .filter(|x| !has_python(r, x) && x.workload == g.workload)
            .collect();
        // Hashed bytes matter only where the workload computes.
        let computes = g.class != Some(Class::IoBound);
        let same = |x: &&Group| {
            x.params.wait_ns == g.params.wait_ns
                && (!computes || x.params.work_bytes == g.params.work_bytes)
        };
        if rust.is_empty() || rust.iter().any(same) {
            continue;
        }
        let values = |f: fn(&Group) -> Option<String>| {
            let mut v: Vec<String> = Vec::new();
            for s in rust.iter().filter_map(|x| f(x)) {
                if !v.contains(&s) {
                    v.push(s);
                }
            }
            (f(g), v.join(", "))
        };
        let wait = |x: &Group| x.params.wait_ns.map(|n| human::duration_ns(n as f64));
        let work = |x: &Group| x.params.work_bytes.map(|b| human::bytes(b as f64));
        let mut parts = Vec::new();
        let (w_py, w_rs) = values(wait);
        if w_py.is_some() && rust.iter().all(|x| x.params.wait_ns != g.params.wait_ns) {
            parts.push(match lang {
                Lang::En => format!("{} wait (Rust: {w_rs})", w_py.unwrap_or_default()),
                Lang::Fr => format!("attente {} (Rust : {w_rs})", w_py.unwrap_or_default()),
            });
        }
        let (b_py, b_rs) = values(work);
        if computes
            && b_py.is_some()
            && rust
                .iter()
                .all(|x| x.params.work_bytes != g.params.work_bytes)
        {
            parts.push(match lang {
                Lang::En => format!("{} hashed (Rust: {b_rs})", b_py.unwrap_or_default()),
                Lang::Fr => format!("{} hachés (Rust : {b_rs})", b_py.unwrap_or_default()),
            });
        }
        if parts.is_empty() {
            // Each value is shared with some Rust group, but no one group
            // has both: say the combination is new.
            parts.push(
                lang.pick(
                    "a combination no Rust group ran",
                    "une combinaison qu'aucun groupe Rust n'a mesurée",
                )
                .to_string(),
            );
        }
        out.push(match lang {
            Lang::En => format!("{}: {}", g.label, parts.join(", ")),
            Lang::Fr => format!("{} : {}", g.label, parts.join(", ")),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::{cpu, py_report};
    use super::*;
    use crate::report::model::testing::{group, point};

    /// Reviewer finding (issue 18): the section said "the same requests"
    /// while the Python cpu-hash group hashed 64 KiB and the Rust one
    /// 256 KiB. The intro names such a group; with equal parameters it
    /// names none.
    #[test]
    fn the_intro_names_python_groups_whose_requests_differ() {
        let mut py = cpu("cpu-hash [python]", &[230.0, 240.0, 235.0]);
        py.params.work_bytes = Some(64 << 10);
        let mut rust = group(
            "cpu-hash",
            Class::CpuBound,
            vec![point("threads", 1, &[1.0], 1.0, 1.0)],
        );
        rust.params.work_bytes = Some(256 << 10);
        let r = py_report(vec![rust.clone(), py.clone()]);
        let s = intro(&r, Lang::En);
        assert!(
            s.contains("Not the same requests as the Rust groups of the same workload: cpu-hash [python]: 64.0KiB hashed (Rust: 256.0KiB)."),
            "{s}"
        );
        rust.params.work_bytes = Some(64 << 10);
        let r = py_report(vec![rust, py]);
        assert!(!intro(&r, Lang::En).contains("Not the same"));
    }
}
