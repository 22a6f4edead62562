import { errorMessages, type ErrorCode } from '../errors/catalogue.ts';

/**
 * Key custody for the second certificate (SPEC §7): every store that holds a practitioner's
 * cloud-held signing key implements this one interface, so the signing API never knows (or
 * touches) the private key — it passes a digest in and gets a signature out.
 */
export type SigningKeyAlgorithm = 'RSA-2048' | 'EC-P256';
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';
export type KeyStoreKind = 'pkcs11' | 'software';

export const SIGNING_KEY_ALGORITHMS: readonly SigningKeyAlgorithm[] = ['RSA-2048', 'EC-P256'];
export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];

export interface KeyStore {
  readonly kind: KeyStoreKind;
  /** Generates a key pair inside the store; the private key never leaves it. */
  generateKeyPair(label: string, algorithm: SigningKeyAlgorithm): Promise<{ keyRef: string; publicKeySpki: Uint8Array }>;
  /** Signs an already computed digest: RSA → PKCS#1 v1.5 over DigestInfo(hash, digest); EC → ECDSA, DER signature. */
  signDigest(keyRef: string, hashAlgorithm: HashAlgorithm, digest: Uint8Array): Promise<Uint8Array>;
  deleteKey(keyRef: string): Promise<void>;
  /** Whether the store can sign now (the token is present, the PIN works); used to fail closed. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Stable codes of key custody; their sentences (src/i18n/messages) never carry key material: at most
 * a key reference, a token label or a configuration variable name.
 */
export const keyStoreErrorCodes = [
  'key_store_unavailable',
  'signing_key_not_found',
  'signing_failed',
  'signing_digest_invalid',
  'signing_algorithm_unsupported',
  'key_generation_failed',
] as const satisfies readonly ErrorCode[];

export type KeyStoreErrorCode = (typeof keyStoreErrorCodes)[number];

export const keyStoreErrorMessages = errorMessages(keyStoreErrorCodes);

export class KeyStoreError extends Error {
  constructor(
    readonly code: KeyStoreErrorCode,
    /** For operators and logs: what failed and what to do. Never key material. */
    readonly detail: string,
  ) {
    super(`${code}: ${detail}`);
    this.name = 'KeyStoreError';
  }
}

export const DIGEST_LENGTH: Readonly<Record<HashAlgorithm, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** Refuses anything but a digest of exactly its hash algorithm's length (and a known hash algorithm). */
export function checkDigest(hashAlgorithm: HashAlgorithm, digest: Uint8Array): void {
  const expected = Object.prototype.hasOwnProperty.call(DIGEST_LENGTH, hashAlgorithm) ? DIGEST_LENGTH[hashAlgorithm] : undefined;
  if (expected === undefined) throw new KeyStoreError('signing_algorithm_unsupported', `unknown hash algorithm ${String(hashAlgorithm).slice(0, 20)}`);
  if (!(digest instanceof Uint8Array) || digest.length !== expected) {
    throw new KeyStoreError('signing_digest_invalid', `a ${hashAlgorithm} digest has ${expected} bytes, got ${digest instanceof Uint8Array ? digest.length : typeof digest}`);
  }
}

export function checkAlgorithm(algorithm: SigningKeyAlgorithm): void {
  if (!SIGNING_KEY_ALGORITHMS.includes(algorithm)) {
    throw new KeyStoreError('signing_algorithm_unsupported', `unknown key algorithm ${String(algorithm).slice(0, 20)}`);
  }
}
