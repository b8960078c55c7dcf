//! One echo server thread on its own io_uring: the accept, every
//! connection's receive and send, and the frame timeout, driven by one loop
//! that submits and waits in a single `io_uring_enter`.
//!
//! Why the echo server does not run on tokio-uring as the db server does:
//! tokio-uring parks in `epoll_wait` on the ring's descriptor and enters the
//! ring apart, and a connection that sends its reply before it reads again
//! woke it twice per message, four system calls where sockperf's epoll
//! server makes three (README, `iobound peers`). On a ring with
//! SINGLE_ISSUER + DEFER_TASKRUN, completions wait for the thread's own next
//! enter, so a message costs two calls: one returns the receive, the next
//! submits the reply with the next receive and waits.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::time::{Duration, Instant};

use io_uring::{opcode, squeue, types, IoUring};
use iobound_workloads::proto::{self, Request};

use super::conn::ConnError as Closed;
use super::framing::FrameReader;

/// What a completion is for, in the low bits of its `user_data`; the
/// connection's slot (or which timer) is above them.
const ACCEPT: u64 = 0;
const RECV: u64 = 1;
const SEND: u64 = 2;
const TIMER: u64 = 3;
const OP_BITS: u32 = 2;
/// The two timers: the frame-timeout scan, and the accept's back-off.
const TICK: u64 = 0;
const ACCEPT_AGAIN: u64 = 1;

/// Replies waiting beyond this pause the connection's reads until they are
/// sent: a peer that pipelines and never reads cannot grow the queue forever.
const MAX_QUEUED: usize = 4 << 20;

struct Conn {
    sock: TcpStream,
    peer: Option<SocketAddr>,
    frames: FrameReader,
    /// Replies on the wire: `sending[sent..]` is still to go.
    sending: Vec<u8>,
    sent: usize,
    /// Replies made while a send was in flight, sent after it.
    queued: Vec<u8>,
    recv_armed: bool,
    send_armed: bool,
    /// When the last bytes of a still unfinished frame arrived.
    stalled_since: Option<Instant>,
    /// Set when the connection is to end once its replies are sent: the
    /// peer closed its side, or sent a frame it cannot be answered for (the
    /// frames before it are answered first, as they came).
    finish: Option<Option<Closed>>,
    /// Set once the connection is ending; it is freed when none of its
    /// operations is left in the ring (their buffers are its own).
    closing: bool,
}

impl Conn {
    fn busy(&self) -> bool {
        self.recv_armed || self.send_armed
    }
}

/// One thread's server: its ring, its listener, its connections by slot.
pub(crate) struct EchoRing {
    ring: IoUring,
    listener: TcpListener,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    frame_timeout: Duration,
    /// Timespecs the ring reads when a timer is submitted: kept here so they
    /// outlive the submission.
    tick: types::Timespec,
    backoff: types::Timespec,
    ticking: bool,
    batch: Vec<(u64, i32)>,
}

impl EchoRing {
    pub(crate) fn new(listener: TcpListener, frame_timeout: Duration) -> std::io::Result<Self> {
        let built = crate::ring::build(1024, crate::ring::Taskrun::Defer, None)?;
        // The scan runs four times per timeout: a stalled frame is closed
        // between one and 1.25 timeouts after its last byte.
        let tick = (frame_timeout / 4).max(Duration::from_millis(1));
        Ok(EchoRing {
            ring: built.ring,
            listener,
            conns: Vec::new(),
            free: Vec::new(),
            frame_timeout,
            tick: types::Timespec::from(tick),
            backoff: types::Timespec::from(Duration::from_millis(10)),
            ticking: false,
            batch: Vec::with_capacity(256),
        })
    }

    /// Serves until the process ends; returns only if the ring fails.
    pub(crate) fn run(mut self) -> std::io::Result<()> {
        self.accept()?;
        loop {
            match self.ring.submit_and_wait(1) {
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                Err(e) => return Err(e),
            }
            self.batch
                .extend(self.ring.completion().map(|c| (c.user_data(), c.result())));
            let mut batch = std::mem::take(&mut self.batch);
            for &(data, res) in &batch {
                self.complete(data, res)?;
            }
            batch.clear();
            self.batch = batch;
        }
    }

    fn push(&mut self, e: squeue::Entry) -> std::io::Result<()> {
        // SAFETY: every buffer and timespec an entry points to is owned by
        // this server (a connection's, or a field) and stays in place until
        // its completion is reaped: a connection is freed only when none of
        // its operations is in the ring.
        while unsafe { self.ring.submission().push(&e) }.is_err() {
            self.ring.submit()?;
        }
        Ok(())
    }

    fn accept(&mut self) -> std::io::Result<()> {
        let fd = types::Fd(self.listener.as_raw_fd());
        let e = opcode::Accept::new(fd, std::ptr::null_mut(), std::ptr::null_mut())
            .flags(libc::SOCK_CLOEXEC)
            .build()
            .user_data(ACCEPT);
        self.push(e)
    }

    fn complete(&mut self, data: u64, res: i32) -> std::io::Result<()> {
        let slot = (data >> OP_BITS) as usize;
        match data & ((1 << OP_BITS) - 1) {
            ACCEPT => self.accepted(res)?,
            TIMER if slot as u64 == ACCEPT_AGAIN => self.accept()?,
            TIMER => {
                self.ticking = false;
                self.expire()?;
            }
            RECV => self.received(slot, res)?,
            _ => self.sent(slot, res)?,
        }
        Ok(())
    }

    fn accepted(&mut self, res: i32) -> std::io::Result<()> {
        if res < 0 {
            // Out of file descriptors, typically: say so, back off, go on.
            let e = std::io::Error::from_raw_os_error(-res);
            crate::errln!("iobound serve: accept failed: {e}");
            let t = opcode::Timeout::new(&self.backoff)
                .build()
                .user_data(ACCEPT_AGAIN << OP_BITS | TIMER);
            return self.push(t);
        }
        self.accept()?;
        // SAFETY: the ring's accept returned this new descriptor to us alone.
        let sock = unsafe { TcpStream::from_raw_fd(res as RawFd) };
        // A request-response protocol waits on every small write: no Nagle
        // delay. Failure only costs latency, so it is ignored.
        let _ = sock.set_nodelay(true);
        let conn = Conn {
            peer: sock.peer_addr().ok(),
            sock,
            frames: FrameReader::new(),
            sending: Vec::new(),
            sent: 0,
            queued: Vec::new(),
            recv_armed: false,
            send_armed: false,
            stalled_since: None,
            finish: None,
            closing: false,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.conns[s] = Some(conn);
                s
            }
            None => {
                self.conns.push(Some(conn));
                self.conns.len() - 1
            }
        };
        self.recv(slot)
    }

    fn conn(&mut self, slot: usize) -> &mut Conn {
        self.conns[slot]
            .as_mut()
            .expect("a completion names a live connection")
    }

    fn recv(&mut self, slot: usize) -> std::io::Result<()> {
        let c = self.conn(slot);
        let fd = types::Fd(c.sock.as_raw_fd());
        let room = c.frames.room();
        let e = opcode::Recv::new(fd, room.as_mut_ptr().cast(), room.len() as u32)
            .build()
            .user_data((slot as u64) << OP_BITS | RECV);
        c.recv_armed = true;
        self.push(e)
    }

    fn received(&mut self, slot: usize, res: i32) -> std::io::Result<()> {
        let c = self.conn(slot);
        c.recv_armed = false;
        if c.closing {
            return self.release(slot);
        }
        if res < 0 {
            let e = std::io::Error::from_raw_os_error(-res);
            return self.close(slot, Some(Closed::Io(e)));
        }
        if res == 0 {
            let left = c.frames.pending().len();
            return self.finish(slot, (left > 0).then_some(Closed::Truncated(left)));
        }
        // SAFETY: the kernel wrote `res` bytes at the start of the room
        // `recv` handed it, and nothing touched the buffer in between.
        unsafe { c.frames.filled(res as usize) };
        if let Err(why) = answer(c) {
            return self.finish(slot, Some(why));
        }
        let partial = !c.frames.pending().is_empty();
        c.stalled_since = partial.then(Instant::now);
        let go_on = c.queued.len() < MAX_QUEUED;
        if !c.send_armed && !c.queued.is_empty() {
            self.send(slot)?;
        }
        if go_on {
            self.recv(slot)?;
        }
        if partial {
            self.start_ticking()?;
        }
        Ok(())
    }

    fn send(&mut self, slot: usize) -> std::io::Result<()> {
        let c = self.conn(slot);
        if c.sent == c.sending.len() {
            std::mem::swap(&mut c.sending, &mut c.queued);
            c.queued.clear();
            c.sent = 0;
        }
        let rest = &c.sending[c.sent..];
        let e = opcode::Send::new(
            types::Fd(c.sock.as_raw_fd()),
            rest.as_ptr(),
            rest.len() as u32,
        )
        .flags(libc::MSG_NOSIGNAL)
        .build()
        .user_data((slot as u64) << OP_BITS | SEND);
        c.send_armed = true;
        self.push(e)
    }

    fn sent(&mut self, slot: usize, res: i32) -> std::io::Result<()> {
        let c = self.conn(slot);
        c.send_armed = false;
        if c.closing {
            return self.release(slot);
        }
        if res < 0 {
            let e = std::io::Error::from_raw_os_error(-res);
            return self.close(slot, Some(Closed::Io(e)));
        }
        c.sent += res as usize;
        let paused = !c.recv_armed && c.finish.is_none();
        if c.sent < c.sending.len() || !c.queued.is_empty() {
            self.send(slot)?;
        } else if let Some(why) = c.finish.take() {
            return self.close(slot, why);
        }
        // Reads paused on a full queue resume once it is on the wire, and
        // the frame timeout counts from then.
        let c = self.conn(slot);
        if paused && c.queued.len() < MAX_QUEUED {
            if c.stalled_since.is_some() {
                c.stalled_since = Some(Instant::now());
            }
            self.recv(slot)?;
        }
        Ok(())
    }

    /// Reads no more; closes once every reply made so far is sent.
    fn finish(&mut self, slot: usize, why: Option<Closed>) -> std::io::Result<()> {
        let c = self.conn(slot);
        c.stalled_since = None;
        if c.send_armed {
            c.finish = Some(why);
            Ok(())
        } else if !c.queued.is_empty() {
            c.finish = Some(why);
            self.send(slot)
        } else {
            self.close(slot, why)
        }
    }

    /// Ends a connection: logs why (a clean close says nothing), wakes its
    /// pending operations with a shutdown, frees it once they are back.
    fn close(&mut self, slot: usize, why: Option<Closed>) -> std::io::Result<()> {
        let c = self.conn(slot);
        if let Some(why) = why {
            match c.peer {
                Some(p) => crate::errln!("iobound serve: closed {p}: {why}"),
                None => crate::errln!("iobound serve: closed a connection: {why}"),
            }
            // Also ends a receive still pending in the ring.
            let _ = c.sock.shutdown(std::net::Shutdown::Both);
        }
        c.closing = true;
        self.release(slot)
    }

    fn release(&mut self, slot: usize) -> std::io::Result<()> {
        let c = self.conn(slot);
        if !c.busy() {
            // Dropping the connection closes its socket.
            self.conns[slot] = None;
            self.free.push(slot);
        } else if c.recv_armed {
            // A closing connection's receive must come back: a shutdown
            // ends it (it may be the only thing left, after a clean close).
            let _ = c.sock.shutdown(std::net::Shutdown::Both);
        }
        Ok(())
    }

    fn start_ticking(&mut self) -> std::io::Result<()> {
        if self.ticking {
            return Ok(());
        }
        self.ticking = true;
        let t = opcode::Timeout::new(&self.tick)
            .build()
            .user_data(TICK << OP_BITS | TIMER);
        self.push(t)
    }

    /// Between frames a connection may idle as long as it likes; in the
    /// middle of one, a silent peer would hold the connection forever.
    fn expire(&mut self) -> std::io::Result<()> {
        let now = Instant::now();
        let mut waiting = false;
        for slot in 0..self.conns.len() {
            let Some(c) = self.conns[slot].as_mut() else {
                continue;
            };
            // A connection whose reads are paused (its replies wait for the
            // peer to read them) is not stalled by the peer.
            let Some(since) = c.stalled_since.filter(|_| c.recv_armed && !c.closing) else {
                continue;
            };
            if now.duration_since(since) >= self.frame_timeout {
                let why = Closed::Stalled {
                    secs: self.frame_timeout.as_secs_f64(),
                    pending: c.frames.pending().len(),
                };
                self.close(slot, Some(why))?;
            } else {
                waiting = true;
            }
        }
        if waiting {
            self.start_ticking()?;
        }
        Ok(())
    }
}

/// Answers every complete frame received, in order, appending the replies
/// to the connection's queue.
fn answer(c: &mut Conn) -> Result<(), Closed> {
    while let Some(frame) = c.frames.frame()? {
        let used = frame.len();
        let (req, _) = proto::decode_request(frame)?.expect("a complete frame");
        match req {
            Request::Echo(p) => proto::encode_response(&mut c.queued, proto::STATUS_OK, p),
            Request::Get { .. } => return Err(Closed::WrongServer("GET")),
            Request::Put { .. } => return Err(Closed::WrongServer("PUT")),
        }
        c.frames.consume(used);
    }
    Ok(())
}
