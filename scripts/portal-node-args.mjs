// How the portal process is started — `npm start` and every test or benchmark that starts the real
// process use the same flags and environment.
//
// The JavaScript heap is bounded (PORTAL_MAX_HEAP_MB, default 256 MB; the live heap under load is
// ~150 MB): without a bound, V8 on a machine with much memory lets garbage grow to several times the
// live heap before collecting, and the process's memory follows whatever allocation happened last — a
// flood of refused requests included.
//
// On PostgreSQL the only WebAssembly in the process is Prisma's query compiler, and it stays on V8's
// baseline compiler (--liftoff-only): its optimising tier-up, which happens during the first busy
// minute, took 20–64 MB of memory at random and gave back no CPU we could measure (benchmark: idle
// RSS 316–330 → 252 MB, peak 376–383 → 321 MB, logins per CPU-second unchanged). On the embedded
// database the database itself is WebAssembly (PGlite), and it keeps the optimising compiler.
export function portalNodeArgs(env = process.env) {
  const heapMb = Number(env.PORTAL_MAX_HEAP_MB ?? 256);
  if (!Number.isInteger(heapMb) || heapMb < 128) throw new Error('PORTAL_MAX_HEAP_MB must be a whole number of megabytes, at least 128');
  const onPostgres = /^postgres(ql)?:\/\//.test(env.DATABASE_URL ?? '');
  return [`--max-old-space-size=${heapMb}`, ...(onPostgres ? ['--liftoff-only'] : [])];
}

// glibc's malloc, told to give freed memory back (trim threshold) and to serve large blocks from their
// own mappings (mmap threshold), at 128 KiB each — its defaults, but fixed: by default glibc raises both
// after the first large block is freed, and then keeps what V8's optimising compiler used on worker
// threads for Prisma's WebAssembly at start-up (20–64 MB, at random) for the life of the process
// (measured 15 s after start: RSS 302–356 MB → 236–280 MB; benchmark peak 376–382 → 341 MB, CPU
// unchanged). Values the operator set win; glibc's GLIBC_TUNABLES overrides both. Other C libraries
// ignore the variables.
const MALLOC_THRESHOLD_BYTES = '131072';

/** The environment variables the portal process gets on top of its caller's. */
export function portalEnv(env = process.env) {
  return {
    MALLOC_TRIM_THRESHOLD_: env.MALLOC_TRIM_THRESHOLD_ || MALLOC_THRESHOLD_BYTES,
    MALLOC_MMAP_THRESHOLD_: env.MALLOC_MMAP_THRESHOLD_ || MALLOC_THRESHOLD_BYTES,
  };
}
