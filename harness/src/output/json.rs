//! The per-cell JSON document: config, system, summary and the full
//! histogram in HdrHistogram's compressed V2 encoding, base64.

use base64::Engine as _;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Export, ExportError, RunMeta};
use crate::record::{HIGHEST_NS, LOWEST_NS, SIGFIGS};
use crate::result::{CellKey, CellResult, Status, Summary};

/// Schema name written into every document, bumped when fields change meaning.
pub const SCHEMA: &str = "iobound.cell.v1";

pub struct Json;

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    run_id: &'a str,
    cell: &'a CellKey,
    rep: Option<u32>,
    status: Status,
    reason: Option<&'a str>,
    config: &'a serde_json::Value,
    system: &'a crate::sysinfo::SystemInfo,
    summary: Option<&'a Summary>,
    histogram: Option<HistDoc>,
    /// Open loop: latencies from the actual send, beside the corrected ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    histogram_uncorrected: Option<HistDoc>,
}

#[derive(Serialize)]
struct HistDoc {
    unit: &'static str,
    lowest: u64,
    highest: u64,
    significant_digits: u8,
    total_count: u64,
    encoding: &'static str,
    data: String,
}

/// Encodes a histogram the way HdrHistogram's log format does.
pub fn encode_histogram(h: &Histogram<u64>) -> Result<String, ExportError> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .map_err(|e| ExportError::Histogram(format!("{e:?}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

impl Export for Json {
    fn extension(&self) -> &'static str {
        "json"
    }

    fn applies(&self, _cell: &CellResult) -> bool {
        true
    }

    fn render(&self, meta: &RunMeta, cell: &CellResult) -> Result<Vec<u8>, ExportError> {
        let mut out = serde_json::to_vec_pretty(&cell_doc(meta, cell)?)?;
        out.push(b'\n');
        Ok(out)
    }
}

/// A cell's document, as written to its own file and into run.json.
pub fn cell_doc(meta: &RunMeta, cell: &CellResult) -> Result<serde_json::Value, ExportError> {
    let doc_of = |h: &Histogram<u64>| -> Result<HistDoc, ExportError> {
        Ok(HistDoc {
            unit: "ns",
            lowest: LOWEST_NS,
            highest: HIGHEST_NS,
            significant_digits: SIGFIGS,
            total_count: h.len(),
            encoding: "HdrHistogram V2 compressed (deflate), base64",
            data: encode_histogram(h)?,
        })
    };
    let histogram = cell.histogram.as_ref().map(doc_of).transpose()?;
    let histogram_uncorrected = cell
        .histogram_uncorrected
        .as_ref()
        .map(doc_of)
        .transpose()?;
    let doc = Doc {
        schema: SCHEMA,
        run_id: &meta.run_id,
        cell: &cell.key,
        rep: cell.rep,
        status: cell.status,
        reason: cell.reason.as_deref(),
        config: &meta.config,
        system: &meta.system,
        summary: cell.summary.as_ref(),
        histogram,
        histogram_uncorrected,
    };
    Ok(serde_json::to_value(&doc)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::output::human::tests::sample_cell;
    use hdrhistogram::serialization::Deserializer;

    pub fn sample_meta() -> RunMeta {
        RunMeta {
            run_id: "20261125-000000".into(),
            config: serde_json::json!({"duration": "1s"}),
            system: crate::sysinfo::SystemInfo::collect(
                std::path::Path::new("/"),
                false,
                crate::ring::UringSupport {
                    available: true,
                    reason: None,
                    sysctl_disabled: Some(0),
                    opcodes: vec![],
                },
            ),
        }
    }

    #[test]
    fn document_round_trips_the_histogram() {
        let cell = sample_cell();
        let bytes = Json.render(&sample_meta(), &cell).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["status"], "ok");
        assert_eq!(v["cell"]["mode"], "uring");
        assert_eq!(v["summary"]["requests"], 1000);
        let data = v["histogram"]["data"].as_str().unwrap();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        let h: Histogram<u64> = Deserializer::new().deserialize(&mut &raw[..]).unwrap();
        assert_eq!(h.len(), 1000);
        assert_eq!(v["histogram"]["total_count"], 1000);
        assert_eq!(
            h.value_at_quantile(0.99),
            cell.histogram.unwrap().value_at_quantile(0.99)
        );
    }
}
