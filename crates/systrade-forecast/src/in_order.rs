//! Parallel work over a list whose results are consumed in list order, as they become ready
//! ([`for_each_in_order`]); the pipeline's last phase ([`crate::pipeline::compute_forecasts`]).

use rayon::prelude::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, PoisonError};

/// Runs `work` on every item on rayon's threads and hands each result to `sink` on the calling
/// thread, in `items` order, as soon as it and every result before it are ready.
///
/// Items are taken in order by whichever thread is free (no thread waits for a slow item's
/// neighbours), and at most `window` items are taken beyond the last one sunk, which bounds
/// the results held in memory. At the first error of `sink` no further item is taken; the
/// items already being worked on finish and their results are dropped.
///
/// Called from inside a rayon thread (where blocking the thread on results could stall the
/// pool), it works in batches of `window` instead: each batch in parallel, then its results
/// in order.
///
/// # Errors
/// The first error of `sink`.
///
/// # Panics
/// When `work` panics (the panic is resumed on the calling thread), or when `window` is 0.
pub fn for_each_in_order<I: Send, R: Send, E>(
    items: Vec<I>,
    window: usize,
    work: &(dyn Fn(I) -> R + Sync),
    sink: &mut dyn FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    assert!(window > 0, "window must be at least 1");
    if rayon::current_thread_index().is_some() || rayon::current_num_threads() < 2 {
        return in_batches(items, window, work, sink);
    }
    let n = items.len();
    let slots: Vec<Mutex<Option<I>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // how many results have been sunk, and a wake-up for threads waiting for the window to move
    let sunk = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, R)>();
    let set_stop = || {
        stop.store(true, Ordering::Relaxed);
        let (count, moved) = &sunk;
        drop(count.lock().unwrap_or_else(PoisonError::into_inner));
        moved.notify_all();
    };

    let worker = |tx: mpsc::Sender<(usize, R)>| {
        // a panic in `work` stops the others too (instead of leaving them waiting for the
        // window to move past the item that never arrives)
        let _on_panic = OnPanic(&set_stop);
        loop {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return;
            }
            {
                let (count, moved) = &sunk;
                let mut count = count.lock().unwrap_or_else(PoisonError::into_inner);
                while i >= *count + window && !stop.load(Ordering::Relaxed) {
                    count = moved.wait(count).unwrap_or_else(PoisonError::into_inner);
                }
            }
            if stop.load(Ordering::Relaxed) {
                return;
            }
            // each index is handed out once (`fetch_add`), so its slot is full; skipping it
            // instead would leave the caller waiting for a result that never comes
            let item = slots[i]
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
                .expect("each item is taken once");
            if tx.send((i, work(item))).is_err() {
                return;
            }
        }
    };

    std::thread::scope(|scope| {
        let threads = rayon::current_num_threads();
        let workers = {
            let tx = tx.clone();
            let worker = &worker;
            scope.spawn(move || {
                rayon::scope(|s| {
                    for _ in 0..threads {
                        let tx = tx.clone();
                        s.spawn(move |_| worker(tx));
                    }
                });
            })
        };
        drop(tx);
        // results that arrived before an earlier one, by position after the next to sink
        let mut waiting: VecDeque<Option<R>> = VecDeque::new();
        let mut done = 0usize;
        let mut outcome = Ok(());
        while done < n {
            // a closed channel before every result: a worker panicked (resumed at the join)
            let Ok((i, r)) = rx.recv() else { break };
            let at = i - done;
            if waiting.len() <= at {
                waiting.resize_with(at + 1, || None);
            }
            waiting[at] = Some(r);
            while let Some(Some(_)) = waiting.front() {
                let r = waiting.pop_front().flatten().expect("front is ready");
                done += 1;
                if let Err(e) = sink(r) {
                    outcome = Err(e);
                    break;
                }
                let (count, moved) = &sunk;
                *count.lock().unwrap_or_else(PoisonError::into_inner) = done;
                moved.notify_all();
            }
            if outcome.is_err() {
                break;
            }
        }
        set_stop();
        drop(rx);
        if let Err(panic) = workers.join() {
            std::panic::resume_unwind(panic);
        }
        outcome
    })
}

/// Calls its function when dropped while the thread panics.
struct OnPanic<'a>(&'a dyn Fn());

impl Drop for OnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            (self.0)();
        }
    }
}

/// [`for_each_in_order`] from inside the pool: `window` items at a time in parallel, then
/// their results in order.
fn in_batches<I: Send, R: Send, E>(
    items: Vec<I>,
    window: usize,
    work: &(dyn Fn(I) -> R + Sync),
    sink: &mut dyn FnMut(R) -> Result<(), E>,
) -> Result<(), E> {
    let mut rest = items.into_iter();
    loop {
        let batch: Vec<I> = rest.by_ref().take(window).collect();
        if batch.is_empty() {
            return Ok(());
        }
        let done: Vec<R> = batch.into_par_iter().map(work).collect();
        for r in done {
            sink(r)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn run(n: usize, window: usize, fail_at: Option<usize>) -> (Vec<usize>, Result<(), usize>) {
        let mut seen = Vec::new();
        let r = for_each_in_order(
            (0..n).collect(),
            window,
            &|i: usize| {
                // later items finish first within a window
                std::thread::sleep(Duration::from_micros(((n - i) % 7) as u64 * 200));
                i * 10
            },
            &mut |r: usize| {
                if Some(r / 10) == fail_at {
                    return Err(r);
                }
                seen.push(r / 10);
                Ok(())
            },
        );
        (seen, r)
    }

    #[test]
    fn results_arrive_in_item_order() {
        for window in [1, 2, 3, 16, 1000] {
            let (seen, r) = run(200, window, None);
            assert_eq!(r, Ok(()));
            assert_eq!(seen, (0..200).collect::<Vec<_>>(), "window {window}");
        }
        assert_eq!(run(0, 4, None), (vec![], Ok(())));
    }

    #[test]
    fn the_first_sink_error_stops_and_is_returned() {
        let (seen, r) = run(500, 8, Some(37));
        assert_eq!(r, Err(370));
        assert_eq!(seen, (0..37).collect::<Vec<_>>());
    }

    #[test]
    fn no_more_than_the_window_is_taken_beyond_what_was_sunk() {
        let window = 4;
        let taken = AtomicUsize::new(0);
        let mut sunk = 0usize;
        for_each_in_order(
            (0..300).collect::<Vec<usize>>(),
            window,
            &|i: usize| {
                taken.fetch_max(i + 1, Ordering::SeqCst);
                i
            },
            &mut |i: usize| {
                sunk = i + 1;
                // the item being sunk was taken; at most `window` items are taken past the
                // last result sunk before it
                assert!(taken.load(Ordering::SeqCst) <= i + window, "item {i}");
                Ok::<(), ()>(())
            },
        )
        .unwrap();
        assert_eq!(sunk, 300);
    }

    #[test]
    fn inside_the_pool_it_works_in_batches_in_order() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let (seen, r) = pool.install(|| run(100, 7, None));
        assert_eq!(r, Ok(()));
        assert_eq!(seen, (0..100).collect::<Vec<_>>());
    }

    #[test]
    #[should_panic(expected = "item 13")]
    fn a_panic_in_work_reaches_the_caller() {
        let _ = for_each_in_order(
            (0..50).collect::<Vec<usize>>(),
            4,
            &|i: usize| {
                assert_ne!(i, 13, "item 13");
                i
            },
            &mut |_| Ok::<(), ()>(()),
        );
    }
}
