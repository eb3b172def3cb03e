// Jest runs up to two test files at once on a two-core machine: batched methods run in process unless a
// test asks for worker threads (the `workers` option), so the suite does not oversubscribe the cores.
process.env.SALIENCY_WORKERS = '1';
