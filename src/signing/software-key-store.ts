import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { p256 } from '@noble/curves/nist.js';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';
import type { Db } from '../db/current.ts';
import { driverIfAny } from '../db/driver-of.ts';
import { prepared } from '../db/prepared-statements.ts';
import { TEXT } from '../db/sql-arg-types.ts';
import { encodeDigestInfo } from './digest-info.ts';
import {
  checkAlgorithm,
  checkDigest,
  KeyStoreError,
  type HashAlgorithm,
  type KeyStore,
  type SigningKeyAlgorithm,
} from './key-store.ts';

/** One row of the `software_signing_key` table: only the sealed private key, never the key itself. */
export interface SoftwareKeyRecord {
  keyRef: string;
  label: string;
  algorithm: SigningKeyAlgorithm;
  sealedPrivateKey: string;
  publicKeySpki: Uint8Array;
}

/** Where sealed keys are kept: the database table in the portal, a map in unit tests. */
export interface SoftwareKeyRecords {
  insert(record: SoftwareKeyRecord): Promise<void>;
  find(keyRef: string): Promise<SoftwareKeyRecord | null>;
  /** false when there was no such key. */
  remove(keyRef: string): Promise<boolean>;
}

const FIND_KEY = prepared(`SELECT key_ref, label, algorithm, sealed_private_key, encode(public_key_spki, 'base64') FROM software_signing_key WHERE key_ref = $1`);

export function prismaSoftwareKeyRecords(prisma: Db): SoftwareKeyRecords {
  // Every signature reads its key: fixed SQL through the driver adapter when there is one (~0.1 ms of
  // CPU against ~0.4 ms through the Prisma client); a transaction's client keeps to Prisma.
  const sql = driverIfAny(prisma);
  return {
    async insert(record) {
      await prisma.softwareSigningKey.create({ data: { ...record, publicKeySpki: Buffer.from(record.publicKeySpki) } });
    },
    async find(keyRef) {
      if (sql) {
        const result = await sql.queryRaw({ sql: FIND_KEY, args: [keyRef], argTypes: [TEXT] });
        const row = result.rows[0] as string[] | undefined;
        return row ? { keyRef: row[0]!, label: row[1]!, algorithm: row[2] as SigningKeyAlgorithm, sealedPrivateKey: row[3]!, publicKeySpki: new Uint8Array(Buffer.from(row[4]!, 'base64')) } : null;
      }
      const row = await prisma.softwareSigningKey.findUnique({ where: { keyRef } });
      return row && { ...row, algorithm: row.algorithm as SigningKeyAlgorithm, publicKeySpki: new Uint8Array(row.publicKeySpki) };
    },
    async remove(keyRef) {
      const { count } = await prisma.softwareSigningKey.deleteMany({ where: { keyRef } });
      return count > 0;
    },
  };
}

const SEAL_VERSION = 'v1';
const KEY_REF = /^[0-9a-f]{32}$/;

/**
 * The key store used when no PKCS#11 token is configured. Keys are generated with node:crypto;
 * each private key (PKCS#8 DER) is sealed with AES-256-GCM under a purpose key derived (HKDF)
 * from the installation's key-encryption key, with the keyRef and algorithm as associated data,
 * so a sealed blob neither opens under another key-encryption key nor when moved to another row.
 * It is opened in memory for one signature only and the plaintext buffer is wiped afterwards.
 */
export class SoftwareKeyStore implements KeyStore {
  readonly kind = 'software' as const;
  private readonly sealingKey: Buffer;
  private closed = false;

  constructor(
    private readonly records: SoftwareKeyRecords,
    kek: KeyEncryptionKey,
  ) {
    this.sealingKey = kek.derive('signing-key-store');
  }

  async generateKeyPair(label: string, algorithm: SigningKeyAlgorithm): Promise<{ keyRef: string; publicKeySpki: Uint8Array }> {
    this.ensureOpen();
    checkAlgorithm(algorithm);
    const keyRef = crypto.randomBytes(16).toString('hex');
    let pair: { publicKey: Buffer; privateKey: Buffer };
    try {
      pair = await generate(algorithm);
    } catch {
      throw new KeyStoreError('key_generation_failed', `node:crypto could not generate an ${algorithm} key pair`);
    }
    try {
      const sealedPrivateKey = seal(this.sealingKey, pair.privateKey, sealContext(keyRef, algorithm));
      await this.records.insert({ keyRef, label, algorithm, sealedPrivateKey, publicKeySpki: pair.publicKey });
    } finally {
      pair.privateKey.fill(0);
    }
    return { keyRef, publicKeySpki: new Uint8Array(pair.publicKey) };
  }

  async signDigest(keyRef: string, hashAlgorithm: HashAlgorithm, digest: Uint8Array): Promise<Uint8Array> {
    this.ensureOpen();
    checkDigest(hashAlgorithm, digest);
    const record = KEY_REF.test(keyRef) ? await this.records.find(keyRef) : null;
    if (!record) throw new KeyStoreError('signing_key_not_found', `no software signing key ${describeRef(keyRef)}`);
    const pkcs8 = open(this.sealingKey, record.sealedPrivateKey, sealContext(record.keyRef, record.algorithm));
    try {
      return record.algorithm === 'RSA-2048' ? signRsa(pkcs8, hashAlgorithm, digest) : signEcdsa(pkcs8, digest);
    } catch (error) {
      if (error instanceof KeyStoreError) throw error;
      throw new KeyStoreError('signing_failed', `the ${record.algorithm} key ${keyRef} did not sign`);
    } finally {
      pkcs8.fill(0);
    }
  }

  async deleteKey(keyRef: string): Promise<void> {
    this.ensureOpen();
    const removed = KEY_REF.test(keyRef) && (await this.records.remove(keyRef));
    if (!removed) throw new KeyStoreError('signing_key_not_found', `no software signing key ${describeRef(keyRef)}`);
  }

  async healthy(): Promise<boolean> {
    if (this.closed) return false;
    try {
      await this.records.find('0'.repeat(32));
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sealingKey.fill(0);
  }

  private ensureOpen(): void {
    if (this.closed) throw new KeyStoreError('key_store_unavailable', 'the software key store is closed');
  }
}

const generateKeyPair = promisify(crypto.generateKeyPair);

/** Off the event loop (RSA generation takes a while): SPKI and PKCS#8, both DER. */
async function generate(algorithm: SigningKeyAlgorithm): Promise<{ publicKey: Buffer; privateKey: Buffer }> {
  const publicKeyEncoding = { type: 'spki', format: 'der' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'der' } as const;
  return algorithm === 'RSA-2048'
    ? generateKeyPair('rsa', { modulusLength: 2048, publicExponent: 0x10001, publicKeyEncoding, privateKeyEncoding })
    : generateKeyPair('ec', { namedCurve: 'P-256', publicKeyEncoding, privateKeyEncoding });
}

/** RSASSA-PKCS1-v1_5 over a precomputed digest: the DigestInfo is padded (type 1) and signed as is. */
function signRsa(pkcs8: Buffer, hashAlgorithm: HashAlgorithm, digest: Uint8Array): Uint8Array {
  const key = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
  // crypto.sign(null, …) would hash the input again (OpenSSL's default digest); privateEncrypt
  // with PKCS#1 padding is exactly the signature primitive over the given DigestInfo.
  return new Uint8Array(crypto.privateEncrypt({ key, padding: crypto.constants.RSA_PKCS1_PADDING }, encodeDigestInfo(hashAlgorithm, digest)));
}

/**
 * ECDSA over a precomputed digest. node:crypto has no prehashed ECDSA (crypto.sign(null, …)
 * hashes with SHA-256 first), so the signature comes from @noble/curves with prehash off;
 * a SHA-384/512 digest is truncated to the curve's size as FIPS 186-5 and CKM_ECDSA do.
 */
function signEcdsa(pkcs8: Buffer, digest: Uint8Array): Uint8Array {
  const jwk = crypto.createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  const scalar = Buffer.from(jwk.d!, 'base64url');
  try {
    return p256.sign(digest, scalar, { prehash: false, format: 'der', lowS: false, extraEntropy: true });
  } finally {
    scalar.fill(0);
  }
}

function sealContext(keyRef: string, algorithm: SigningKeyAlgorithm): Buffer {
  return Buffer.from(`hpki-sso:software-signing-key:${keyRef}:${algorithm}`);
}

/** `v1.<iv>.<ciphertext>.<tag>` (base64url), AES-256-GCM with the context as associated data. */
function seal(key: Buffer, plaintext: Buffer, context: Buffer): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(context);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [SEAL_VERSION, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

function open(key: Buffer, sealed: string, context: Buffer): Buffer {
  const [version, iv, ciphertext, tag] = sealed.split('.');
  if (version !== SEAL_VERSION || !iv || !ciphertext || !tag) {
    throw new KeyStoreError('signing_failed', 'the stored signing key has an unknown format');
  }
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(context);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
  } catch {
    throw new KeyStoreError('key_store_unavailable', 'the stored signing key does not open: the key-encryption key is not the one it was sealed with');
  }
}

/** A keyRef as it may appear in a message: shortened, and only hexadecimal characters. */
export function describeRef(keyRef: string): string {
  return typeof keyRef === 'string' && /^[0-9a-f]{1,64}$/i.test(keyRef) ? keyRef : '(malformed reference)';
}
