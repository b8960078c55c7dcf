//! report.md: verdicts, take-aways and every figure as tables.

use super::model::Report;
use super::tables;
use super::verdict;
use super::Render;
use crate::lang::Lang;

pub struct Markdown;

fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let cell = |s: &str| s.replace('|', "\\|");
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out.push('\n');
}

impl Render for Markdown {
    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn render(&self, r: &Report, lang: Lang) -> Vec<u8> {
        let mut o = String::new();
        o.push_str(&format!("# iobound report: {}\n\n", r.info.run_id));
        for f in tables::run_facts(r) {
            o.push_str(&format!("- {f}\n"));
        }
        o.push_str("\nCharts of every figure below are in [report.html](report.html).\n\n");
        let verdicts = verdict::all(r);
        o.push_str("## Verdicts\n\n");
        if verdicts.is_empty() {
            o.push_str("No workload has results from more than one engine.\n\n");
        } else {
            o.push_str(
                "Per workload, at the highest concurrency every engine ran. A lead counts \
                 only when the runs' ranges do not overlap.\n\n",
            );
            table(
                &mut o,
                &tables::verdict_header(Lang::En),
                &tables::verdict_rows(&verdicts, Lang::En),
            );
        }
        o.push_str("## What to take away\n\n");
        for t in verdict::takeaways(r, &verdicts, Lang::En) {
            o.push_str(&format!("- {t}\n"));
        }
        if lang == Lang::Fr {
            o.push_str("\n## À retenir\n\n");
            for t in verdict::takeaways(r, &verdicts, Lang::Fr) {
                o.push_str(&format!("- {t}\n"));
            }
        }
        o.push_str("\n## Results by workload\n\n");
        for g in &r.groups {
            o.push_str(&format!("### {}\n\n", g.label));
            table(&mut o, &tables::group_header(g), &tables::group_rows(g));
        }
        let rows = tables::not_run_rows(r);
        if !rows.is_empty() {
            o.push_str("## Cells without results\n\n");
            table(&mut o, &["cell", "status", "reason"], &rows);
        }
        o.into_bytes()
    }
}
