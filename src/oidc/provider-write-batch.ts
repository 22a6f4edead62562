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
  /** Last write per row wins, as it would have in the database; insertion order is kept. */
  rows: Map<string, StoredPayload>;
  send?: Send;
}

const GLOBAL_KEY = Symbol.for('hpki-sso.provider-write-batch');
const storage: AsyncLocalStorage<Batch> = ((globalThis as { [GLOBAL_KEY]?: AsyncLocalStorage<Batch> })[GLOBAL_KEY] ??= new AsyncLocalStorage());

/** Koa middleware for the provider (provider.use): its writes in this request go out together at the end. */
export async function batchProviderWrites(_ctx: unknown, next: () => Promise<unknown>): Promise<void> {
  const batch: Batch = { rows: new Map() };
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
  const key = `${row.model}\u0000${row.id}`;
  batch.rows.delete(key);
  batch.rows.set(key, row);
  batch.send = send;
  return true;
}

/** Sends what this request holds (before any other operation on the store). */
export async function sendDeferredWrites(): Promise<void> {
  const batch = storage.getStore();
  if (batch) await sendBatch(batch);
}

async function sendBatch(batch: Batch): Promise<void> {
  if (batch.rows.size === 0 || !batch.send) return;
  const rows = [...batch.rows.values()];
  batch.rows.clear();
  await batch.send(rows);
}
