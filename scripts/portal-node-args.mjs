// The Node.js flags the portal process runs with — `npm start` and every test or benchmark that starts
// the real process use the same. The JavaScript heap is bounded (PORTAL_MAX_HEAP_MB, default 256 MB;
// the live heap under load is ~150 MB): without a bound, V8 on a machine with much memory lets garbage
// grow to several times the live heap before collecting, and the process's memory follows whatever
// allocation happened last — a flood of refused requests included.
export function portalNodeArgs(env = process.env) {
  const heapMb = Number(env.PORTAL_MAX_HEAP_MB ?? 256);
  if (!Number.isInteger(heapMb) || heapMb < 128) throw new Error('PORTAL_MAX_HEAP_MB must be a whole number of megabytes, at least 128');
  return [`--max-old-space-size=${heapMb}`];
}
