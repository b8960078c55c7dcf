//! The heap buffers a request reads into and writes from, aligned for
//! O_DIRECT, and the connection its exchanges go over.

use std::alloc::{self, Layout};
use std::net::TcpStream;

use iobound_workloads::dataset;

use super::net;

/// Alignment of I/O buffers: enough for O_DIRECT on any block device we meet.
pub const BUF_ALIGN: usize = 4096;

/// A heap buffer aligned for O_DIRECT.
pub struct AlignedBuf {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: AlignedBuf owns its allocation exclusively, like a Box<[u8]>.
unsafe impl Send for AlignedBuf {}

impl AlignedBuf {
    /// A zeroed buffer of `len` bytes (at least one alignment unit).
    pub fn new(len: usize) -> Self {
        let layout = Self::layout(len);
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { alloc::alloc_zeroed(layout) };
        if ptr.is_null() {
            alloc::handle_alloc_error(layout);
        }
        AlignedBuf { ptr, len }
    }

    fn layout(len: usize) -> Layout {
        Layout::from_size_align(len.max(BUF_ALIGN), BUF_ALIGN).expect("buffer size overflows")
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: ptr is valid for len bytes for as long as self lives.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: ptr is valid for len bytes and uniquely borrowed through &mut self.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }

    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for AlignedBuf {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this same layout.
        unsafe { alloc::dealloc(self.ptr, Self::layout(self.len)) }
    }
}

/// The buffers one in-flight request uses. Reads and writes have separate
/// buffers so that a read never clobbers the payload a later write sends.
pub struct IoBufs {
    pub read: AlignedBuf,
    pub write: AlignedBuf,
    /// The connection exchanges go over, opened at first use.
    pub conn: Option<TcpStream>,
    /// Where the current exchange stands.
    pub net: net::Exchange,
}

impl IoBufs {
    pub fn new(max_transfer: usize) -> Self {
        // Payload content is generated in 8-byte words.
        let max_transfer = max_transfer.next_multiple_of(8);
        let mut write = AlignedBuf::new(max_transfer);
        dataset::write_payload(write.as_mut_slice());
        IoBufs {
            read: AlignedBuf::new(max_transfer),
            write,
            conn: None,
            net: net::Exchange::default(),
        }
    }
}
