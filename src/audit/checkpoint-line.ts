import crypto from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from './audit-log.ts';

/**
 * One checkpoint of the audit chain, one JSON line in the checkpoint file. `hash` is the full hash
 * of entry `seq`: it pins everything up to there. `entries` lists every entry since the previous
 * checkpoint (`prevSeq`) with the first 16 hex digits of its hash, so a verifier can name the first
 * entry that changed; detection itself never relies on those short prefixes.
 */
export interface Checkpoint {
  v: 1;
  seq: number;
  hash: string;
  at: string;
  /** Entries in the chain up to and including `seq`. */
  count: number;
  prevSeq: number;
  entries: [seq: number, hashPrefix: string][];
}

export interface SignedCheckpoint extends Checkpoint {
  /** Ed25519 over the canonical JSON of the other fields, base64url. */
  sig: string;
}

export const HASH_PREFIX_LENGTH = 16;

export function hashPrefix(hash: string): string {
  return hash.slice(0, HASH_PREFIX_LENGTH);
}

const seq = z.number().int().positive();
const lineSchema = z
  .object({
    v: z.literal(1),
    seq,
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    at: z.iso.datetime(),
    count: z.number().int().positive(),
    prevSeq: z.number().int().nonnegative(),
    entries: z.array(z.tuple([seq, z.string().regex(/^[0-9a-f]{16}$/)])).min(1),
    sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
  })
  .strict()
  .refine(
    (c) =>
      c.entries.length > 0 &&
      c.entries[0]![0] > c.prevSeq &&
      c.entries.every(([s], i) => i === 0 || s > c.entries[i - 1]![0]) &&
      c.entries.at(-1)![0] === c.seq &&
      c.entries.at(-1)![1] === hashPrefix(c.hash) &&
      c.count >= c.entries.length,
    'entries must rise from prevSeq to seq and end with the checkpoint hash',
  );

function signedBytes(checkpoint: Checkpoint): Buffer {
  const { v, seq, hash, at, count, prevSeq, entries } = checkpoint;
  return Buffer.from(canonicalJson({ v, seq, hash, at, count, prevSeq, entries }));
}

/** The line to append (without its newline). */
export function signCheckpoint(checkpoint: Checkpoint, privateKey: crypto.KeyObject): string {
  const sig = crypto.sign(null, signedBytes(checkpoint), privateKey).toString('base64url');
  return JSON.stringify({ ...checkpoint, sig } satisfies SignedCheckpoint);
}

export type CheckpointLineResult =
  | { ok: true; checkpoint: SignedCheckpoint }
  | { ok: false; reason: 'checkpoint_malformed' }
  | { ok: false; reason: 'checkpoint_signature_invalid'; seq: number };

/** Parses one line of the file (external input) and checks its signature. */
export function readCheckpointLine(line: string, publicKey: crypto.KeyObject): CheckpointLineResult {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { ok: false, reason: 'checkpoint_malformed' };
  }
  const parsed = lineSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'checkpoint_malformed' };
  const checkpoint = parsed.data as SignedCheckpoint;
  const valid = crypto.verify(null, signedBytes(checkpoint), publicKey, Buffer.from(checkpoint.sig, 'base64url'));
  return valid ? { ok: true, checkpoint } : { ok: false, reason: 'checkpoint_signature_invalid', seq: checkpoint.seq };
}
