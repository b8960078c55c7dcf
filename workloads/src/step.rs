//! The step model: a request is a fixed-capacity list of steps, in a
//! vocabulary that depends on nothing else in the crate (the compute
//! kernels' names and inputs included; `compute` runs them).

/// Index of a file in a workload's [`FileSpec`] list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId(pub u8);

impl FileId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One thing a request does. Offsets and lengths are in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Read `len` bytes at `offset`.
    Read { file: FileId, offset: u64, len: u32 },
    /// Write `len` bytes at `offset`.
    Write { file: FileId, offset: u64, len: u32 },
    /// Write `len` bytes at the file's tail, the way a write-ahead log grows.
    /// The engine reserves the position at run time (concurrent appends never
    /// overlap) and the tail wraps to 0 at the file's size.
    Append { file: FileId, len: u32 },
    /// Make the file's data durable (fdatasync).
    Fdatasync { file: FileId },
    /// Run a CPU kernel over some input; no I/O. Where it runs (the engine's
    /// own thread, or a pool) is the engine's choice.
    Compute { kernel: Kernel, input: Input },
    /// Send one request frame to the workload's server over this worker's
    /// connection and wait for the whole response frame.
    Exchange { msg: Msg },
}

/// What an [`Step::Exchange`] asks the server (see [`crate::proto`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Msg {
    /// `len` payload bytes, to be returned as sent.
    Echo { len: u32 },
    /// Read record `key`; the server waits `wait_us` µs first, or its own
    /// `--db-latency` when `None` (a GET_WAIT or a GET on the wire).
    Get { key: u64, wait_us: Option<u32> },
    /// Overwrite record `key` (durably, before the answer), after the same
    /// wait as a GET.
    Put { key: u64, wait_us: Option<u32> },
    /// A real Redis's `GET` of record `key` (see [`crate::resp`]).
    RedisGet { key: u64 },
    /// A real Redis's `SET` of record `key`.
    RedisSet { key: u64 },
}

/// Which computation a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    /// SHA-256 of the input (the `sha2` crate, which uses the CPU's SHA
    /// instructions where present).
    Sha256,
    /// 3x3 box blur of a grayscale image,
    /// [`TILE_SIDE`](crate::compute::TILE_SIDE) pixels wide.
    Blur3x3,
    /// FNV-1a (64-bit) of the input, one byte at a time: the Rust twin of a
    /// kernel Python runs as interpreted bytecode, which holds the GIL
    /// (where hashlib's SHA-256 releases it).
    Fnv1a,
}

impl Kernel {
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Sha256 => "sha256",
            Kernel::Blur3x3 => "blur3x3",
            Kernel::Fnv1a => "fnv1a",
        }
    }

    /// The kernel's number on the wires between processes (the process
    /// pool's workers, the Python engines' program).
    pub fn code(self) -> u8 {
        match self {
            Kernel::Sha256 => 1,
            Kernel::Blur3x3 => 2,
            Kernel::Fnv1a => 3,
        }
    }

    /// The kernel of a [`Kernel::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        [Kernel::Sha256, Kernel::Blur3x3, Kernel::Fnv1a]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// Where a compute step takes its bytes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A slice of the cell's shared, read-only input (see
    /// [`shared_input`](crate::compute::shared_input)).
    Shared { offset: u64, len: u32 },
    /// The first `len` bytes the request's latest read step returned.
    LastRead { len: u32 },
}

impl Input {
    pub fn len(self) -> u32 {
        match self {
            Input::Shared { len, .. } | Input::LastRead { len } => len,
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

impl Step {
    /// Bytes this step moves (0 for a sync).
    pub fn bytes(&self) -> u64 {
        match *self {
            Step::Read { len, .. } | Step::Write { len, .. } | Step::Append { len, .. } => {
                len as u64
            }
            Step::Fdatasync { .. } | Step::Compute { .. } | Step::Exchange { .. } => 0,
        }
    }

    pub fn is_compute(&self) -> bool {
        matches!(self, Step::Compute { .. })
    }
}

/// Most steps a single request may hold. A fixed bound keeps requests on the
/// stack: engines build one per request on their hot path.
pub const MAX_STEPS: usize = 8;

/// The script of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    steps: [Step; MAX_STEPS],
    len: u8,
}

impl Request {
    /// An empty request.
    pub fn new() -> Self {
        Request {
            steps: [Step::Fdatasync { file: FileId(0) }; MAX_STEPS],
            len: 0,
        }
    }

    /// A request with one step.
    pub fn one(step: Step) -> Self {
        let mut r = Self::new();
        r.push(step);
        r
    }

    /// Appends a step.
    ///
    /// # Panics
    /// If the request already holds [`MAX_STEPS`] steps: that is a bug in the
    /// workload, caught by its unit tests, never a runtime condition.
    pub fn push(&mut self, step: Step) {
        assert!(
            (self.len as usize) < MAX_STEPS,
            "request holds more than {MAX_STEPS} steps"
        );
        self.steps[self.len as usize] = step;
        self.len += 1;
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps[..self.len as usize]
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes moved by all steps.
    pub fn bytes(&self) -> u64 {
        self.steps().iter().map(Step::bytes).sum()
    }
}

impl Default for Request {
    fn default() -> Self {
        Self::new()
    }
}

/// What a file is for, which decides how it is prepared and verified, and
/// which buffers the io_uring engines register for it: requests read data
/// files and append to (or write) logs, never the other way round (a test
/// of the catalogue checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileRole {
    /// Read-mostly data, filled with [`crate::dataset`]'s generated content.
    Data,
    /// A log that requests append to; pre-filled so that appends overwrite
    /// allocated blocks instead of growing the file.
    Log,
}

/// A file a workload needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub role: FileRole,
    /// Size in bytes.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_holds_steps_in_order_and_sums_bytes() {
        let mut r = Request::new();
        r.push(Step::Append {
            file: FileId(0),
            len: 4096,
        });
        r.push(Step::Fdatasync { file: FileId(0) });
        assert_eq!(r.len(), 2);
        assert_eq!(r.steps()[1], Step::Fdatasync { file: FileId(0) });
        assert_eq!(r.bytes(), 4096);
    }

    #[test]
    #[should_panic(expected = "more than")]
    fn request_rejects_too_many_steps() {
        let mut r = Request::new();
        for _ in 0..=MAX_STEPS {
            r.push(Step::Fdatasync { file: FileId(0) });
        }
    }
}
