//! A small single-threaded async runtime whose one event source is io_uring:
//! every sleep is an IORING_OP_TIMEOUT entry, and the loop blocks in
//! io_uring_enter until a timeout completes.
//!
//! Why our own and not glommio or tokio-uring: the lesson is about what an
//! event loop does, so the loop must be small enough to read and must be able
//! to say what it does (task picked, run until it awaits, parked, next ready
//! task) — see [`Event`]. Its timers fire within ~0.1 ms of their deadline
//! here, where tokio-uring's go through tokio's millisecond timer wheel. It
//! also lets a task start eagerly, which the lesson's `create_task` output
//! needs (see [`spawn_eager`]).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::{pin, Pin};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use io_uring::{opcode, types, IoUring};

/// Errors starting the runtime.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot create an io_uring for the lesson's event loop: {0}")]
    Ring(#[source] std::io::Error),
    #[error("io_uring_enter failed: {0}")]
    Enter(#[source] std::io::Error),
}

/// What the loop did, for chapter 2's trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A ready task is picked and polled.
    Picked(String),
    /// The task awaited something not ready yet and went back to waiting.
    Parked(String),
    /// The task returned.
    Finished(String),
    /// A task was created and put on the ready queue.
    Scheduled(String),
    /// Nothing is ready: the loop sleeps in io_uring_enter.
    Idle { timers: usize },
    /// A timeout completed; its task is ready again.
    TimerFired(String),
}

pub type Tracer = Box<dyn FnMut(Duration, &Event)>;

/// Id of the future given to [`block_on`]; spawned tasks count from 0.
const MAIN: usize = usize::MAX;

struct TaskSlot {
    name: String,
    /// `None` while the task is being polled or once it has finished.
    fut: Option<Pin<Box<dyn Future<Output = ()>>>>,
}

struct Timer {
    /// The kernel reads the timespec when the entry is submitted; it is kept
    /// until the completion anyway, so its address stays valid whatever the
    /// kernel version does.
    _ts: Box<types::Timespec>,
    fired: bool,
    waker: Option<Waker>,
    /// The task that waits on it, for the trace.
    task: String,
    /// Its `Sleep` was dropped before it fired.
    abandoned: bool,
}

struct Inner {
    ring: RefCell<IoUring>,
    tasks: RefCell<Vec<TaskSlot>>,
    ready: Arc<ReadyQueue>,
    timers: RefCell<HashMap<u64, Timer>>,
    next_timer: Cell<u64>,
    /// The task being polled.
    current: Cell<usize>,
    tracer: RefCell<Option<Tracer>>,
    start: Instant,
}

#[derive(Default)]
struct ReadyQueue(Mutex<VecDeque<usize>>);

impl ReadyQueue {
    fn push(&self, id: usize) {
        let mut q = self.0.lock().expect("no panics while holding it");
        if !q.contains(&id) {
            q.push_back(id);
        }
    }
    fn pop(&self) -> Option<usize> {
        self.0
            .lock()
            .expect("no panics while holding it")
            .pop_front()
    }
}

struct TaskWaker {
    id: usize,
    ready: Arc<ReadyQueue>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.ready.push(self.id);
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Inner>>> = const { RefCell::new(None) };
}

fn with_rt<R>(f: impl FnOnce(&Rc<Inner>) -> R) -> R {
    CURRENT.with(|c| {
        let rt = c.borrow();
        f(rt.as_ref()
            .expect("lesson futures run inside runtime::block_on"))
    })
}

impl Inner {
    fn trace(&self, e: Event) {
        if let Some(t) = self.tracer.borrow_mut().as_mut() {
            t(self.start.elapsed(), &e);
        }
    }

    fn name(&self, id: usize) -> String {
        if id == MAIN {
            "main".into()
        } else {
            self.tasks.borrow()[id].name.clone()
        }
    }

    fn waker(&self, id: usize) -> Waker {
        Waker::from(Arc::new(TaskWaker {
            id,
            ready: self.ready.clone(),
        }))
    }

    /// Polls spawned task `id` once, if it has not finished.
    fn poll_task(&self, id: usize) {
        let Some(mut fut) = self.tasks.borrow_mut()[id].fut.take() else {
            return;
        };
        let name = self.name(id);
        self.trace(Event::Picked(name.clone()));
        let outer = self.current.replace(id);
        let waker = self.waker(id);
        let done = fut
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_ready();
        self.current.set(outer);
        if done {
            self.trace(Event::Finished(name));
        } else {
            self.trace(Event::Parked(name));
            self.tasks.borrow_mut()[id].fut = Some(fut);
        }
    }

    /// Sleeps in io_uring_enter until a timeout completes, then wakes its task.
    fn wait_for_timers(&self) -> Result<(), RuntimeError> {
        let pending = self.timers.borrow().values().filter(|t| !t.fired).count();
        self.trace(Event::Idle { timers: pending });
        let mut ring = self.ring.borrow_mut();
        match ring.submit_and_wait(1) {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => return Ok(()),
            Err(e) => return Err(RuntimeError::Enter(e)),
        }
        let fired: Vec<u64> = ring.completion().map(|c| c.user_data()).collect();
        drop(ring);
        for id in fired {
            let mut timers = self.timers.borrow_mut();
            let Some(t) = timers.get_mut(&id) else {
                continue;
            };
            if t.abandoned {
                timers.remove(&id);
                continue;
            }
            t.fired = true;
            let (waker, task) = (t.waker.take(), t.task.clone());
            drop(timers);
            self.trace(Event::TimerFired(task));
            if let Some(w) = waker {
                w.wake();
            }
        }
        Ok(())
    }
}

/// Runs `fut` to completion on a new event loop, like `asyncio.run`. Tasks it
/// spawned and that are still pending when it returns are dropped.
pub fn block_on<F: Future>(fut: F, tracer: Option<Tracer>) -> Result<F::Output, RuntimeError> {
    let ring = IoUring::new(64).map_err(RuntimeError::Ring)?;
    let inner = Rc::new(Inner {
        ring: RefCell::new(ring),
        tasks: RefCell::new(Vec::new()),
        ready: Arc::new(ReadyQueue::default()),
        timers: RefCell::new(HashMap::new()),
        next_timer: Cell::new(0),
        current: Cell::new(MAIN),
        tracer: RefCell::new(tracer),
        start: Instant::now(),
    });
    CURRENT.with(|c| *c.borrow_mut() = Some(inner.clone()));
    // Clears the thread's runtime however this function is left.
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CURRENT.with(|c| c.borrow_mut().take());
        }
    }
    let _reset = Reset;
    let mut main = pin!(fut);
    let main_waker = inner.waker(MAIN);
    inner.ready.push(MAIN);
    loop {
        while let Some(id) = inner.ready.pop() {
            if id != MAIN {
                inner.poll_task(id);
                continue;
            }
            inner.trace(Event::Picked("main".into()));
            inner.current.set(MAIN);
            if let Poll::Ready(v) = main.as_mut().poll(&mut Context::from_waker(&main_waker)) {
                inner.trace(Event::Finished("main".into()));
                return Ok(v);
            }
            inner.trace(Event::Parked("main".into()));
        }
        inner.wait_for_timers()?;
    }
}

/// A future that completes `d` after it is first polled, on an io_uring timeout.
pub fn sleep(d: Duration) -> Sleep {
    Sleep {
        duration: d,
        timer: None,
    }
}

pub struct Sleep {
    duration: Duration,
    timer: Option<u64>,
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        with_rt(|rt| match self.timer {
            None => {
                let id = rt.next_timer.get();
                rt.next_timer.set(id + 1);
                let ts = Box::new(
                    types::Timespec::new()
                        .sec(self.duration.as_secs())
                        .nsec(self.duration.subsec_nanos()),
                );
                let entry = opcode::Timeout::new(&*ts as *const types::Timespec)
                    .build()
                    .user_data(id);
                rt.timers.borrow_mut().insert(
                    id,
                    Timer {
                        _ts: ts,
                        fired: false,
                        waker: Some(cx.waker().clone()),
                        task: rt.name(rt.current.get()),
                        abandoned: false,
                    },
                );
                let mut ring = rt.ring.borrow_mut();
                // SAFETY: the entry points to the boxed timespec in `timers`,
                // which is removed only after the entry's completion.
                unsafe { ring.submission().push(&entry) }.expect("one timer per sleeping task");
                // Submitted now, so the timeout counts from this instant
                // rather than from the loop's next wait.
                let _ = ring.submit();
                self.timer = Some(id);
                Poll::Pending
            }
            Some(id) => {
                let mut timers = rt.timers.borrow_mut();
                let t = timers
                    .get_mut(&id)
                    .expect("removed only here or when abandoned");
                if t.fired {
                    timers.remove(&id);
                    self.timer = None;
                    self.duration = Duration::ZERO;
                    Poll::Ready(())
                } else {
                    t.waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        if let Some(id) = self.timer {
            // The entry is still in the kernel: keep its timespec until it completes.
            let _ = CURRENT.try_with(|c| {
                if let Some(rt) = c.borrow().as_ref() {
                    if let Some(t) = rt.timers.borrow_mut().get_mut(&id) {
                        t.abandoned = true;
                    }
                }
            });
        }
    }
}

/// The result of a spawned task, awaitable.
pub struct JoinHandle<T> {
    state: Rc<RefCell<JoinState<T>>>,
}

struct JoinState<T> {
    value: Option<T>,
    waiter: Option<Waker>,
}

impl<T> Future for JoinHandle<T> {
    type Output = T;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self.state.borrow_mut();
        match s.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

fn register<F>(name: &str, fut: F) -> (usize, JoinHandle<F::Output>)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let state = Rc::new(RefCell::new(JoinState {
        value: None,
        waiter: None,
    }));
    let s = state.clone();
    let task = async move {
        let v = fut.await;
        let waiter = {
            let mut st = s.borrow_mut();
            st.value = Some(v);
            st.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    };
    let id = with_rt(|rt| {
        let mut tasks = rt.tasks.borrow_mut();
        tasks.push(TaskSlot {
            name: name.to_string(),
            fut: Some(Box::pin(task)),
        });
        tasks.len() - 1
    });
    (id, JoinHandle { state })
}

/// Schedules `fut` as a task that first runs when the current task awaits,
/// as `asyncio.create_task` does by default.
pub fn spawn<F>(name: &str, fut: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (id, h) = register(name, fut);
    with_rt(|rt| {
        rt.trace(Event::Scheduled(name.to_string()));
        rt.ready.push(id);
    });
    h
}

/// Creates a task and runs it at once, until its first await, before
/// returning to the caller: Python 3.12's `eager_task_factory` behaviour.
pub fn spawn_eager<F>(name: &str, fut: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let (id, h) = register(name, fut);
    let rt = with_rt(|rt| rt.clone());
    rt.trace(Event::Scheduled(name.to_string()));
    rt.poll_task(id);
    h
}

/// Runs the futures concurrently as tasks, in the given order, and returns
/// their results in that order, like `asyncio.gather`.
pub async fn gather<F>(futs: Vec<(String, F)>) -> Vec<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let handles: Vec<_> = futs.into_iter().map(|(n, f)| spawn(&n, f)).collect();
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn available() -> bool {
        let ok = IoUring::new(2).is_ok();
        if !ok {
            crate::errln!("skipping: io_uring unavailable here");
        }
        ok
    }

    #[test]
    fn sleeps_end_in_deadline_order_and_on_time() {
        if !available() {
            return;
        }
        let order = Rc::new(RefCell::new(Vec::new()));
        let o = order.clone();
        let took = block_on(
            async move {
                let t = Instant::now();
                let mk = |ms: u64| {
                    let o = o.clone();
                    async move {
                        sleep(Duration::from_millis(ms)).await;
                        o.borrow_mut().push(ms);
                        ms
                    }
                };
                let r = gather(vec![
                    ("a".to_string(), mk(30)),
                    ("b".to_string(), mk(10)),
                    ("c".to_string(), mk(20)),
                ])
                .await;
                assert_eq!(r, [30, 10, 20]);
                t.elapsed()
            },
            None,
        )
        .unwrap();
        assert_eq!(*order.borrow(), [10, 20, 30]);
        // Concurrent: about the longest sleep, never the sum (60 ms).
        assert!(took >= Duration::from_millis(30), "{took:?}");
        assert!(took < Duration::from_millis(58), "{took:?}");
    }

    #[test]
    fn lazy_and_eager_tasks_start_at_different_times() {
        if !available() {
            return;
        }
        for eager in [false, true] {
            let log = Rc::new(RefCell::new(Vec::new()));
            let l = log.clone();
            block_on(
                async move {
                    let l2 = l.clone();
                    let bg = async move {
                        l2.borrow_mut().push("task starts");
                    };
                    let h = if eager {
                        spawn_eager("bg", bg)
                    } else {
                        spawn("bg", bg)
                    };
                    l.borrow_mut().push("main continues");
                    h.await;
                },
                None,
            )
            .unwrap();
            let want = if eager {
                ["task starts", "main continues"]
            } else {
                ["main continues", "task starts"]
            };
            assert_eq!(*log.borrow(), want, "eager={eager}");
        }
    }

    #[test]
    fn the_trace_shows_parking_and_waking() {
        if !available() {
            return;
        }
        let events = Rc::new(RefCell::new(Vec::new()));
        let e = events.clone();
        block_on(
            async {
                spawn("t", sleep(Duration::from_millis(2))).await;
            },
            Some(Box::new(move |_, ev: &Event| {
                e.borrow_mut().push(ev.clone())
            })),
        )
        .unwrap();
        let ev = events.borrow();
        let pos = |x: &Event| ev.iter().position(|y| y == x).unwrap();
        assert!(pos(&Event::Parked("main".into())) < pos(&Event::Picked("t".into())));
        assert!(pos(&Event::Parked("t".into())) < pos(&Event::TimerFired("t".into())));
        assert!(pos(&Event::TimerFired("t".into())) < pos(&Event::Finished("t".into())));
        assert_eq!(ev.last(), Some(&Event::Finished("main".into())));
    }
}
