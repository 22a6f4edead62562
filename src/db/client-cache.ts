import { copyValue } from './copy-value.ts';

/*
 * Registered clients are read by every provider request (a login makes about eight), yet change
 * only when an administrator edits one. They are kept for a short time across requests: a change
 * made through this process's database handle clears the cache at once (see open-database.ts);
 * a change made by another instance or a CLI process takes effect here within CLIENT_CACHE_MS.
 * The store lives on globalThis because Next.js bundles page code separately from server.ts, and
 * here in src/db beside the database handle that clears it (the ground layer imports no domain folder).
 */
export const CLIENT_CACHE_MS = 2_000;

interface Entry {
  at: number;
  value: Promise<unknown>;
}
const GLOBAL_KEY = Symbol.for('hpki-sso.client-cache');
const cache: Map<string, Entry> = ((globalThis as { [GLOBAL_KEY]?: Map<string, Entry> })[GLOBAL_KEY] ??= new Map());

/** The cached answer for a client, or a fresh read when there is none younger than CLIENT_CACHE_MS. */
export async function cachedClient<T>(clientId: string, load: () => Promise<T>): Promise<T> {
  const now = Date.now();
  const hit = cache.get(clientId);
  if (hit && now - hit.at < CLIENT_CACHE_MS) return copyValue((await hit.value) as T);
  const value = load();
  cache.set(clientId, { at: now, value });
  value.catch(() => cache.get(clientId)?.value === value && cache.delete(clientId));
  return copyValue(await value);
}

/** Any write to the client table: forget every cached client. */
export function clientsChanged(): void {
  cache.clear();
}
