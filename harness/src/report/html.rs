//! report.html: one self-contained page (inline CSS and SVG, no script, no
//! font or network fetch), written as well-formed XHTML so any XML parser
//! reads it.

use super::charts;
use super::model::Report;
use super::svg::esc;
use super::tables;
use super::verdict;
use super::Render;
use crate::lang::Lang;

pub struct Html;

const STYLE: &str = "body{font-family:sans-serif;max-width:1340px;margin:24px auto;padding:0 16px;color:#222}\
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px;text-align:left}\
th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\
.charts{display:flex;flex-wrap:wrap;gap:12px}svg.chart{border:1px solid #ddd}\
li{margin:4px 0}";

fn table(o: &mut String, header: &[&str], rows: &[Vec<String>]) {
    o.push_str("<table><thead><tr>");
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

fn list(o: &mut String, items: &[String]) {
    o.push_str("<ul>");
    for i in items {
        o.push_str(&format!("<li>{}</li>", esc(i)));
    }
    o.push_str("</ul>\n");
}

impl Render for Html {
    fn file_name(&self) -> &'static str {
        "report.html"
    }

    fn render(&self, r: &Report, lang: Lang) -> Vec<u8> {
        let title = format!("iobound report: {}", r.info.run_id);
        let mut o = String::new();
        o.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\"><head><meta charset=\"utf-8\"/>");
        o.push_str(&format!(
            "<title>{}</title><style>{STYLE}</style></head><body>\n",
            esc(&title)
        ));
        o.push_str(&format!("<h1>{}</h1>\n", esc(&title)));
        list(&mut o, &tables::run_facts(r));
        let verdicts = verdict::all(r);
        o.push_str("<h2>Verdicts</h2>\n");
        if verdicts.is_empty() {
            o.push_str("<p>No workload has results from more than one engine.</p>\n");
        } else {
            o.push_str("<p>Per workload, at the highest concurrency every engine ran. A lead counts only when the runs' ranges do not overlap.</p>\n");
            table(
                &mut o,
                &tables::verdict_header(Lang::En),
                &tables::verdict_rows(&verdicts, Lang::En),
            );
        }
        o.push_str("<h2>What to take away</h2>\n");
        list(&mut o, &verdict::takeaways(r, &verdicts, Lang::En));
        if lang == Lang::Fr {
            o.push_str("<h2 lang=\"fr\">À retenir</h2>\n<div lang=\"fr\">");
            list(&mut o, &verdict::takeaways(r, &verdicts, Lang::Fr));
            o.push_str("</div>\n");
        }
        for g in &r.groups {
            o.push_str(&format!(
                "<h2>{}</h2>\n<div class=\"charts\">",
                esc(&g.label)
            ));
            o.push_str(&charts::throughput(r, g).svg);
            o.push_str(&charts::p99(r, g).svg);
            if let Some(c) = charts::spectrum(r, g) {
                o.push_str(&c.svg);
            }
            o.push_str("</div>\n");
            table(&mut o, &tables::group_header(g), &tables::group_rows(g));
        }
        if !r.groups.is_empty() {
            o.push_str("<h2>Cost per engine</h2>\n<div class=\"charts\">");
            o.push_str(&charts::cpu(r).svg);
            o.push_str(&charts::threads(r).svg);
            o.push_str("</div>\n");
        }
        let rows = tables::not_run_rows(r);
        if !rows.is_empty() {
            o.push_str("<h2>Cells without results</h2>\n");
            table(&mut o, &["cell", "status", "reason"], &rows);
        }
        o.push_str("</body></html>\n");
        o.into_bytes()
    }
}
