//! The one ordered parallel driver: batches of items are cut into small chunks, the
//! chunks processed on a thread pool, and their results handed to a consumer in input
//! order; batch N is processed while the results of batch N-1 are consumed beside it, so
//! the workers do not wait for the consumer (a writer, dedup's observer, a scorer).
//!
//! The driver knows nothing of what the work or the consumer do: the main pass
//! ([`crate::pipeline`]), dedup's apply phase and `rinse eval` each give it their own.
use crate::error::Result;
use rayon::prelude::*;

/// Drives `work` over pushed batches; see the module documentation.
pub struct Ordered<'p, W, R> {
    pool: &'p rayon::ThreadPool,
    chunk: usize,
    work: W,
    /// Results of the last batch processed, not yet consumed.
    pending: Option<Vec<R>>,
}

/// Takes the results of [`Ordered`], chunk by chunk in input order.
pub trait Sink<R>: Send {
    /// The result of the next chunk.
    fn take(&mut self, result: R) -> Result<Flow>;

    /// The last chunk of a batch was taken.
    fn end_batch(&mut self) -> Result<Flow> {
        Ok(Flow::Continue)
    }
}

impl<R, F: FnMut(R) -> Result<Flow> + Send> Sink<R> for F {
    fn take(&mut self, result: R) -> Result<Flow> {
        self(result)
    }
}

/// Whether the consumer wants more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The consumer has stopped (it reports why itself); push no more.
    Stop,
}

impl<'p, W, R> Ordered<'p, W, R>
where
    R: Send,
{
    /// `work` turns one chunk of at most `chunk` items into its result. Each chunk is its
    /// own task: left to itself, rayon would hand each thread a long run of chunks to
    /// fold in one go, and a thread that finished its run early could not take over any
    /// of the other's (seen as 50 ms stretches with one core idle).
    pub fn new(pool: &'p rayon::ThreadPool, chunk: usize, work: W) -> Self {
        Ordered {
            pool,
            chunk: chunk.max(1),
            work,
            pending: None,
        }
    }

    /// Process `batch` on the pool while `sink` takes the previous batch's results,
    /// chunk by chunk in order.
    pub fn push<I>(&mut self, batch: Vec<I>, sink: &mut impl Sink<R>) -> Result<Flow>
    where
        I: Send,
        W: Fn(Vec<I>) -> R + Sync,
    {
        let previous = self.pending.take();
        let (chunk, work) = (self.chunk, &self.work);
        let (results, consumed) = self.pool.install(|| {
            rayon::join(
                || {
                    let mut chunks: Vec<Vec<I>> = Vec::new();
                    let mut it = batch.into_iter().peekable();
                    while it.peek().is_some() {
                        chunks.push(it.by_ref().take(chunk).collect());
                    }
                    chunks
                        .into_par_iter()
                        .with_max_len(1)
                        .map(work)
                        .collect::<Vec<R>>()
                },
                || consume_all(previous, sink),
            )
        });
        self.pending = Some(results);
        consumed
    }

    /// Hand the last batch's results to `sink`.
    pub fn finish(mut self, sink: &mut impl Sink<R>) -> Result<Flow> {
        consume_all(self.pending.take(), sink)
    }
}

fn consume_all<R>(results: Option<Vec<R>>, sink: &mut impl Sink<R>) -> Result<Flow> {
    let Some(results) = results else {
        return Ok(Flow::Continue);
    };
    for r in results {
        if sink.take(r)? == Flow::Stop {
            return Ok(Flow::Stop);
        }
    }
    sink.end_batch()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn pool(n: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    }

    #[test]
    fn results_come_in_input_order_for_any_chunk_and_thread_count() {
        for threads in [1, 2, 3] {
            let pool = pool(threads);
            for chunk in [1, 3, 32] {
                let mut d = Ordered::new(&pool, chunk, |c: Vec<u32>| {
                    c.into_iter().map(|x| x * 2).collect::<Vec<_>>()
                });
                let mut seen = Vec::new();
                let mut take = |r: Vec<u32>| {
                    seen.extend(r);
                    Ok(Flow::Continue)
                };
                for b in 0..10u32 {
                    let batch: Vec<u32> = (b * 17..b * 17 + 17).collect();
                    assert_eq!(d.push(batch, &mut take).unwrap(), Flow::Continue);
                }
                d.finish(&mut take).unwrap();
                let want: Vec<u32> = (0..170).map(|x| x * 2).collect();
                assert_eq!(seen, want, "threads {threads}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn a_stopping_or_failing_consumer_stops_the_drive() {
        let pool = pool(2);
        let mut d = Ordered::new(&pool, 2, |c: Vec<u32>| c);
        let mut n = 0;
        let mut take = |_: Vec<u32>| {
            n += 1;
            Ok(if n == 2 { Flow::Stop } else { Flow::Continue })
        };
        assert_eq!(
            d.push(vec![1, 2, 3, 4, 5], &mut take).unwrap(),
            Flow::Continue
        );
        // The first batch's three chunks are consumed now: the second says stop.
        assert_eq!(d.push(vec![6], &mut take).unwrap(), Flow::Stop);
        let mut d = Ordered::new(&pool, 2, |c: Vec<u32>| c);
        let mut fail = |_: Vec<u32>| Err(Error::Usage("disk full".into()));
        d.push(vec![1], &mut fail).unwrap();
        assert!(d.finish(&mut fail).is_err());
    }
}
