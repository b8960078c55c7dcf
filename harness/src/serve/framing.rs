//! Framing of one connection's byte stream, shared by every server: each
//! read lands *after* the bytes already buffered, and complete frames are
//! handed out in order, however the peer's writes were cut.
//!
//! Why this is its own piece: tokio-uring reads into a `Vec` from its start,
//! not after its length (its `IoBufMut` impl), so a frame split across two
//! reads had its first part overwritten by its second. A server built on
//! that read header bytes as payload and payload as headers — wrong replies,
//! and an ECHO's payload applied as a PUT. Reading into the buffer's unused
//! tail (a `Slice` starting at its length) is the fix, and it lives here once.

use std::future::Future;

use iobound_workloads::proto::{self, FrameError, HEADER, MAX_FRAME};
use tokio_uring::buf::{BoundedBuf, Slice};

/// Spare room kept for each read, so a stream of small frames is not read a
/// few bytes at a time.
const MIN_READ: usize = 16 << 10;

/// Anything a connection's bytes come from. The real one is a tokio-uring
/// TCP stream; tests use scripted sources that cut the stream anywhere.
pub(crate) trait Source {
    /// Reads at most `buf`'s length into it, returning how many bytes came
    /// (0 at end of stream) and the buffer.
    fn read(
        &self,
        buf: Slice<Vec<u8>>,
    ) -> impl Future<Output = (std::io::Result<usize>, Slice<Vec<u8>>)>;
}

impl Source for tokio_uring::net::TcpStream {
    async fn read(&self, buf: Slice<Vec<u8>>) -> (std::io::Result<usize>, Slice<Vec<u8>>) {
        tokio_uring::net::TcpStream::read(self, buf).await
    }
}

/// The bytes of one connection not yet answered.
#[derive(Debug, Default)]
pub(crate) struct FrameReader {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already handed out as frames.
    consumed: usize,
}

impl FrameReader {
    pub(crate) fn new() -> Self {
        FrameReader {
            buf: Vec::with_capacity(64 << 10),
            consumed: 0,
        }
    }

    /// Bytes received and not yet consumed: the start of the next frame(s).
    pub(crate) fn pending(&self) -> &[u8] {
        &self.buf[self.consumed..]
    }

    /// The complete frame at the front, header included, once all its bytes
    /// are buffered; `Ok(None)` while it is still arriving. An invalid length
    /// is an error as soon as the header is in.
    pub(crate) fn frame(&self) -> Result<Option<&[u8]>, FrameError> {
        let pending = self.pending();
        Ok(match proto::frame_len(pending)? {
            Some(total) if pending.len() >= total => Some(&pending[..total]),
            _ => None,
        })
    }

    /// Marks the front `n` bytes as answered.
    pub(crate) fn consume(&mut self, n: usize) {
        self.consumed += n;
        debug_assert!(self.consumed <= self.buf.len());
    }

    /// Reads once from `src`, appending after the bytes already buffered.
    /// Returns the bytes read; 0 means the peer closed its side.
    pub(crate) async fn fill(&mut self, src: &impl Source) -> std::io::Result<usize> {
        self.make_room();
        let len = self.buf.len();
        let cap = self.buf.capacity();
        let (res, slice) = src
            .read(std::mem::take(&mut self.buf).slice(len..cap))
            .await;
        // The slice's reads set the Vec's length to `len + n`.
        self.buf = slice.into_inner();
        res
    }

    /// The unused tail the next read may fill, for a server that hands it to
    /// the kernel itself: the buffer must not be touched until [`Self::filled`]
    /// says how much came (the ring writes into it meanwhile).
    pub(crate) fn room(&mut self) -> &mut [std::mem::MaybeUninit<u8>] {
        self.make_room();
        self.buf.spare_capacity_mut()
    }

    /// Counts `n` bytes the kernel wrote at the start of [`Self::room`].
    ///
    /// # Safety
    /// The first `n` bytes of the last `room` were written.
    pub(crate) unsafe fn filled(&mut self, n: usize) {
        debug_assert!(self.buf.len() + n <= self.buf.capacity());
        // SAFETY: the caller guarantees those bytes were initialised.
        unsafe { self.buf.set_len(self.buf.len() + n) };
    }

    fn make_room(&mut self) {
        // Answered frames are dropped first, so the buffer holds at most one
        // partial frame plus what one read brings.
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.consumed = 0;
        }
        // Room for the rest of the frame being received (known once its
        // header is in), at least MIN_READ, never more than one whole frame.
        let missing = match proto::frame_len(&self.buf) {
            Ok(Some(total)) => total.saturating_sub(self.buf.len()),
            _ => HEADER,
        };
        self.buf
            .reserve(missing.clamp(MIN_READ, HEADER + MAX_FRAME));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iobound_workloads::proto::{encode_request, Request, RECORD_SIZE};
    use std::cell::RefCell;
    use tokio_uring::buf::BoundedBufMut;

    /// A stream delivered in the given pieces, one per read (a piece larger
    /// than the reader's room is split, as a socket would).
    struct Pieces(RefCell<std::collections::VecDeque<Vec<u8>>>);

    impl Source for Pieces {
        async fn read(&self, mut buf: Slice<Vec<u8>>) -> (std::io::Result<usize>, Slice<Vec<u8>>) {
            let mut q = self.0.borrow_mut();
            let Some(mut piece) = q.pop_front() else {
                return (Ok(0), buf);
            };
            let room = buf.bytes_total();
            if piece.len() > room {
                q.push_front(piece.split_off(room));
            }
            buf.put_slice(&piece);
            (Ok(piece.len()), buf)
        }
    }

    fn frames() -> (Vec<u8>, Vec<Vec<u8>>) {
        let value = vec![0xAB; RECORD_SIZE];
        let big: Vec<u8> = (0..70_000u32).map(|i| (i * 7) as u8).collect();
        let reqs = [
            Request::Echo(b"hello"),
            Request::Get {
                key: 3,
                wait_us: None,
            },
            Request::Put {
                key: 9,
                wait_us: None,
                value: &value,
            },
            Request::Get {
                key: 4,
                wait_us: Some(5_000),
            },
            Request::Put {
                key: 10,
                wait_us: Some(50_000),
                value: &value,
            },
            Request::Echo(&big),
            Request::Echo(b""),
        ];
        let mut stream = Vec::new();
        let mut each = Vec::new();
        for r in &reqs {
            let mut one = Vec::new();
            encode_request(&mut one, r);
            stream.extend_from_slice(&one);
            each.push(one);
        }
        (stream, each)
    }

    /// Reads every frame of `pieces` and returns them.
    fn read_all(pieces: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        tokio_uring::start(async move {
            let src = Pieces(RefCell::new(pieces.into()));
            let mut r = FrameReader::new();
            let mut out = Vec::new();
            loop {
                while let Some(f) = r.frame().unwrap() {
                    out.push(f.to_vec());
                    let n = f.len();
                    r.consume(n);
                }
                if r.fill(&src).await.unwrap() == 0 {
                    assert!(r.pending().is_empty(), "stream ended mid-frame");
                    return out;
                }
            }
        })
    }

    /// Fails if reads overwrite the buffer's start instead of appending
    /// (the defect of issue 10: read into the Vec rather than its tail).
    #[test]
    fn frames_come_out_whole_wherever_the_stream_is_cut() {
        let (stream, want) = frames();
        // Two pieces, cut at every byte of the first five frames (GET_WAIT
        // and PUT_WAIT among them) and at a stride through the large one.
        let firsts: usize = want[..5].iter().map(Vec::len).sum();
        let cuts = (1..firsts + 8).chain((firsts..stream.len()).step_by(997));
        for cut in cuts {
            let got = read_all(vec![stream[..cut].to_vec(), stream[cut..].to_vec()]);
            assert_eq!(got, want, "cut at {cut}");
        }
        // One byte per read.
        let got = read_all(
            stream[..want[0].len() + want[1].len()]
                .chunks(1)
                .map(<[u8]>::to_vec)
                .collect(),
        );
        assert_eq!(got, want[..2]);
        // Everything in one read (pipelined).
        assert_eq!(read_all(vec![stream.clone()]), want);
    }

    #[test]
    fn a_bad_length_is_an_error_once_the_header_is_in() {
        let mut r = FrameReader::new();
        r.buf.extend_from_slice(&[0, 0]);
        assert_eq!(r.frame(), Ok(None));
        // 0x0011_0000: above the 1 MiB limit.
        r.buf.extend_from_slice(&[0x11, 0]);
        assert!(matches!(r.frame(), Err(FrameError::TooLarge(_))));
    }
}
