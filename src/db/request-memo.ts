import { AsyncLocalStorage } from 'node:async_hooks';
import { copyValue } from './copy-value.ts';

/*
 * Reads memoised for the length of one HTTP request. A login's requests each load the same
 * interaction, session, grant and practitioner several times (oidc-provider, the portal's routes
 * and the page all ask); within one request the answer cannot usefully change, so it is read once.
 * Nothing outlives the request: another request or another instance always reads the database.
 * Writes made through the same code path update or drop the memo (read-your-writes).
 * The store lives on globalThis because Next.js bundles page code separately from server.ts.
 */
const GLOBAL_KEY = Symbol.for('hpki-sso.request-memo');
type Store = AsyncLocalStorage<Map<string, Promise<unknown>>>;
const storage: Store = ((globalThis as { [GLOBAL_KEY]?: Store })[GLOBAL_KEY] ??= new AsyncLocalStorage());

/** Runs one request with its own memo. */
export function withRequestMemo<T>(run: () => T): T {
  return storage.run(new Map(), run);
}

/**
 * The value for `key` in this request: loaded once, then a deep copy per caller so no caller
 * can change what the next one sees. Outside a request it simply loads.
 */
export async function memoised<T>(key: string, load: () => Promise<T>): Promise<T> {
  const memo = storage.getStore();
  if (!memo) return load();
  let pending = memo.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = load();
    memo.set(key, pending);
    // A failed read is not remembered: the next caller tries again.
    pending.catch(() => memo.get(key) === pending && memo.delete(key));
  }
  return copyValue(await pending);
}

/** After a write, or a read made together with another: this request now knows the value (a copy, so later changes by the writer do not leak in). */
export function rememberWritten(key: string, value: unknown): void {
  storage.getStore()?.set(key, Promise.resolve(copyValue(value)));
}

/** After a delete, or a write whose result is not known here. */
export function forget(key?: string): void {
  const memo = storage.getStore();
  if (!memo) return;
  if (key === undefined) memo.clear();
  else memo.delete(key);
}
