import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyEncryptionKey } from '../../../src/crypto/key-encryption.ts';
import { checkpointKey } from '../../../src/audit/checkpoint-key.ts';
import { hashPrefix, readCheckpointLine, signCheckpoint, type Checkpoint } from '../../../src/audit/checkpoint-line.ts';
import { readEnvironment } from '../../../src/config/environment.ts';

const kek = KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64'));
const key = checkpointKey(kek);
const hashes = Array.from({ length: 3 }, (_, i) => crypto.createHash('sha256').update(`entry ${i}`).digest('hex'));
const checkpoint: Checkpoint = {
  v: 1,
  seq: 12,
  hash: hashes[2]!,
  at: '2026-12-01T03:04:05.678Z',
  count: 12,
  prevSeq: 9,
  entries: [
    [10, hashPrefix(hashes[0]!)],
    [11, hashPrefix(hashes[1]!)],
    [12, hashPrefix(hashes[2]!)],
  ],
};

/** The line with one field replaced, keeping the signature: what an editor of the file could do. */
function edited(line: string, change: (json: Record<string, unknown>) => void): string {
  const json = JSON.parse(line) as Record<string, unknown>;
  change(json);
  return JSON.stringify(json);
}

describe('the checkpoint signing key', () => {
  it('is an Ed25519 key derived from the key-encryption key: the same on every instance, another for another key', () => {
    expect(key.privateKey.asymmetricKeyType).toBe('ed25519');
    const again = checkpointKey(kek);
    expect(again.fingerprint).toBe(key.fingerprint);
    expect(again.publicKey.equals(key.publicKey)).toBe(true);
    expect(checkpointKey(KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64'))).fingerprint).not.toBe(key.fingerprint);
  });

  it('signs with the seed HKDF gives for its label, nothing hand-made', () => {
    const seed = kek.derive('audit-checkpoint-signing-v1');
    const jwk = key.privateKey.export({ format: 'jwk' });
    expect(Buffer.from(jwk.d!, 'base64url').equals(seed)).toBe(true);
  });
});

describe('a checkpoint line', () => {
  const line = signCheckpoint(checkpoint, key.privateKey);

  it('is one line of JSON that reads back with a valid signature', () => {
    expect(line).not.toContain('\n');
    expect(readCheckpointLine(line, key.publicKey)).toEqual({ ok: true, checkpoint: { ...checkpoint, sig: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/) } });
  });

  it('is refused when any signed field was changed', () => {
    const tampered = [
      edited(line, (j) => {
        j.hash = crypto.createHash('sha256').update('forged').digest('hex');
        (j.entries as [number, string][])[2] = [12, hashPrefix(j.hash as string)];
      }),
      edited(line, (j) => (j.at = '2026-12-01T03:04:06.678Z')),
      edited(line, (j) => (j.count = 11)),
      edited(line, (j) => {
        const entries = j.entries as [number, string][];
        entries[0] = [10, '0123456789abcdef'];
      }),
      edited(line, (j) => {
        j.prevSeq = 8;
      }),
    ];
    for (const t of tampered) expect(readCheckpointLine(t, key.publicKey)).toEqual({ ok: false, reason: 'checkpoint_signature_invalid', seq: 12 });
  });

  it('is refused when signed by another key', () => {
    const other = checkpointKey(KeyEncryptionKey.fromSecret(crypto.randomBytes(32).toString('base64')));
    const forged = signCheckpoint(checkpoint, other.privateKey);
    expect(readCheckpointLine(forged, key.publicKey)).toEqual({ ok: false, reason: 'checkpoint_signature_invalid', seq: 12 });
    expect(readCheckpointLine(forged, other.publicKey).ok).toBe(true);
  });

  it('is malformed when it is not a consistent checkpoint', () => {
    const malformed = [
      'not json',
      '',
      line.slice(0, -10),
      edited(line, (j) => delete j.sig),
      edited(line, (j) => (j.extra = 1)),
      edited(line, (j) => (j.v = 2)),
      edited(line, (j) => (j.seq = 13)),
      edited(line, (j) => (j.entries = [])),
      edited(line, (j) => (j.entries = [[11, hashPrefix(hashes[1]!)], [10, hashPrefix(hashes[0]!)], [12, hashPrefix(hashes[2]!)]])),
      edited(line, (j) => (j.prevSeq = 10)),
      edited(line, (j) => (j.seq = 2 ** 53)),
    ];
    for (const m of malformed) expect(readCheckpointLine(m, key.publicKey)).toEqual({ ok: false, reason: 'checkpoint_malformed' });
  });
});

describe('checkpoint settings', () => {
  it('default to a file under .data/audit, every 1000 entries or 5 minutes', () => {
    expect(readEnvironment({}, '/srv/portal').auditCheckpoints).toEqual({ file: '/srv/portal/.data/audit/checkpoints.jsonl', every: 1000, minutes: 5 });
    expect(readEnvironment({ AUDIT_CHECKPOINT_FILE: '/var/log/sso/audit.jsonl', AUDIT_CHECKPOINT_EVERY: '50', AUDIT_CHECKPOINT_MINUTES: '0.5' }, '/srv').auditCheckpoints).toEqual({
      file: '/var/log/sso/audit.jsonl',
      every: 50,
      minutes: 0.5,
    });
    expect(() => readEnvironment({ AUDIT_CHECKPOINT_EVERY: '0' })).toThrow(/AUDIT_CHECKPOINT_EVERY/);
    expect(() => readEnvironment({ AUDIT_CHECKPOINT_MINUTES: '-1' })).toThrow(/AUDIT_CHECKPOINT_MINUTES/);
  });
});
