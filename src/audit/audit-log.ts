import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { driverOf } from '../db/driver-of.ts';
import { JSONB } from '../db/sql-arg-types.ts';
import { prepared } from '../db/prepared-statements.ts';

const APPEND_CHAINED = prepared('SELECT audit_append($1::jsonb)');

export interface AuditEntry {
  event: string;
  result: 'success' | 'failure' | 'info';
  practitionerId?: string | null;
  clientId?: string | null;
  method?: string | null;
  errorCode?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export const GENESIS_HASH = '0'.repeat(64);

// The advisory lock that serialises appends so each entry chains to the one before it: the
// constant 17090 inside the audit_append database function.

/** Keys sorted at every depth, so the same entry always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The stored fields of an entry, as read back from the table or about to be written. */
export interface AuditFields {
  at: Date;
  event: string;
  result: string;
  practitionerId: string | null;
  clientId: string | null;
  method: string | null;
  errorCode: string | null;
  ip: string | null;
  details: unknown;
}

export function canonicalEntry(e: AuditFields): string {
  return canonicalJson({
    at: e.at.toISOString(),
    event: e.event,
    result: e.result,
    practitionerId: e.practitionerId,
    clientId: e.clientId,
    method: e.method,
    errorCode: e.errorCode,
    ip: e.ip,
    details: e.details,
  });
}

export function chainHash(prevHash: string, canonical: string): string {
  return crypto.createHash('sha256').update(prevHash).update('\n').update(canonical).digest('hex');
}

interface Pending {
  fields: AuditFields;
  done: (error?: unknown) => void;
}

/** Entries waiting for the next write, per database handle. */
const queues = new WeakMap<Db, { waiting: Pending[]; writing: boolean }>();
const MAX_BATCH = 200;

/**
 * Appends one entry: hash = SHA-256(previous hash ‖ canonical entry). Never updates or deletes.
 * Resolves once the entry is committed. Entries that arrive while a write is in progress are
 * written together in the next transaction (group commit): one lock, one read of the chain's
 * end and one insert for the lot, instead of one transaction each.
 */
export function appendAudit(prisma: Db, entry: AuditEntry): Promise<void> {
  const fields: AuditFields = {
    at: new Date(),
    event: entry.event,
    result: entry.result,
    practitionerId: entry.practitionerId ?? null,
    clientId: entry.clientId ?? null,
    method: entry.method ?? null,
    errorCode: entry.errorCode ?? null,
    ip: entry.ip ?? null,
    details: JSON.parse(JSON.stringify(entry.details ?? {})),
  };
  let queue = queues.get(prisma);
  if (!queue) queues.set(prisma, (queue = { waiting: [], writing: false }));
  const written = new Promise<void>((resolve, reject) => queue.waiting.push({ fields, done: (error) => (error ? reject(error) : resolve()) }));
  if (!queue.writing) void writeQueued(prisma, queue);
  return written;
}

/**
 * One round trip: the database function audit_append (migration audit_append_function) takes the
 * append lock, reads the chain's end and inserts the entries in order, hashing each one's canonical
 * form the way chainHash does — which audit:verify checks.
 */
async function insertChained(prisma: Db, batch: Pending[]): Promise<void> {
  const entries = batch.map(({ fields }) => ({ ...fields, at: fields.at.toISOString(), canonical: canonicalEntry(fields) }));
  // Through the driver (driverOf): two entries per login, and Prisma's raw path costs several times the statement's CPU.
  await driverOf(prisma).executeRaw({ sql: APPEND_CHAINED, args: [JSON.stringify(entries)], argTypes: [JSONB] });
}

async function writeQueued(prisma: Db, queue: { waiting: Pending[]; writing: boolean }): Promise<void> {
  queue.writing = true;
  try {
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH);
      try {
        await insertChained(prisma, batch);
        for (const p of batch) p.done();
      } catch (error) {
        if (batch.length === 1) batch[0]!.done(error);
        // One unwritable entry must not take the others down with it: each alone, in order.
        else for (const p of batch) await insertChained(prisma, [p]).then(() => p.done(), (e: unknown) => p.done(e));
      }
    }
  } finally {
    queue.writing = false;
  }
}
