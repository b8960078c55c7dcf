//! report.md: the same report as report.html, in tables: the answer first
//! (one sentence per class of work, the decision map, the claims), then the
//! details. Charts are in report.html.

use super::charts;
use super::claims;
use super::map;
use super::model::Report;
use super::runtimes;
use super::tables;
use super::Render;
use crate::lang::Lang;

pub struct Markdown;

fn table<S: AsRef<str>>(out: &mut String, header: &[S], rows: &[Vec<String>]) {
    let cell = |s: &str| s.replace('|', "\\|");
    let header: Vec<String> = header.iter().map(|h| cell(h.as_ref())).collect();
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
}

fn bullets(o: &mut String, items: &[String]) {
    for i in items {
        o.push_str(&format!("- {i}\n"));
    }
    o.push('\n');
}

impl Render for Markdown {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn render(&self, r: &Report, lang: Lang) -> Vec<u8> {
        let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
        let mut o = String::new();
        o.push_str(&format!(
            "# {} {}\n\n{}\n\n",
            t("iobound report:", "Rapport iobound :"),
            r.info.run_id,
            tables::short_facts(r, lang)
        ));
        if let Some(w) = tables::busy_warning(r, lang) {
            o.push_str(&format!("> {w}\n\n"));
        }
        o.push_str(&format!(
            "{}\n\n",
            t(
                "Charts of every figure are in [report.html](report.html).",
                "Les graphiques de chaque chiffre sont dans [report.html](report.html)."
            )
        ));
        o.push_str(&format!("{}\n\n", tables::terms_line(lang)));

        let cs = claims::all(r);
        answer(&mut o, r, &cs, lang);
        how_to_read(&mut o, r, lang);
        ceilings(&mut o, r, &cs, lang);
        predicted(&mut o, r, lang);
        runtimes_section(&mut o, r, lang);
        redis_section(&mut o, r, lang);
        results(&mut o, r, lang);
        o.into_bytes()
    }
}

/// The answer: one sentence per class of work, the decision map, the
/// lesson's claims (and the Python ones).
fn answer(o: &mut String, r: &Report, cs: &[claims::Claim], lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!("## {}\n\n", t("The answer", "La réponse")));
    bullets(o, &super::python::answer(r, cs, lang));
    if let Some(m) = map::build(r) {
        o.push_str(&format!("### {}\n\n", tables::map_title(&m, lang)));
        table(
            o,
            &tables::map_header(&m, lang),
            &tables::map_rows(&m, lang),
        );
        o.push_str(&format!("{}\n\n", tables::map_note(lang)));
    }
    o.push_str(&format!(
        "### {}\n\n",
        t(
            "The lesson's claims, measured",
            "Les affirmations de la leçon, mesurées"
        )
    ));
    let py_claims = super::python::claims(r);
    table(
        o,
        &tables::claims_header(py_claims.is_some(), lang),
        &tables::claims_rows(cs, py_claims.as_deref(), lang),
    );
    let py = super::python::sentences(r, lang);
    if !py.is_empty() {
        o.push_str(&format!(
            "### {}\n\n{}\n\n",
            t(
                "The lesson in Python, measured",
                "La leçon en Python, mesurée"
            ),
            super::python::intro(r, lang)
        ));
        bullets(o, &py);
    }
}

/// How to read this, and the C10k curve.
fn how_to_read(o: &mut String, r: &Report, lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!(
        "## {}\n\n",
        t("How to read this", "Comment lire ce rapport")
    ));
    let mut how = tables::how_to_read(r, lang);
    how.push(tables::engines_line(r, lang));
    bullets(o, &how);
    if let Some(g) = charts::sweep_group(r) {
        o.push_str(&format!(
            "## {}\n\n{}\n\n",
            match lang {
                Lang::En => format!("The C10k curve: {}", g.label),
                Lang::Fr => format!("La courbe C10k : {}", g.label),
            },
            tables::c10k_text(r, g, lang)
        ));
        o.push_str(&format!(
            "{}\n\n",
            t(
                "The figure is in report.html; its medians, below (every figure of the sweep is in its workload's table further down).",
                "La figure est dans report.html ; ses médianes, ci-dessous (tous les chiffres du balayage sont dans la table de sa charge, plus bas)."
            )
        ));
        let (header, rows) = tables::c10k_table(g, lang);
        table(o, &header, &rows);
    }
}

/// The ceilings, and the claims in detail.
fn ceilings(o: &mut String, r: &Report, cs: &[claims::Claim], lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    let bounds = tables::bounds_rows(r, lang);
    if !bounds.is_empty() {
        o.push_str(&format!("## {}\n\n", t("Ceilings", "Plafonds")));
        o.push_str(&format!(
            "{}\n\n",
            t(
                "Each engine at the highest concurrency every engine of its workload ran, against the lowest of its ceilings computed from this run's own measurements:",
                "Chaque moteur à la plus haute concurrence commune de sa charge, face au plus bas de ses plafonds calculés à partir des mesures de ce rapport :"
            )
        ));
        bullets(o, &super::bounds::how(r, lang));
        table(o, &tables::bounds_header(lang), &bounds);
        let notes = tables::bounds_notes(r, lang);
        if !notes.is_empty() {
            bullets(o, &notes);
        }
    }
    let details = tables::claim_detail_rows(cs, lang);
    if !details.is_empty() {
        o.push_str(&format!(
            "## {}\n\n",
            t("The claims in detail", "Les affirmations en détail")
        ));
        table(o, &tables::claim_detail_header(lang), &details);
    }
}

/// Predicted vs measured: the closed-loop prediction from each engine's
/// C = 1 cell against every higher concurrency it ran.
fn predicted(o: &mut String, r: &Report, lang: Lang) {
    let s = super::predict::build(r);
    o.push_str(&format!(
        "## {}\n\n{}\n\n",
        tables::predict_title(lang),
        tables::predict_intro(lang)
    ));
    let rows = tables::predict_rows(&s, lang);
    if !rows.is_empty() {
        table(o, &tables::predict_header(lang), &rows);
    }
    bullets(o, &tables::predict_sentences(&s, lang));
}

/// The runtimes compared, and the thread pool against the process pool.
/// The simulated database beside Redis, when the run measured (or tried) Redis.
fn redis_section(o: &mut String, r: &Report, lang: Lang) {
    let Some(s) = super::redis::section(r, lang) else {
        return;
    };
    o.push_str(&format!("## {}\n\n", super::redis::title(lang)));
    if !s.rows.is_empty() {
        table(o, &s.header, &s.rows);
    }
    bullets(o, &s.sentences);
}

fn runtimes_section(o: &mut String, r: &Report, lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!(
        "## {}\n\n{}\n\n",
        t("Runtimes", "Environnements d'exécution"),
        tables::runtimes_text(r, lang)
    ));
    let rows = runtimes::rows(r);
    if !rows.is_empty() {
        table(
            o,
            &tables::runtimes_header(lang),
            &tables::runtime_rows(&rows, lang),
        );
    }
    let pools = runtimes::pools(r);
    if !pools.is_empty() {
        o.push_str(&format!(
            "### {}\n\n",
            t(
                "Thread pool against process pool",
                "Pool de threads contre pool de processus"
            )
        ));
        table(
            o,
            &tables::runtimes_header(lang),
            &tables::runtime_rows(&pools, lang),
        );
    }
}

/// Each workload's table, the run's facts and the cells without results.
fn results(o: &mut String, r: &Report, lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!(
        "## {}\n\n",
        t("Results by workload", "Résultats par charge")
    ));
    for g in &r.groups {
        o.push_str(&format!(
            "### {} ({})\n\n",
            g.label,
            tables::class_of(g, lang)
        ));
        if let Some(t) = tables::gist_text(g, lang) {
            o.push_str(&format!(
                "{t}

"
            ));
        }
        table(
            o,
            &tables::group_header(g, lang),
            &tables::group_rows(r, g, lang),
        );
        if let Some(t) = tables::sustainable_text(r, g, lang) {
            o.push_str(&format!("{t}\n\n"));
        }
    }
    o.push_str(&format!("## {}\n\n", t("The run", "La mesure")));
    bullets(o, &tables::run_facts(r, lang));
    let rows = tables::not_run_rows(r, lang);
    if !rows.is_empty() {
        o.push_str(&format!(
            "## {}\n\n",
            t("Cells without results", "Cellules sans résultat")
        ));
        table(o, &tables::not_run_header(lang), &rows);
    }
}
