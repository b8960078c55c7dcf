//! report.html: one self-contained page (inline CSS and SVG, no script, no
//! font or network fetch), written as well-formed XHTML so any XML parser
//! reads it. The answer comes first — one sentence per class of work, the
//! decision map and the claims — and the details follow.

use iobound_workloads::Model;

use super::charts;
use super::claims;
use super::map::{self, Winner};
use super::model::Report;
use super::runtimes;
use super::svg::esc;
use super::tables;
use super::verdict::Figure;
use super::Render;
use crate::lang::Lang;

pub struct Html;

const STYLE: &str = "body{font-family:sans-serif;max-width:1340px;margin:16px auto;padding:0 16px;color:#222}\
h1{font-size:22px;margin:4px 0}h2{font-size:18px;margin:18px 0 6px}h3{font-size:15px;margin:10px 0 4px}\
p.facts{font-size:12px;color:#555;margin:2px 0 6px}p.warn{font-size:13px;background:#fff4d6;border-left:3px solid #d9a400;padding:4px 8px}\
table{border-collapse:collapse;margin:6px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left;vertical-align:top}\
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.charts{display:flex;flex-wrap:wrap;gap:12px}svg.chart{border:1px solid #ddd}\
li{margin:3px 0}ul.classes{margin:4px 0 8px;padding-left:20px;font-size:14px}\
.answer{display:flex;flex-direction:column}\
table.map td{min-width:160px;font-size:12px}table.map td.w{font-weight:bold;background:#f4f4f4}\
table.claims{width:100%}table.claims td{font-size:12px}table.claims td.c{width:30%}table.claims td.m{width:20%}table.claims td.why{color:#444}td.v{white-space:nowrap;font-weight:bold}\
p.note{font-size:12px;color:#555;margin:0 0 8px}span.sw{display:inline-block;width:10px;height:10px;margin-right:4px;border:1px solid #888}";

/// A strong and a light colour per model: the map's cells and key.
fn model_colour(m: Model) -> (&'static str, &'static str) {
    match m {
        Model::BlockingThreads => ("#1f77b4", "#d6e6f4"),
        Model::EventLoop => ("#ff7f0e", "#ffe2c6"),
        Model::EventLoops => ("#8c564b", "#ead7d2"),
        Model::Pool => ("#2ca02c", "#d4efd4"),
        Model::ProcessPool => ("#bcbd22", "#f1f1c4"),
        Model::EventLoopPool => ("#9467bd", "#e6dcf1"),
    }
}

fn table(o: &mut String, class: &str, header: &[&str], rows: &[Vec<String>]) {
    if class.is_empty() {
        o.push_str("<table><thead><tr>");
    } else {
        o.push_str(&format!("<table class=\"{class}\"><thead><tr>"));
    }
    for h in header {
        o.push_str(&format!("<th>{}</th>", esc(h)));
    }
    o.push_str("</tr></thead><tbody>");
    for r in rows {
        o.push_str("<tr>");
        for c in r {
            let numeric = c.parse::<f64>().is_ok();
            o.push_str(&format!(
                "<td{}>{}</td>",
                if numeric { " class=\"n\"" } else { "" },
                esc(c)
            ));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>\n");
}

fn list(o: &mut String, class: &str, items: &[String]) {
    if class.is_empty() {
        o.push_str("<ul>");
    } else {
        o.push_str(&format!("<ul class=\"{class}\">"));
    }
    for i in items {
        o.push_str(&format!("<li>{}</li>", esc(i)));
    }
    o.push_str("</ul>\n");
}

fn figure_html(f: &map::MapFigure, fig: Figure, label: &str, lang: Lang) -> String {
    let swatch = match &f.winner {
        Winner::Model { model, .. } => format!(
            "<span class=\"sw\" style=\"background:{}\"></span>",
            model_colour(*model).0
        ),
        _ => String::new(),
    };
    format!(
        "<div>{label} {swatch}{}</div>",
        esc(&tables::figure_text(f, fig, lang))
    )
}

fn decision_map(o: &mut String, m: &map::DecisionMap, lang: Lang) {
    o.push_str(&format!("<h3>{}</h3>\n", esc(&tables::map_title(m, lang))));
    o.push_str("<table class=\"map\"><thead><tr>");
    for h in tables::map_header(m, lang) {
        o.push_str(&format!("<th>{}</th>", esc(&h)));
    }
    o.push_str("</tr></thead><tbody>");
    for &wait in &m.waits {
        o.push_str(&format!(
            "<tr><td class=\"w\">{}</td>",
            esc(&tables::wait_text(wait))
        ));
        for &work in &m.works {
            match m.cell(wait, work) {
                Some(c) => {
                    let bg = match &c.throughput.winner {
                        Winner::Model { model, .. } => model_colour(*model).1,
                        _ => "#ffffff",
                    };
                    o.push_str(&format!(
                        "<td style=\"background:{bg}\" title=\"{}\">{}{}</td>",
                        esc(&c.group),
                        figure_html(
                            &c.throughput,
                            Figure::Throughput,
                            lang.pick("req/s —", "requêtes/s —"),
                            lang
                        ),
                        figure_html(&c.p99, Figure::P99, "p99 —", lang)
                    ));
                }
                None => o.push_str("<td>-</td>"),
            }
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>\n");
    o.push_str(&map_key(m, lang));
    o.push_str(&format!(
        "<p class=\"note\">{}</p>\n",
        esc(tables::map_note(lang))
    ));
}

/// The colours' key: a case's background is its leader on requests per
/// second, the swatch before each figure its leader on that figure; white
/// is no leader (a tie or repetitions that disagree). Only the models that
/// lead somewhere are listed.
fn map_key(m: &map::DecisionMap, lang: Lang) -> String {
    let mut leaders: Vec<Model> = Vec::new();
    for &wait in &m.waits {
        for &work in &m.works {
            let Some(c) = m.cell(wait, work) else {
                continue;
            };
            for f in [&c.throughput, &c.p99] {
                if let Winner::Model { model, .. } = &f.winner {
                    if !leaders.contains(model) {
                        leaders.push(*model);
                    }
                }
            }
        }
    }
    let mut o = format!(
        "<p class=\"note\">{} ",
        esc(lang.pick(
            "Colours: a case's background is its leader on requests per second, the square before a figure that figure's leader; white, no leader.",
            "Couleurs : le fond d'une case est le premier en requêtes/s, le carré devant un chiffre le premier pour ce chiffre ; blanc, pas de premier.",
        ))
    );
    for l in leaders {
        let (strong, light) = model_colour(l);
        o.push_str(&format!(
            "<span class=\"sw\" style=\"background:{strong}\"></span><span style=\"background:{light}\">{}</span> ",
            esc(super::verdict::model_label(l, lang))
        ));
    }
    o.push_str("</p>\n");
    o
}

fn claims_table(o: &mut String, r: &Report, cs: &[claims::Claim], lang: Lang) {
    let py = super::python::claims(r);
    o.push_str("<table class=\"claims\"><thead><tr>");
    for h in tables::claims_header(py.is_some(), lang) {
        o.push_str(&format!("<th>{}</th>", esc(h)));
    }
    o.push_str("</tr></thead><tbody>");
    for row in tables::claims_rows(cs, py.as_deref(), lang) {
        o.push_str(&format!(
            "<tr><td class=\"v\">{}</td><td class=\"c\">{}</td><td class=\"m\">{}</td><td class=\"why\">{}</td>",
            esc(&row[0]),
            esc(&row[1]),
            esc(&row[2]),
            esc(&row[3])
        ));
        if let Some(p) = row.get(4) {
            o.push_str(&format!("<td class=\"m\">{}</td>", esc(p)));
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>\n");
}

impl Render for Html {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, r: &Report, lang: Lang) -> Vec<u8> {
        let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
        let title = format!(
            "{} {}",
            t("iobound report:", "Rapport iobound :"),
            r.info.run_id
        );
        let mut o = String::new();
        o.push_str(&format!(
            "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{}\"><head><meta charset=\"utf-8\"/>",
            t("en", "fr")
        ));
        o.push_str(&format!(
            "<title>{}</title><style>{STYLE}</style></head><body>\n",
            esc(&title)
        ));
        o.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
        o.push_str(&format!(
            "<p class=\"facts\">{}</p>\n",
            esc(&tables::short_facts(r, lang))
        ));
        if let Some(w) = tables::busy_warning(r, lang) {
            o.push_str(&format!("<p class=\"warn\">{}</p>\n", esc(&w)));
        }
        o.push_str(&format!(
            "<p class=\"note\">{}</p>\n",
            esc(tables::terms_line(lang))
        ));

        let cs = claims::all(r);
        answer(&mut o, r, &cs, lang);
        how_to_read(&mut o, r, lang);
        ceilings(&mut o, r, &cs, lang);
        predicted(&mut o, r, lang);
        runtimes_section(&mut o, r, lang);
        redis_section(&mut o, r, lang);
        results(&mut o, r, lang);
        o.push_str("</body></html>\n");
        o.into_bytes()
    }
}

/// The answer: one sentence per class of work, the decision map beside
/// the lesson's claims, and the Python ones.
fn answer(o: &mut String, r: &Report, cs: &[claims::Claim], lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!(
        "<h2 id=\"answer\">{}</h2>\n",
        t("The answer", "La réponse")
    ));
    list(o, "classes", &super::python::answer(r, cs, lang));
    o.push_str("<div class=\"answer\">");
    if let Some(m) = map::build(r) {
        o.push_str("<div class=\"map\">");
        decision_map(o, &m, lang);
        o.push_str("</div>");
    }
    o.push_str(&format!(
        "<div><h3>{}</h3>\n",
        t(
            "The lesson's claims, measured",
            "Les affirmations de la leçon, mesurées"
        )
    ));
    claims_table(o, r, cs, lang);
    o.push_str("</div></div>\n");
    let py = super::python::sentences(r, lang);
    if !py.is_empty() {
        o.push_str(&format!(
            "<h3 id=\"python\">{}</h3>\n<p>{}</p>\n",
            t(
                "The lesson in Python, measured",
                "La leçon en Python, mesurée"
            ),
            esc(&super::python::intro(r, lang))
        ));
        list(o, "", &py);
    }
}

/// How to read this, and the C10k curve with its charts.
fn how_to_read(o: &mut String, r: &Report, lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!(
        "<h2>{}</h2>\n",
        t("How to read this", "Comment lire ce rapport")
    ));
    list(
        o,
        "",
        &tables::how_to_read(r, lang)
            .into_iter()
            .chain([tables::engines_line(r, lang)])
            .collect::<Vec<_>>(),
    );
    if let Some(g) = charts::sweep_group(r) {
        o.push_str(&format!(
            "<h2 id=\"c10k\">{}</h2>\n<p>{}</p>\n<div class=\"charts\">",
            esc(&match lang {
                Lang::En => format!("The C10k curve: {}", g.label),
                Lang::Fr => format!("La courbe C10k : {}", g.label),
            }),
            esc(&tables::c10k_text(r, g, lang))
        ));
        for c in charts::sweep(r, g, lang) {
            o.push_str(&c.svg);
        }
        o.push_str("</div>\n");
    }
}

/// The ceilings, and the claims in detail.
fn ceilings(o: &mut String, r: &Report, cs: &[claims::Claim], lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    let bounds = tables::bounds_rows(r, lang);
    if !bounds.is_empty() {
        o.push_str(&format!("<h2>{}</h2>\n", t("Ceilings", "Plafonds")));
        o.push_str(&format!(
            "<p>{}</p>\n",
            esc(t(
                "Each engine at the highest concurrency every engine of its workload ran, against the lowest of its ceilings computed from this run's own measurements:",
                "Chaque moteur à la plus haute concurrence commune de sa charge, face au plus bas de ses plafonds calculés à partir des mesures de ce rapport :"
            ))
        ));
        list(o, "", &super::bounds::how(r, lang));
        table(o, "", &tables::bounds_header(lang), &bounds);
        let notes = tables::bounds_notes(r, lang);
        if !notes.is_empty() {
            list(o, "", &notes);
        }
    }
    let details = tables::claim_detail_rows(cs, lang);
    if !details.is_empty() {
        o.push_str(&format!(
            "<h2>{}</h2>\n",
            t("The claims in detail", "Les affirmations en détail")
        ));
        table(o, "", &tables::claim_detail_header(lang), &details);
    }
}

/// Predicted vs measured: the closed-loop prediction from each engine's
/// C = 1 cell against every higher concurrency it ran.
fn predicted(o: &mut String, r: &Report, lang: Lang) {
    let s = super::predict::build(r);
    o.push_str(&format!(
        "<h2 id=\"predicted\">{}</h2>\n<p>{}</p>\n",
        esc(tables::predict_title(lang)),
        esc(&tables::predict_intro(lang))
    ));
    let rows = tables::predict_rows(&s, lang);
    if !rows.is_empty() {
        table(o, "", &tables::predict_header(lang), &rows);
    }
    list(o, "", &tables::predict_sentences(&s, lang));
}

/// The runtimes compared, and the thread pool against the process pool.
/// The simulated database beside Redis, when the run measured (or tried) Redis.
fn redis_section(o: &mut String, r: &Report, lang: Lang) {
    let Some(s) = super::redis::section(r, lang) else {
        return;
    };
    o.push_str(&format!(
        "<h2 id=\"redis\">{}</h2>\n",
        esc(super::redis::title(lang))
    ));
    if !s.rows.is_empty() {
        let header: Vec<&str> = s.header.iter().map(String::as_str).collect();
        table(o, "", &header, &s.rows);
    }
    list(o, "", &s.sentences);
}

fn runtimes_section(o: &mut String, r: &Report, lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!(
        "<h2>{}</h2>\n",
        t("Runtimes", "Environnements d'exécution")
    ));
    o.push_str(&format!(
        "<p>{}</p>\n",
        esc(&tables::runtimes_text(r, lang))
    ));
    let rows = runtimes::rows(r);
    if !rows.is_empty() {
        table(
            o,
            "",
            &tables::runtimes_header(lang),
            &tables::runtime_rows(&rows, lang),
        );
    }
    let pools = runtimes::pools(r);
    if !pools.is_empty() {
        o.push_str(&format!(
            "<h3>{}</h3>\n",
            t(
                "Thread pool against process pool",
                "Pool de threads contre pool de processus"
            )
        ));
        table(
            o,
            "",
            &tables::runtimes_header(lang),
            &tables::runtime_rows(&pools, lang),
        );
    }
}

/// Each workload's charts and table, the run's facts and the cells
/// without results.
fn results(o: &mut String, r: &Report, lang: Lang) {
    let t = |en: &'static str, fr: &'static str| lang.pick(en, fr);
    o.push_str(&format!(
        "<h2>{}</h2>\n",
        t("Results by workload", "Résultats par charge")
    ));
    for g in &r.groups {
        o.push_str(&format!(
            "<h3>{} ({})</h3>\n",
            esc(&g.label),
            esc(tables::class_of(g, lang))
        ));
        if let Some(t) = tables::gist_text(g, lang) {
            o.push_str(&format!(
                "<p>{}</p>
",
                esc(&t)
            ));
        }
        o.push_str("<div class=\"charts\">");
        for c in charts::of_group(r, g, lang) {
            o.push_str(&c.svg);
        }
        o.push_str("</div>\n");
        table(
            o,
            "",
            &tables::group_header(g, lang),
            &tables::group_rows(r, g, lang),
        );
        if let Some(t) = tables::sustainable_text(r, g, lang) {
            o.push_str(&format!("<p>{}</p>\n", esc(&t)));
        }
    }
    o.push_str(&format!("<h2>{}</h2>\n", t("The run", "La mesure")));
    list(o, "", &tables::run_facts(r, lang));
    let rows = tables::not_run_rows(r, lang);
    if !rows.is_empty() {
        o.push_str(&format!(
            "<h2>{}</h2>\n",
            t("Cells without results", "Cellules sans résultat")
        ));
        table(o, "", &tables::not_run_header(lang), &rows);
    }
}
