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
 * Stable codes of key custody with the sentence a person sees. Messages never carry key material:
 * at most a key reference, a token label or a configuration variable name.
 */
export const keyStoreErrorMessages = {
  key_store_unavailable: {
    ja: '署名鍵の保管庫(HSM)に接続できないため、署名できません。しばらくしてからもう一度お試しいただき、続く場合は管理者にお問い合わせください。',
    en: 'The signing key store (HSM) cannot be reached, so nothing can be signed. Try again later; if it persists, contact the administrator.',
  },
  signing_key_not_found: {
    ja: '署名鍵が見つかりません。電子署名用の証明書(第二証明書)を発行し直してください。',
    en: 'The signing key was not found. Have your signing certificate (second certificate) issued again.',
  },
  signing_failed: {
    ja: '署名に失敗しました。もう一度お試しいただき、続く場合は管理者にお問い合わせください。',
    en: 'Signing failed. Try again; if it persists, contact the administrator.',
  },
  signing_digest_invalid: {
    ja: 'ハッシュ値の長さがハッシュアルゴリズムと一致しないため、署名できません。',
    en: 'The hash value does not have the length of its hash algorithm, so it cannot be signed.',
  },
  signing_algorithm_unsupported: {
    ja: 'このアルゴリズムには対応していません。RSA-2048またはEC-P256、SHA-256/384/512を使ってください。',
    en: 'This algorithm is not supported. Use RSA-2048 or EC-P256 with SHA-256, SHA-384 or SHA-512.',
  },
  key_generation_failed: {
    ja: '署名鍵を生成できませんでした。管理者にお問い合わせください。',
    en: 'The signing key could not be generated. Contact the administrator.',
  },
} as const satisfies Record<string, { ja: string; en: string }>;

export type KeyStoreErrorCode = keyof typeof keyStoreErrorMessages;

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
