import { AsyncLocalStorage } from 'node:async_hooks';
import type { StoredPayload } from './payload-store.ts';

/*
 * oidc-provider's writes within one of its own requests are sent to the database together, in one
 * statement, when the request has been handled and before its answer goes out: the end of a login
 * stores the code and the session, the token endpoint the access and the refresh token — one
 * statement where each pair took two. Nobody can know those ids before the answer carries them.
 * Any other operation on the store within the request (a read, a consume, a delete) first sends
 * what is waiting, so every operation still sees every earlier write, in the original order. When
 * sending fails, the request fails (no answer claims a write that was not made). Outside a provider
 * request (the portal's own routes finishing an interaction, the CLI) every write goes at once.
 */

type Send = (rows: StoredPayload[]) => Promise<void>;
interface Batch {
  /** In the order written; the store's upsertMany keeps the last write of a row, as the database would have. */
  rows: StoredPayload[];
  send?: Send;
}

const GLOBAL_KEY = Symbol.for('hpki-sso.provider-write-batch');
const storage: AsyncLocalStorage<Batch> = ((globalThis as { [GLOBAL_KEY]?: AsyncLocalStorage<Batch> })[GLOBAL_KEY] ??= new AsyncLocalStorage());

/** Koa middleware for the provider (provider.use): its writes in this request go out together at the end. */
export async function batchProviderWrites(_ctx: unknown, next: () => Promise<unknown>): Promise<void> {
  const batch: Batch = { rows: [] };
  await storage.run(batch, async () => {
    try {
      await next();
    } finally {
      await sendBatch(batch);
    }
  });
}

/** Holds `row` for the end of this provider request; false outside one (the caller writes it now). */
export function deferWrite(row: StoredPayload, send: Send): boolean {
  const batch = storage.getStore();
  if (!batch) return false;
  batch.rows.push(row);
  batch.send = send;
  return true;
}

/** Sends what this request holds (before any other operation on the store). */
export async function sendDeferredWrites(): Promise<void> {
  const batch = storage.getStore();
  if (batch) await sendBatch(batch);
}

async function sendBatch(batch: Batch): Promise<void> {
  if (batch.rows.length === 0 || !batch.send) return;
  const rows = batch.rows.splice(0);
  await batch.send(rows);
}
