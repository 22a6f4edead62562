import type { Db } from '../db/current.ts';
import { canonicalEntry, chainHash, GENESIS_HASH } from './audit-log.ts';

export type AuditChainReport =
  | { ok: true; entries: number; lastHash: string }
  | { ok: false; entries: number; brokenAt: bigint; reason: 'prev_hash_mismatch' | 'hash_mismatch'; expected: string; found: string };

/**
 * Recomputes the chain from the first entry: each entry must name the hash before it and hash to
 * SHA-256(previous hash ‖ canonical entry). Reports the first entry where that fails.
 */
export async function verifyAuditChain(prisma: Db, batchSize = 5000): Promise<AuditChainReport> {
  let prev = GENESIS_HASH;
  let entries = 0;
  let after = -1n;
  for (;;) {
    const rows = await prisma.auditEvent.findMany({ where: { seq: { gt: after } }, orderBy: { seq: 'asc' }, take: batchSize });
    if (rows.length === 0) return { ok: true, entries, lastHash: prev };
    for (const row of rows) {
      if (row.prevHash !== prev) return { ok: false, entries, brokenAt: row.seq, reason: 'prev_hash_mismatch', expected: prev, found: row.prevHash };
      const expected = chainHash(prev, canonicalEntry({ ...row, details: row.details }));
      if (row.hash !== expected) return { ok: false, entries, brokenAt: row.seq, reason: 'hash_mismatch', expected, found: row.hash };
      prev = row.hash;
      entries++;
      after = row.seq;
    }
  }
}
