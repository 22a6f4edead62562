/** The Node.js flags the portal process runs with (see portal-node-args.mjs). */
export function portalNodeArgs(env?: Record<string, string | undefined>): string[];
/** The environment variables the portal process gets on top of its caller's: glibc's malloc settings. */
export function portalEnv(env?: Record<string, string | undefined>): { MALLOC_TRIM_THRESHOLD_: string; MALLOC_MMAP_THRESHOLD_: string };
