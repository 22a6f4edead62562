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

/** Appends one entry: hash = SHA-256(previous hash ‖ canonical entry). Never updates or deletes. */
export async function appendAudit(prisma: Db, entry: AuditEntry): Promise<void> {
  const at = new Date();
  const row = {
    event: entry.event,
    result: entry.result,
    practitionerId: entry.practitionerId ?? null,
    clientId: entry.clientId ?? null,
    method: entry.method ?? null,
    errorCode: entry.errorCode ?? null,
    ip: entry.ip ?? null,
    details: JSON.parse(JSON.stringify(entry.details ?? {})),
  };
  const canonical = canonicalEntry({ ...row, at });
  await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_ID})`;
    const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { hash: true } });
    const prevHash = last?.hash ?? GENESIS_HASH;
    await tx.auditEvent.create({ data: { ...row, at, prevHash, hash: chainHash(prevHash, canonical) } });
  });
}
