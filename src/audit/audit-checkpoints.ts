import type crypto from 'node:crypto';
import type { Db } from '../db/current.ts';
import { canonicalEntry, chainHash, GENESIS_HASH, type AuditEntry } from './audit-log.ts';
import type { CheckpointKey } from './checkpoint-key.ts';
import { hashPrefix, readCheckpointLine, signCheckpoint, type Checkpoint } from './checkpoint-line.ts';
import { appendCheckpointLines, findLastLine } from './checkpoint-file.ts';

export interface AuditCheckpointSettings {
  /** The append-only file outside the database folder. */
  file: string;
  /** A checkpoint after this many new entries (and at most this many entries per checkpoint). */
  every: number;
  /** ...or after this many minutes, whichever comes first, when there are new entries. */
  minutes: number;
}

export type CheckpointRun =
  | { ok: true; written: number; lastSeq: number }
  | { ok: false; written: number; brokenAt: string; reason: 'prev_hash_mismatch' | 'hash_mismatch'; checkpointSeq: number };

export interface AuditCheckpoints {
  file: string;
  publicKey: crypto.KeyObject;
  /** Checkpoints every entry committed so far (tests; close). Runs one at a time. */
  checkpointNow(): Promise<CheckpointRun>;
  /** This process committed `count` entries. */
  appended(count?: number): void;
  /** Stops the timer and writes a last checkpoint when there are new entries. */
  close(): Promise<void>;
}

interface Options extends AuditCheckpointSettings {
  prisma: Db;
  key: CheckpointKey;
  log: (line: string) => void;
  /** Records the alarm in the audit log itself. */
  audit: (entry: AuditEntry) => Promise<void>;
}

const START = { seq: 0, hash: GENESIS_HASH, count: 0 };

/**
 * Anchors the audit chain outside the database: signs the newest entry's hash, with the hashes of
 * the entries since the previous checkpoint, and appends it to the checkpoint file and the process
 * log. It signs only entries that chain from the last checkpoint, so a chain rewritten in the
 * database is never blessed; instead it raises an alarm. Instances sharing one file each continue
 * from the file's newest checkpoint, so overlaps are possible and harmless.
 */
export function startAuditCheckpoints(options: Options): AuditCheckpoints {
  const { prisma, key, file, every, log } = options;
  let pending = 0;
  let closed = false;
  let queue: Promise<unknown> = Promise.resolve();
  let alarmedAfter: number | undefined;
  let warnedInvalid = false;

  async function lastCheckpoint(): Promise<typeof START> {
    const found = await findLastLine(file, (line) => {
      if (!line.trim()) return undefined;
      const read = readCheckpointLine(line, key.publicKey);
      if (read.ok) return read.checkpoint;
      if (!warnedInvalid) log(`audit checkpoint file ${file} has a line that is not a valid checkpoint of this installation (${read.reason}); continuing from the last valid one`);
      warnedInvalid = true;
      return undefined;
    });
    return found ?? START;
  }

  async function run(): Promise<CheckpointRun> {
    pending = 0;
    let last = await lastCheckpoint();
    let written = 0;
    for (;;) {
      const rows = await prisma.auditEvent.findMany({ where: { seq: { gt: BigInt(last.seq) } }, orderBy: { seq: 'asc' }, take: every });
      if (rows.length === 0) return { ok: true, written, lastSeq: last.seq };
      let prev = last.hash;
      for (const row of rows) {
        const reason = row.prevHash !== prev ? 'prev_hash_mismatch' : row.hash !== chainHash(prev, canonicalEntry(row)) ? 'hash_mismatch' : undefined;
        if (reason) {
          await alarm(last.seq, row.seq, reason);
          return { ok: false, written, brokenAt: row.seq.toString(), reason, checkpointSeq: last.seq };
        }
        prev = row.hash;
      }
      const end = rows.at(-1)!;
      const checkpoint: Checkpoint = {
        v: 1,
        seq: Number(end.seq),
        hash: end.hash,
        at: new Date().toISOString(),
        count: last.count + rows.length,
        prevSeq: last.seq,
        entries: rows.map((r) => [Number(r.seq), hashPrefix(r.hash)]),
      };
      await appendCheckpointLines(file, [signCheckpoint(checkpoint, key.privateKey)]);
      log(`audit checkpoint #${checkpoint.seq} ${checkpoint.hash}`);
      written++;
      last = checkpoint;
      if (rows.length < every) return { ok: true, written, lastSeq: last.seq };
    }
  }

  async function alarm(checkpointSeq: number, entrySeq: bigint, reason: string) {
    log(
      `AUDIT CHAIN BROKEN: entry #${entrySeq} does not continue the chain signed at checkpoint #${checkpointSeq} (${reason}) — ` +
        'the audit log was changed in the database; no checkpoint is signed until this is resolved. Run npm run audit:verify.',
    );
    // One audit entry per break and process: the alarm entry is itself new and would raise it again.
    if (alarmedAfter === checkpointSeq) return;
    alarmedAfter = checkpointSeq;
    await options.audit({ event: 'security.audit_chain_broken', result: 'failure', errorCode: reason, details: { checkpointSeq, entrySeq: entrySeq.toString(), checkpointFile: file } });
  }

  function checkpointNow(): Promise<CheckpointRun> {
    const next = queue.then(run);
    queue = next.catch(() => {});
    return next;
  }

  function inBackground() {
    checkpointNow().catch((e: unknown) => log(`audit checkpoint failed: ${(e as Error).message}`));
  }

  const timer = setInterval(inBackground, options.minutes * 60_000);
  timer.unref();
  // Entries written while no portal ran (commands, a crash) are checked and anchored at start.
  inBackground();

  return {
    file,
    publicKey: key.publicKey,
    checkpointNow,
    appended(count = 1) {
      pending += count;
      if (pending >= every && !closed) {
        pending = 0;
        inBackground();
      }
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await checkpointNow().catch((e: unknown) => log(`audit checkpoint failed: ${(e as Error).message}`));
    },
  };
}
