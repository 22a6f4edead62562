import crypto from 'node:crypto';
import type { Db } from '../db/current.ts';

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

// Any constant works: it serialises appends so each entry chains to the one before it.
const AUDIT_LOCK_ID = 17090;

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

async function writeQueued(prisma: Db, queue: { waiting: Pending[]; writing: boolean }): Promise<void> {
  queue.writing = true;
  try {
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH);
      try {
        await prisma.$transaction(async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_ID})`;
          const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
          let prevHash = last?.hash ?? GENESIS_HASH;
          const rows = batch.map(({ fields }) => {
            const hash = chainHash(prevHash, canonicalEntry(fields));
            const row = { ...(fields as AuditFields & { details: object }), prevHash, hash };
            prevHash = hash;
            return row;
          });
          // One multi-row INSERT: PostgreSQL numbers the rows (seq) in the order listed.
          await tx.auditEvent.createMany({ data: rows });
        });
        for (const p of batch) p.done();
      } catch (error) {
        for (const p of batch) p.done(error);
      }
    }
  } finally {
    queue.writing = false;
  }
}
