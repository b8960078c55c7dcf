//! The db server's write-ahead log on disk: its header and records (each
//! with a CRC32C), and the scan replay runs over it, which tells a torn tail
//! (a write cut short by a crash: discarded) from corruption (refused).
//!
//! One log serves the whole server, whatever its `--threads`: records carry
//! one global sequence number, and a record's place in the file is fixed by
//! it (`seq == first_seq + index`), so the file's order is the order in
//! which the server applied the PUTs.
//!
//! Commits never overlap: a commit's records are written at the tail in one
//! write, then fdatasync'd, and only then can the next commit start. So
//! only the last commit in the file can be partly on disk after a crash
//! (after a power loss, any of its pages may be missing, in any order),
//! and a valid record of a later commit proves that every commit before it
//! was fully written and synced. Hence the rule of [`scan`]: the first bad
//! record (bad checksum, wrong sequence number, or cut short) starts a
//! torn tail unless a valid record *of a later commit* follows it somewhere
//! in the file; then it is corruption. Each record names the first sequence
//! number of its commit (`batch`), which is how a valid record that shares
//! the torn commit is recognised as part of the tear.

use iobound_workloads::proto::RECORD_SIZE;

/// The file's first eight bytes.
pub const MAGIC: [u8; 8] = *b"IOBDBWAL";
/// The format this iobound writes and reads.
pub const VERSION: u32 = 1;
/// Header bytes: magic, version u32, value size u32, records u64,
/// first_seq u64, zeros up to byte 60, then the CRC32C of bytes 0..60.
pub const HEADER: usize = 64;
/// Record bytes: CRC32C u32 of the 28 + 1,024 bytes that follow, seq u64,
/// batch u64 (the first seq of the record's commit), key u64, the value.
pub const RECORD: usize = 4 + 8 + 8 + 8 + RECORD_SIZE;

/// What a header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Records in the table the log belongs to.
    pub records: u64,
    /// Sequence number of the record right after the header.
    pub first_seq: u64,
}

/// Why a header cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error("it is {0} bytes long, shorter than the log's {HEADER}-byte header")]
    Short(usize),
    #[error("it is not an iobound write-ahead log (it does not start with IOBDBWAL)")]
    Magic,
    #[error("it is in log format {0}, and this iobound reads format {VERSION} only")]
    Version(u32),
    #[error("its header is damaged (checksum mismatch)")]
    Checksum,
    #[error("its records hold {0}-byte values, not {RECORD_SIZE}")]
    ValueSize(u32),
    #[error("it belongs to a table of {found} records, not {want} (--records)")]
    Table { found: u64, want: u64 },
}

impl HeaderError {
    /// Damage (a truncated or garbled header), as opposed to a log that is
    /// well-formed but not for this server.
    pub fn is_damage(&self) -> bool {
        matches!(self, HeaderError::Short(_) | HeaderError::Checksum)
    }
}

pub fn encode_header(h: Header) -> [u8; HEADER] {
    let mut b = [0u8; HEADER];
    b[..8].copy_from_slice(&MAGIC);
    b[8..12].copy_from_slice(&VERSION.to_le_bytes());
    b[12..16].copy_from_slice(&(RECORD_SIZE as u32).to_le_bytes());
    b[16..24].copy_from_slice(&h.records.to_le_bytes());
    b[24..32].copy_from_slice(&h.first_seq.to_le_bytes());
    let crc = crc32c::crc32c(&b[..HEADER - 4]);
    b[HEADER - 4..].copy_from_slice(&crc.to_le_bytes());
    b
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads the header of a log of a table of `records` records.
pub fn decode_header(bytes: &[u8], records: u64) -> Result<Header, HeaderError> {
    if bytes.len() < HEADER {
        return Err(HeaderError::Short(bytes.len()));
    }
    let b = &bytes[..HEADER];
    if b[..8] != MAGIC {
        return Err(HeaderError::Magic);
    }
    if crc32c::crc32c(&b[..HEADER - 4]) != u32_at(b, HEADER - 4) {
        return Err(HeaderError::Checksum);
    }
    let version = u32_at(b, 8);
    if version != VERSION {
        return Err(HeaderError::Version(version));
    }
    let size = u32_at(b, 12);
    if size as usize != RECORD_SIZE {
        return Err(HeaderError::ValueSize(size));
    }
    let found = u64_at(b, 16);
    if found != records {
        return Err(HeaderError::Table {
            found,
            want: records,
        });
    }
    Ok(Header {
        records,
        first_seq: u64_at(b, 24),
    })
}

/// Appends one record to `out`.
pub fn encode_record(out: &mut Vec<u8>, seq: u64, batch: u64, key: u64, value: &[u8]) {
    debug_assert_eq!(value.len(), RECORD_SIZE);
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&seq.to_le_bytes());
    out.extend_from_slice(&batch.to_le_bytes());
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(value);
    let crc = crc32c::crc32c(&out[start + 4..]);
    out[start..start + 4].copy_from_slice(&crc.to_le_bytes());
}

/// One valid record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub seq: u64,
    /// First sequence number of the commit that wrote it.
    pub batch: u64,
    pub key: u64,
    pub value: &'a [u8],
}

/// The record in slot `index` if it is valid there: its checksum matches,
/// its seq is the one its place implies, its batch started at or before it
/// (and after the header's first seq), and its key is in the table.
fn record_at(slot: &[u8], index: u64, h: Header) -> Option<Record<'_>> {
    if slot.len() != RECORD || crc32c::crc32c(&slot[4..]) != u32_at(slot, 0) {
        return None;
    }
    let r = Record {
        seq: u64_at(slot, 4),
        batch: u64_at(slot, 12),
        key: u64_at(slot, 20),
        value: &slot[28..],
    };
    let ok = Some(r.seq) == h.first_seq.checked_add(index)
        && (h.first_seq..=r.seq).contains(&r.batch)
        && r.key < h.records;
    ok.then_some(r)
}

/// How the log ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tail {
    /// Only whole, valid records after the header.
    Clean,
    /// From `offset` to the end of the file: a commit cut short by a crash.
    /// It was never acknowledged; replay discards it.
    Torn { offset: u64, bytes: u64 },
    /// A bad record at `offset` (where `seq` belongs) although a valid
    /// record of a later commit follows at `later`: the commit holding the
    /// bad record had been synced, so its writes had been acknowledged.
    Corrupt {
        offset: u64,
        seq: u64,
        later: u64,
        /// Bytes from `offset` to the end of the file.
        bytes: u64,
        /// Valid records after `offset` (dropped if the log is truncated).
        valid_after: u64,
    },
}

/// A scanned log: the valid records before the first bad one, and how the
/// log ends.
#[derive(Debug)]
pub struct Scan<'a> {
    pub header: Header,
    pub records: Vec<Record<'a>>,
    pub tail: Tail,
}

impl Scan<'_> {
    /// The sequence number the next record would carry.
    pub fn next_seq(&self) -> u64 {
        self.header.first_seq + self.records.len() as u64
    }
}

/// Scans a whole log of a table of `records` records (see the module's
/// doc for the rule between torn and corrupt).
pub fn scan(bytes: &[u8], records: u64) -> Result<Scan<'_>, HeaderError> {
    let header = decode_header(bytes, records)?;
    let body = &bytes[HEADER..];
    let slots: Vec<&[u8]> = body.chunks(RECORD).collect();
    let mut good = Vec::new();
    let mut bad = None;
    for (i, slot) in slots.iter().enumerate() {
        match record_at(slot, i as u64, header) {
            Some(r) => good.push(r),
            None => {
                bad = Some(i);
                break;
            }
        }
    }
    let tail = match bad {
        None => Tail::Clean,
        Some(b) => {
            let seq = header.first_seq + b as u64;
            let offset = (HEADER + b * RECORD) as u64;
            let bytes = bytes.len() as u64 - offset;
            let later: Vec<(usize, Record)> = slots
                .iter()
                .enumerate()
                .skip(b + 1)
                .filter_map(|(j, s)| record_at(s, j as u64, header).map(|r| (j, r)))
                .collect();
            match later.iter().find(|(_, r)| r.batch > seq) {
                Some(&(j, _)) => Tail::Corrupt {
                    offset,
                    seq,
                    later: (HEADER + j * RECORD) as u64,
                    bytes,
                    valid_after: later.len() as u64,
                },
                None => Tail::Torn { offset, bytes },
            }
        }
    };
    Ok(Scan {
        header,
        records: good,
        tail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECORDS: u64 = 64;

    fn value(n: u64) -> Vec<u8> {
        let mut v = vec![(n % 251) as u8; RECORD_SIZE];
        v[..8].copy_from_slice(&n.to_le_bytes());
        v
    }

    /// A log whose commits hold `sizes` records each, from seq `first`.
    fn log(first: u64, sizes: &[usize]) -> Vec<u8> {
        let mut out = encode_header(Header {
            records: RECORDS,
            first_seq: first,
        })
        .to_vec();
        let mut seq = first;
        for &n in sizes {
            let batch = seq;
            for _ in 0..n {
                encode_record(&mut out, seq, batch, seq % RECORDS, &value(seq));
                seq += 1;
            }
        }
        out
    }

    fn seqs(s: &Scan) -> Vec<u64> {
        s.records.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn a_whole_log_replays_every_record_in_order() {
        let l = log(7, &[1, 3, 2]);
        let s = scan(&l, RECORDS).unwrap();
        assert_eq!(seqs(&s), (7..13).collect::<Vec<_>>());
        assert_eq!(s.tail, Tail::Clean);
        assert_eq!(s.next_seq(), 13);
        assert_eq!(s.records[2].value, &value(9)[..]);
        assert_eq!(s.records[2].batch, 8);
    }

    #[test]
    fn a_header_alone_is_an_empty_clean_log() {
        let l = log(1, &[]);
        let s = scan(&l, RECORDS).unwrap();
        assert!(s.records.is_empty());
        assert_eq!((s.tail, s.next_seq()), (Tail::Clean, 1));
    }

    /// A cut at every byte of the last record keeps the records before it
    /// and reports the rest as torn (fails if a partial record is replayed
    /// or reported as corruption).
    #[test]
    fn a_cut_anywhere_in_the_last_record_is_a_torn_tail() {
        let l = log(1, &[2, 2]);
        let last = HEADER + 3 * RECORD;
        for cut in last..l.len() {
            let s = scan(&l[..cut], RECORDS).unwrap();
            assert_eq!(seqs(&s), [1, 2, 3], "cut at {cut}");
            assert_eq!(
                s.tail,
                if cut == last {
                    Tail::Clean
                } else {
                    Tail::Torn {
                        offset: last as u64,
                        bytes: (cut - last) as u64,
                    }
                },
                "cut at {cut}"
            );
        }
    }

    /// A flipped byte anywhere in a record followed by a later commit is
    /// corruption, found at that record's offset (fails without the
    /// checksum, or if replay just stops there).
    #[test]
    fn a_flipped_byte_before_a_later_commit_is_corruption() {
        let l = log(1, &[2, 2, 2]);
        let at = HEADER + RECORD; // seq 2, in the first commit
        for i in 0..RECORD {
            let mut bad = l.clone();
            bad[at + i] ^= 0x10;
            let s = scan(&bad, RECORDS).unwrap();
            assert_eq!(seqs(&s), [1], "byte {i}");
            assert_eq!(
                s.tail,
                Tail::Corrupt {
                    offset: at as u64,
                    seq: 2,
                    later: (HEADER + 2 * RECORD) as u64,
                    bytes: (l.len() - at) as u64,
                    valid_after: 4,
                },
                "byte {i}"
            );
        }
    }

    /// After a power loss, any page of the last, unsynced commit may be
    /// missing: its records that did reach the disk, after a hole, are part
    /// of the tear, not evidence of corruption.
    #[test]
    fn holes_in_the_last_commit_are_torn_not_corrupt() {
        let l = log(1, &[2, 4]);
        let third = HEADER + 2 * RECORD;
        for hole in 0..4 {
            let mut bad = l.clone();
            let at = third + hole * RECORD;
            bad[at..at + RECORD].fill(0);
            let s = scan(&bad, RECORDS).unwrap();
            assert_eq!(s.records.len(), 2 + hole, "hole at record {hole}");
            assert_eq!(
                s.tail,
                Tail::Torn {
                    offset: at as u64,
                    bytes: (l.len() - at) as u64
                }
            );
        }
        // Zeros past the end (a size that reached the disk before the data).
        let mut z = l.clone();
        z.resize(z.len() + 3 * RECORD + 17, 0);
        assert_eq!(scan(&z, RECORDS).unwrap().records.len(), 6);
    }

    /// Records of an older log generation (before a checkpoint restarted
    /// the log with a new first seq) never count as valid.
    #[test]
    fn records_from_before_a_checkpoint_are_not_replayed() {
        let mut l = log(1, &[3, 3]);
        l[..HEADER].copy_from_slice(&encode_header(Header {
            records: RECORDS,
            first_seq: 7,
        }));
        let s = scan(&l, RECORDS).unwrap();
        assert!(s.records.is_empty());
        assert!(matches!(s.tail, Tail::Torn { offset, .. } if offset == HEADER as u64));
    }

    /// A valid record in the wrong place (a misdirected write, a block
    /// copied twice) is bad there: replay never applies records out of
    /// their order (fails without the seq-by-place check).
    #[test]
    fn records_out_of_place_are_corruption() {
        let l = log(1, &[1, 2, 2]);
        let (a, b) = (HEADER + RECORD, HEADER + 2 * RECORD);
        let mut swapped = l.clone();
        swapped[a..a + RECORD].copy_from_slice(&l[b..b + RECORD]);
        swapped[b..b + RECORD].copy_from_slice(&l[a..a + RECORD]);
        let s = scan(&swapped, RECORDS).unwrap();
        assert_eq!(seqs(&s), [1]);
        assert!(matches!(s.tail, Tail::Corrupt { offset, seq: 2, .. } if offset == a as u64));
    }

    #[test]
    fn headers_of_another_table_version_or_file_are_refused() {
        let l = log(1, &[1]);
        assert_eq!(
            scan(&l, 128).unwrap_err(),
            HeaderError::Table {
                found: 64,
                want: 128
            }
        );
        let mut other = l.clone();
        other[8] = 2;
        // A changed field breaks the checksum first: refit it.
        let crc = crc32c::crc32c(&other[..HEADER - 4]);
        other[HEADER - 4..HEADER].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(scan(&other, RECORDS).unwrap_err(), HeaderError::Version(2));
        let mut flipped = l.clone();
        flipped[20] ^= 1;
        assert_eq!(scan(&flipped, RECORDS).unwrap_err(), HeaderError::Checksum);
        assert_eq!(scan(&l[..10], RECORDS).unwrap_err(), HeaderError::Short(10));
        assert_eq!(
            scan(
                b"not a log at all, but long enough to hold a header of 64 bytes..",
                RECORDS
            )
            .unwrap_err(),
            HeaderError::Magic
        );
        assert!(HeaderError::Checksum.is_damage() && !HeaderError::Magic.is_damage());
    }
}
