import fs from 'node:fs';
import type crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { canonicalEntry, chainHash, GENESIS_HASH } from './audit-log.ts';
import { hashPrefix, readCheckpointLine, type SignedCheckpoint } from './checkpoint-line.ts';
import { readCheckpointFile } from './checkpoint-file.ts';

/**
 * What the verifier found. Sequence numbers are decimal strings. `firstAffected` is the first
 * entry that was changed, removed or added: the chain findings name the first entry that does
 * not recompute; the checkpoint findings the first entry that differs from what was signed.
 */
export type AuditFinding =
  | { kind: 'prev_hash_mismatch' | 'hash_mismatch'; firstAffected: string; expected: string; found: string }
  | {
      /** Edit and recompute; an entry gone (later ones exist); the newest entries gone; every checkpointed entry gone. */
      kind: 'entry_rewritten' | 'entry_deleted' | 'entries_deleted_at_end' | 'truncated';
      firstAffected: string;
      /** The (first) signed checkpoint the table contradicts. */
      checkpointSeq: string;
      checkpointAt: string;
    }
  | {
      /** Lines of the checkpoint file that are not checkpoints signed by this installation's key. */
      kind: 'checkpoint_signature_invalid' | 'checkpoint_malformed';
      /** The first such line (from 1) and how many there are. */
      line: number;
      lines: number;
    };

export interface AuditChainReport {
  ok: boolean;
  /** Entries in the table, and the newest one's hash. */
  entries: number;
  lastHash: string;
  findings: AuditFinding[];
  /** The checkpoint file read; null when checkpoints were not asked for. */
  checkpointFile: string | null;
  checkpointFileFound: boolean;
  /** Signed checkpoints the table was checked against. */
  checkpoints: number;
  /** Entries newer than the newest checkpoint: not yet anchored outside the database. */
  uncovered: number;
}

export interface VerifyOptions {
  batchSize?: number;
  /** Check the table against the signed checkpoints in this file. */
  checkpoints?: { file: string; publicKey: crypto.KeyObject };
}

/**
 * Recomputes the chain from the first entry (each entry names the hash before it and hashes to
 * SHA-256(previous hash ‖ canonical entry)), then compares the table with every signed checkpoint:
 * that catches what recomputation cannot — a chain rewritten from some entry on, entries cut from
 * the end, an emptied table.
 */
export async function verifyAuditChain(prisma: Db, options: VerifyOptions = {}): Promise<AuditChainReport> {
  const batchSize = options.batchSize ?? 5000;
  const findings: AuditFinding[] = [];
  const signed = options.checkpoints ? await readCheckpoints(options.checkpoints.file, options.checkpoints.publicKey) : { found: false, checkpoints: [], badLines: [] };
  const newestCheckpoint = BigInt(signed.checkpoints.at(-1)?.seq ?? 0);

  let prev = GENESIS_HASH;
  let entries = 0;
  let uncovered = 0;
  let first: bigint | undefined;
  let after = -1n;
  let broken = false;
  for (;;) {
    const rows = await prisma.auditEvent.findMany({ where: { seq: { gt: after } }, orderBy: { seq: 'asc' }, take: batchSize });
    if (rows.length === 0) break;
    for (const row of rows) {
      first ??= row.seq;
      const expected = chainHash(prev, canonicalEntry(row));
      // Only the first break is reported: everything after it depends on it.
      if (!broken && row.prevHash !== prev) {
        findings.push({ kind: 'prev_hash_mismatch', firstAffected: row.seq.toString(), expected: prev, found: row.prevHash });
        broken = true;
      } else if (!broken && row.hash !== expected) {
        findings.push({ kind: 'hash_mismatch', firstAffected: row.seq.toString(), expected, found: row.hash });
        broken = true;
      }
      prev = row.hash;
      entries++;
      if (row.seq > newestCheckpoint) uncovered++;
      after = row.seq;
    }
  }
  const table = { first, last: entries > 0 ? after : undefined };
  findings.push(...(await compareWithCheckpoints(prisma, signed.checkpoints, table)), ...signed.badLines);

  return {
    ok: findings.length === 0,
    entries,
    lastHash: prev,
    findings,
    checkpointFile: options.checkpoints?.file ?? null,
    checkpointFileFound: signed.found,
    checkpoints: signed.checkpoints.length,
    uncovered,
  };
}

/** The file's valid checkpoints by sequence number (duplicates once), and its bad lines as findings. */
async function readCheckpoints(file: string, publicKey: crypto.KeyObject) {
  if (!fs.existsSync(file)) return { found: false, checkpoints: [], badLines: [] };
  const unique = new Map<string, SignedCheckpoint>();
  const bad = new Map<'checkpoint_signature_invalid' | 'checkpoint_malformed', { line: number; lines: number }>();
  for await (const { line, number } of readCheckpointFile(file)) {
    if (!line.trim()) continue;
    const read = readCheckpointLine(line, publicKey);
    if (read.ok) {
      unique.set(`${read.checkpoint.seq}/${read.checkpoint.prevSeq}/${read.checkpoint.hash}`, read.checkpoint);
      continue;
    }
    const seen = bad.get(read.reason);
    if (seen) seen.lines++;
    else bad.set(read.reason, { line: number, lines: 1 });
  }
  const badLines: AuditFinding[] = [...bad].map(([kind, where]) => ({ kind, ...where }));
  return { found: true, checkpoints: [...unique.values()].sort((a, b) => a.seq - b.seq || a.prevSeq - b.prevSeq), badLines };
}

type CheckpointFinding = Extract<AuditFinding, { checkpointSeq: string }>;
type CheckpointKind = CheckpointFinding['kind'];

/**
 * Each checkpoint against the table: the entries since the previous checkpoint must be exactly the
 * signed ones, and the entry at the checkpoint must have the signed hash. A kind of finding that
 * continues over consecutive checkpoints is reported once, at its first entry: an edit early on
 * changes every later hash.
 */
async function compareWithCheckpoints(prisma: Db, checkpoints: SignedCheckpoint[], table: { first?: bigint; last?: bigint }): Promise<CheckpointFinding[]> {
  const findings: (CheckpointFinding & { order: bigint })[] = [];
  let previous = new Set<CheckpointKind>();
  for (const checkpoint of checkpoints) {
    const rows = await prisma.auditEvent.findMany({
      where: { seq: { gt: BigInt(checkpoint.prevSeq), lte: BigInt(checkpoint.seq) } },
      orderBy: { seq: 'asc' },
      select: { seq: true, hash: true },
    });
    const found = compareSegment(checkpoint, rows, table);
    for (const [kind, firstAffected] of found) {
      if (!previous.has(kind)) findings.push({ kind, firstAffected: firstAffected.toString(), checkpointSeq: String(checkpoint.seq), checkpointAt: checkpoint.at, order: firstAffected });
    }
    previous = new Set(found.keys());
  }
  return findings.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0)).map(({ order: _, ...finding }) => finding);
}

/** What one checkpoint shows about the table, each kind with the first entry affected. */
function compareSegment(checkpoint: SignedCheckpoint, rows: { seq: bigint; hash: string }[], table: { first?: bigint; last?: bigint }): Map<CheckpointKind, bigint> {
  const seq = BigInt(checkpoint.seq);
  const found = new Map<CheckpointKind, bigint>();
  const { missing, changed } = differences(checkpoint.entries, rows);
  // Nothing up to the checkpoint is left: the table was emptied (and maybe written to again).
  if (table.first === undefined || table.first > seq) return found.set('truncated', BigInt(checkpoint.entries[0]![0]));
  const atCheckpoint = rows.at(-1)?.seq === seq ? rows.at(-1)! : undefined;
  if (missing !== undefined) found.set(atCheckpoint || table.last! > seq ? 'entry_deleted' : 'entries_deleted_at_end', missing);
  if (changed !== undefined || (atCheckpoint && atCheckpoint.hash !== checkpoint.hash)) found.set('entry_rewritten', changed ?? seq);
  return found;
}

/** The first signed entry that is gone, and the first that has another hash or was never signed. */
function differences(signed: [number, string][], rows: { seq: bigint; hash: string }[]): { missing?: bigint; changed?: bigint } {
  const bySeq = new Map(rows.map((r) => [r.seq, r.hash]));
  const signedSeqs = new Set(signed.map(([s]) => BigInt(s)));
  let missing: bigint | undefined;
  let changed: bigint | undefined;
  for (const [s, prefix] of signed) {
    const hash = bySeq.get(BigInt(s));
    if (hash === undefined) missing ??= BigInt(s);
    else if (hashPrefix(hash) !== prefix) changed ??= BigInt(s);
  }
  const added = rows.find((r) => !signedSeqs.has(r.seq));
  if (added && (changed === undefined || added.seq < changed)) changed = added.seq;
  return { missing, changed };
}
