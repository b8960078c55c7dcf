//! One server thread's timer for the per-query service delay: every pending
//! delay in a heap, one timerfd armed for the earliest, and its expiry read
//! through the thread's io_uring. The waits cost no thread and no file
//! descriptor each, and fire within microseconds of their deadline; tokio's
//! timer, which tokio-uring's runtime also offers, rounds up to whole
//! milliseconds (a 1 ms delay took about 2 ms here).

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::future::Future;
use std::os::fd::{FromRawFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

#[derive(Default)]
struct State {
    next_id: u64,
    /// Pending deadlines, earliest first.
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    /// Wakers of pending delays; an id missing here has fired.
    waiting: HashMap<u64, Option<Waker>>,
    /// The deadline the timerfd is armed for.
    armed: Option<Instant>,
    /// The driver task, parked while no delay is pending.
    driver: Option<Waker>,
}

pub struct Timer {
    raw: RawFd,
    fd: tokio_uring::fs::File,
    state: RefCell<State>,
}

/// Arms `raw` to fire `d` from now (a zero `d` would disarm it: use 1 ns).
fn arm(raw: RawFd, d: Duration) {
    let d = d.max(Duration::from_nanos(1));
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: d.as_secs() as libc::time_t,
            tv_nsec: d.subsec_nanos() as libc::c_long,
        },
    };
    // SAFETY: arms our own timerfd with a spec that lives across the call.
    unsafe { libc::timerfd_settime(raw, 0, &spec, std::ptr::null_mut()) };
}

impl Timer {
    /// A timer and the task that drives it on the current tokio-uring thread.
    pub fn start() -> std::io::Result<Rc<Timer>> {
        // SAFETY: timerfd_create takes no pointers; a non-negative result is a new fd.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh fd that the File now owns.
        let file = unsafe { std::fs::File::from_raw_fd(raw) };
        let t = Rc::new(Timer {
            raw,
            fd: tokio_uring::fs::File::from_std(file),
            state: RefCell::new(State::default()),
        });
        tokio_uring::spawn(t.clone().drive());
        Ok(t)
    }

    /// Completes `d` from now.
    pub fn sleep(&self, d: Duration) -> Sleep<'_> {
        let at = Instant::now() + d;
        let mut s = self.state.borrow_mut();
        let id = s.next_id;
        s.next_id += 1;
        s.heap.push(Reverse((at, id)));
        s.waiting.insert(id, None);
        if s.armed.map_or(true, |a| at < a) {
            arm(self.raw, d);
            s.armed = Some(at);
        }
        if let Some(w) = s.driver.take() {
            w.wake();
        }
        Sleep { timer: self, id }
    }

    async fn drive(self: Rc<Self>) {
        loop {
            let idle = self.state.borrow().heap.is_empty();
            if idle {
                std::future::poll_fn(|cx| {
                    let mut s = self.state.borrow_mut();
                    if s.heap.is_empty() {
                        s.driver = Some(cx.waker().clone());
                        Poll::Pending
                    } else {
                        Poll::Ready(())
                    }
                })
                .await;
                continue;
            }
            let (res, _) = self.fd.read_at(vec![0u8; 8], 0).await;
            if let Err(e) = res {
                crate::errln!("iobound serve: timer read failed: {e}");
            }
            let now = Instant::now();
            let mut s = self.state.borrow_mut();
            while let Some(&Reverse((at, id))) = s.heap.peek() {
                if at > now {
                    break;
                }
                s.heap.pop();
                if let Some(Some(w)) = s.waiting.remove(&id) {
                    w.wake();
                }
            }
            s.armed = s.heap.peek().map(|&Reverse((at, _))| at);
            if let Some(at) = s.armed {
                arm(self.raw, at.saturating_duration_since(now));
            }
        }
    }
}

/// A pending delay.
pub struct Sleep<'a> {
    timer: &'a Timer,
    id: u64,
}

impl Future for Sleep<'_> {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = self.timer.state.borrow_mut();
        match s.waiting.get_mut(&self.id) {
            None => Poll::Ready(()),
            Some(w) => {
                *w = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl Drop for Sleep<'_> {
    fn drop(&mut self) {
        // A dropped delay's heap entry stays until it expires; forget its waker.
        self.timer.state.borrow_mut().waiting.remove(&self.id);
    }
}
