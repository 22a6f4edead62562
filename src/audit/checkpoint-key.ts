import crypto from 'node:crypto';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';

/** PKCS#8 header of an Ed25519 private key (RFC 8410): the 32-byte seed follows it. */
const ED25519_PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface CheckpointKey {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  /** First 16 hex digits of SHA-256 over the raw public key: names the key in logs. */
  fingerprint: string;
}

/**
 * The Ed25519 key that signs audit checkpoints, derived from the key-encryption key: every
 * instance and the verifier command get the same key, and it is never written anywhere — so
 * whoever can write the database cannot sign a checkpoint for a rewritten chain.
 */
export function checkpointKey(kek: KeyEncryptionKey): CheckpointKey {
  const seed = kek.derive('audit-checkpoint-signing-v1');
  const privateKey = crypto.createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_HEADER, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = crypto.createPublicKey(privateKey);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  return { privateKey, publicKey, fingerprint: crypto.createHash('sha256').update(raw).digest('hex').slice(0, 16) };
}
