//! Reports of a run: run.json read back into a model ([`model`]), the
//! lesson's claims checked from it by concurrency model ([`claims`]), the
//! decision map ([`map`]), ceilings ([`bounds`]), the closed-loop
//! prediction set against the run ([`predict`]), and renderers that turn
//! them into bytes — Markdown, self-contained HTML with SVG charts, CSV —
//! without I/O, in the run's one language. Only [`write_reports`] and
//! [`load`] touch files.

use std::path::{Path, PathBuf};

use crate::lang::Lang;

pub mod bounds;
pub mod charts;
pub mod claims;
pub mod compare;
pub mod csv;
pub mod html;
pub mod load;
pub mod map;
pub mod markdown;
pub mod model;
pub(crate) mod predict;
pub mod python;
pub mod redis;
pub mod runtimes;
pub mod svg;
pub mod tables;
pub mod verdict;

/// Schema of run.json, bumped when fields change meaning.
/// v3: a cell's `config` is its group's, named by `group_index` (v2 wrote
/// it, and the run's `system`, in every cell: a run.json twice the size).
pub const RUN_SCHEMA: &str = "iobound.run.v3";

/// One report format.
pub trait Render {
    fn file_name(&self) -> &'static str;
    /// The report in this format, every word of it in `lang`.
    fn render(&self, report: &model::Report, lang: Lang) -> Vec<u8>;
}

/// Every report format.
pub fn renderers() -> [&'static dyn Render; 2] {
    [&markdown::Markdown, &html::Html]
}

/// Writes summary.csv, report.md and report.html into `dir`.
pub fn write_reports(
    dir: &Path,
    run: &load::Run,
    lang: Lang,
) -> Result<(), (PathBuf, std::io::Error)> {
    let write = |name: &str, bytes: Vec<u8>| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| (path, e))
    };
    write("summary.csv", csv::render(run))?;
    let report = model::build(run);
    for r in renderers() {
        write(r.file_name(), r.render(&report, lang))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/small-run")
    }

    fn fixture() -> (serde_json::Value, load::Run) {
        let bytes = std::fs::read(fixture_dir().join("run.json")).unwrap();
        (
            serde_json::from_slice(&bytes).unwrap(),
            load::parse_run(&bytes).unwrap(),
        )
    }

    /// Compares with the golden file, or rewrites it with UPDATE_GOLDEN=1.
    fn golden(name: &str, got: &[u8]) {
        let path = fixture_dir().join("golden").join(name);
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, got).unwrap();
            return;
        }
        let want = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
                path.display()
            )
        });
        assert!(
            want == got,
            "{name} differs from {} (UPDATE_GOLDEN=1 rewrites it after review)",
            path.display()
        );
    }

    /// A cell's file stem, as the run wrote it, from its JSON.
    fn stem_of(c: &serde_json::Value) -> String {
        let key: crate::result::CellKey = serde_json::from_value(c["cell"].clone()).unwrap();
        key.stem(c["rep"].as_u64().map(|r| r as u32))
    }

    #[test]
    fn the_fixture_re_renders_byte_for_byte() {
        // run.json in, the reports the run wrote out: same bytes, in the
        // run's own language.
        let (_, run) = fixture();
        let dir = std::env::temp_dir().join(format!("iobound-rerender-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write_reports(&dir, &run, run.lang).unwrap();
        for name in ["summary.csv", "report.md", "report.html"] {
            golden(name, &std::fs::read(dir.join(name)).unwrap());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn renderers_match_their_golden_files_in_the_other_language() {
        let (_, run) = fixture();
        assert_eq!(run.lang, Lang::En, "the fixture was run in English");
        let report = model::build(&run);
        golden(
            "report.fr.md",
            &markdown::Markdown.render(&report, Lang::Fr),
        );
        golden("report.fr.html", &html::Html.render(&report, Lang::Fr));
    }

    #[test]
    fn the_decision_map_reads_wait_and_work_from_each_cells_config() {
        let (_, run) = fixture();
        let m = map::build(&model::build(&run)).expect("the fixture has a map");
        assert_eq!((m.workload.as_str(), m.concurrency), ("mixed-db", 16));
        assert_eq!(m.waits, [100_000, 2_000_000]);
        assert_eq!(m.works, [4096, 256 << 10]);
        assert_eq!(m.cells.len(), 4);
        // Labels tell the groups apart; the wait and work come from config.
        let c = m.cell(2_000_000, 4096).unwrap();
        assert_eq!(c.group, "mixed-db [w2ms-h4K]");
    }

    /// An outsider's finding: a workload file with db calls and a read
    /// from a warm cache was headed "warm page cache: nothing waits" and
    /// judged as the counter-example. Warm reads are "nothing waits" only
    /// in a workload that talks to no server.
    #[test]
    fn a_warm_cache_is_nothing_waits_only_without_a_server() {
        let (_, mut run) = fixture();
        let warm = |run: &load::Run| {
            let r = model::build(run);
            let g = r.groups.iter().find(|g| g.workload == "file-randread");
            g.expect("the fixture has file-randread").page_cache_warm
        };
        assert!(warm(&run));
        for c in run
            .cells
            .iter_mut()
            .filter(|c| c.key.workload == "file-randread")
        {
            c.params.remote = true;
        }
        assert!(!warm(&run));
    }

    #[test]
    fn one_language_per_report() {
        let (_, run) = fixture();
        let report = model::build(&run);
        let en = String::from_utf8(markdown::Markdown.render(&report, Lang::En)).unwrap();
        let fr = String::from_utf8(markdown::Markdown.render(&report, Lang::Fr)).unwrap();
        assert!(en.contains("## The answer") && !en.contains("La réponse"));
        assert!(fr.contains("## La réponse") && !fr.contains("The answer"));
        // Each section once.
        assert_eq!(fr.matches("## La réponse").count(), 1);
    }

    #[test]
    fn html_is_well_formed_with_one_svg_per_chart() {
        let (_, run) = fixture();
        let report = model::build(&run);
        let html = String::from_utf8(html::Html.render(&report, Lang::En)).unwrap();
        let opts = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        let doc = roxmltree::Document::parse_with_options(&html, opts)
            .expect("report.html parses as XML");
        let svgs: Vec<_> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "svg")
            .collect();
        // The sweep's five charts; per other workload throughput, p99 and
        // spectrum; the sweep's spectrum.
        let sweep = charts::sweep_group(&report).expect("the fixture sweeps db-web");
        assert_eq!(sweep.workload, "db-web");
        assert_eq!(svgs.len(), 5 + 3 * (report.groups.len() - 1) + 1);
        assert_eq!(svgs.len(), charts::all(&report, Lang::En).len());
        let mut ids: Vec<&str> = svgs.iter().filter_map(|s| s.attribute("id")).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), svgs.len(), "chart ids are unique");
        for s in &svgs {
            let texts: Vec<&str> = s
                .descendants()
                .filter(|n| n.tag_name().name() == "text")
                .filter_map(|n| n.text())
                .collect();
            assert!(texts.len() > 4, "{:?}", s.attribute("id"));
            // Every line chart names its engines in a legend, and a log
            // axis says so.
            if s.descendants().any(|n| n.tag_name().name() == "polyline") {
                assert!(texts.contains(&"threads") && texts.contains(&"uring"));
            }
            let id = s.attribute("id").unwrap();
            if id.starts_with("p99-") || id.starts_with("spectrum-") {
                assert!(texts.iter().any(|t| t.ends_with("log scale")), "{id}");
            }
        }
        // The answer comes first: the map and the claims before any chart.
        let first_svg = html.find("<svg").unwrap();
        assert!(html.find("class=\"map\"").unwrap() < first_svg);
        assert!(html.find("class=\"claims\"").unwrap() < first_svg);
        // Self-contained: no script, and the only URLs are XML namespaces.
        assert!(!html.contains("<script"));
        assert_eq!(
            html.matches("http").count(),
            html.matches("http://www.w3.org/").count()
        );
    }

    #[test]
    fn markdown_numbers_equal_the_json() {
        let (json, run) = fixture();
        let md =
            String::from_utf8(markdown::Markdown.render(&model::build(&run), Lang::En)).unwrap();
        let engines: Vec<String> = json["engines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| format!("| {} |", e["name"].as_str().unwrap()))
            .collect();
        let rows: Vec<Vec<&str>> = md
            .lines()
            .filter(|l| engines.iter().any(|e| l.starts_with(e.as_str())))
            .map(|l| l.split('|').map(str::trim).collect())
            .collect();
        let mut checked = 0;
        for cell in json["cells"].as_array().unwrap() {
            if cell["rep"] != 1 {
                continue;
            }
            let key = &cell["cell"];
            let same = |other: &serde_json::Value| other["cell"] == *key;
            let reps: Vec<&serde_json::Value> = json["cells"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| same(c))
                .collect();
            let med = |f: &dyn Fn(&serde_json::Value) -> f64| {
                model::Stat::of(&reps.iter().map(|c| f(&c["summary"])).collect::<Vec<_>>()).median
            };
            let tput = med(&|s| s["throughput_rps"].as_f64().unwrap());
            let p99 = med(&|s| s["latency"]["p99_ns"].as_f64().unwrap());
            let row = rows
                .iter()
                .find(|r| {
                    r[1] == key["mode"].as_str().unwrap()
                        && key["concurrency"] == r[2].parse::<u64>().unwrap_or(0)
                        && {
                            // Rows are under their workload's heading; the
                            // workloads differ enough in req/s to tell apart.
                            r[3] == format!("{tput:.0}")
                        }
                })
                .unwrap_or_else(|| panic!("no row for {key} with {tput:.0} req/s"));
            assert_eq!(row[6], format!("{:.1}", p99 / 1e3), "{key}");
            checked += 1;
        }
        let distinct = json["cells"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["rep"] == 1)
            .count();
        assert_eq!(checked, distinct);
        assert!(checked >= 30);
    }

    #[test]
    fn missing_and_corrupt_cells_are_reported_and_the_rest_renders() {
        let (mut json, whole) = fixture();
        let before = model::build(&whole);
        let cells = json["cells"].as_array_mut().unwrap();
        let removed = cells.remove(0);
        cells[0]["histogram"]["data"] = "not base64!".into();
        let corrupt = cells[0]["cell"].clone();
        let bytes = serde_json::to_vec(&json).unwrap();
        let run = load::parse_run(&bytes).unwrap();
        let report = model::build(&run);
        let stem = |k: &serde_json::Value, rep: u64| {
            stem_of(&serde_json::json!({ "cell": k, "rep": rep }))
        };
        let missing: Vec<&str> = report.missing.iter().map(|m| m.stem.as_str()).collect();
        assert!(
            missing.contains(&stem(&removed["cell"], 1).as_str()),
            "{missing:?}"
        );
        assert!(
            missing.contains(&stem(&corrupt, 2).as_str())
                || missing.contains(&stem(&corrupt, 1).as_str()),
            "{missing:?}"
        );
        assert_eq!(missing.len(), 2);
        let md = String::from_utf8(markdown::Markdown.render(&report, Lang::En)).unwrap();
        assert!(md.contains("## Cells without results"));
        assert!(md.contains("unreadable: histogram is not base64"));
        // Every workload still renders with every engine.
        assert_eq!(report.groups.len(), before.groups.len());
        for (a, b) in report.groups.iter().zip(&before.groups) {
            assert_eq!(a.engines, b.engines);
        }
    }

    #[test]
    fn a_directory_without_run_json_is_read_cell_by_cell() {
        let (json, _) = fixture();
        let dir = std::env::temp_dir().join(format!("iobound-report-cells-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let cells = json["cells"].as_array().unwrap();
        for (i, c) in cells.iter().enumerate() {
            let stem = stem_of(c);
            let body = if i == 3 {
                b"{ truncated".to_vec()
            } else {
                serde_json::to_vec(c).unwrap()
            };
            std::fs::write(dir.join(format!("{stem}.json")), body).unwrap();
        }
        let run = load::load_dir(&dir).unwrap();
        assert_eq!(run.cells.len(), cells.len() - 1);
        let report = model::build(&run);
        assert_eq!(report.missing.len(), 1);
        write_reports(&dir, &run, Lang::En).unwrap();
        assert!(dir.join("report.html").exists());
        // run.json written back has the layout the run writes (v3).
        let doc: serde_json::Value =
            serde_json::from_slice(&load::run_json_from_cells(&dir, &run, Lang::En).unwrap())
                .unwrap();
        let written = doc["cells"].as_array().unwrap();
        assert_eq!(written.len(), cells.len() - 1);
        assert!(written
            .iter()
            .all(|c| c.get("config").is_none() && c.get("system").is_none()));
        assert!(written
            .iter()
            .all(|c| c["group_index"].as_u64()
                < Some(doc["groups"].as_array().unwrap().len() as u64)));
        // A cell file of another run copied in is left out, and said so
        // (an outsider's copies were merged into the report).
        let mut foreign = cells[0].clone();
        foreign["run_id"] = "20990101-000000".into();
        std::fs::write(
            dir.join("foreign.json"),
            serde_json::to_vec(&foreign).unwrap(),
        )
        .unwrap();
        let run = load::load_dir(&dir).unwrap();
        assert_eq!(run.cells.len(), cells.len() - 1);
        let (_, why) = run.unreadable.iter().find(|(s, _)| s == "foreign").unwrap();
        assert_eq!(
            why,
            "a cell of another run (20990101-000000): left out of this one"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn compare_flags_changes_beyond_the_spread() {
        let (mut json, run) = fixture();
        let same = model::build(&run);
        assert!(compare::changes(&same, &same)
            .iter()
            .all(|c| !c.beyond_noise));
        for c in json["cells"].as_array_mut().unwrap() {
            if c["cell"]["mode"] == "uring" && c["cell"]["concurrency"] == 4 {
                let t = c["summary"]["throughput_rps"].as_f64().unwrap();
                c["summary"]["throughput_rps"] = (t * 3.0).into();
            }
        }
        let after = model::build(&load::parse_run(&serde_json::to_vec(&json).unwrap()).unwrap());
        let ch = compare::changes(&same, &after);
        let flagged: Vec<_> = ch.iter().filter(|c| c.beyond_noise).collect();
        assert_eq!(flagged.len(), 3, "{flagged:?}");
        assert!(flagged
            .iter()
            .all(|c| c.engine == "uring" && c.concurrency == 4));
        assert!((flagged[0].throughput - 2.0).abs() < 1e-9);
        assert!(compare::render(&same, &after).contains("**!**"));
    }
}
