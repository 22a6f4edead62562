/** The Node.js flags the portal process runs with (see portal-node-args.mjs). */
export function portalNodeArgs(env?: Record<string, string | undefined>): string[];
