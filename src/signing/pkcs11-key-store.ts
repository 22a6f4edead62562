import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { encodeDigestInfo } from './digest-info.ts';
import { ecdsaRawToDer } from './ecdsa-signature.ts';
import {
  checkAlgorithm,
  checkDigest,
  KeyStoreError,
  type HashAlgorithm,
  type KeyStore,
  type SigningKeyAlgorithm,
} from './key-store.ts';

type Pkcs11Module = typeof import('pkcs11js');
type Pkcs11 = InstanceType<Pkcs11Module['PKCS11']>;
type Handle = Buffer;

export interface Pkcs11Options {
  /** Path of the PKCS#11 library (PKCS11_MODULE). */
  module: string;
  /** Label of the token holding the keys (PKCS11_TOKEN_LABEL). */
  tokenLabel: string;
  /** The token's user PIN (PKCS11_PIN); never logged, never in an error. */
  pin: string;
}

// Session states (PKCS#11 v2.40 §5.6, CK_STATE): a session is usable for private objects in these.
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;
// prime256v1 / secp256r1 (RFC 5480), DER, as CKA_EC_PARAMS wants it.
const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
const KEY_REF = /^[0-9a-f]{32}$/;

/**
 * The key store on a PKCS#11 token (an HSM; SoftHSM2 in tests), through the maintained `pkcs11js`
 * binding. Keys are generated on the token as sensitive and non-extractable, found again by a
 * random CKA_ID (its hex is the keyRef), and used only through C_Sign:
 *   RSA-2048 → CKM_RSA_PKCS over the DER DigestInfo (RSASSA-PKCS1-v1_5 of a precomputed digest);
 *   EC-P256  → CKM_ECDSA over the digest, the token's r‖s converted to DER.
 * Login is per application and token in PKCS#11, so one long-lived session holds it and every
 * operation opens a session of its own beside it. Anything wrong with the library, the token or
 * the PIN is `key_store_unavailable` and nothing is signed.
 */
export class Pkcs11KeyStore implements KeyStore {
  readonly kind = 'pkcs11' as const;
  private connection: Promise<Connection> | undefined;
  private closed = false;

  constructor(private readonly options: Pkcs11Options) {}

  async generateKeyPair(label: string, algorithm: SigningKeyAlgorithm): Promise<{ keyRef: string; publicKeySpki: Uint8Array }> {
    checkAlgorithm(algorithm);
    const id = crypto.randomBytes(16);
    return this.withSession(async (p, lib, session) => {
      const common = [
        { type: p.CKA_TOKEN, value: true },
        { type: p.CKA_ID, value: id },
        { type: p.CKA_LABEL, value: label },
      ];
      const publicTemplate = [
        ...common,
        { type: p.CKA_CLASS, value: p.CKO_PUBLIC_KEY },
        { type: p.CKA_PRIVATE, value: false },
        { type: p.CKA_VERIFY, value: true },
        { type: p.CKA_ENCRYPT, value: false },
        { type: p.CKA_WRAP, value: false },
        ...(algorithm === 'RSA-2048'
          ? [
              { type: p.CKA_KEY_TYPE, value: p.CKK_RSA },
              { type: p.CKA_MODULUS_BITS, value: 2048 },
              { type: p.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
            ]
          : [
              { type: p.CKA_KEY_TYPE, value: p.CKK_EC },
              { type: p.CKA_EC_PARAMS, value: P256_EC_PARAMS },
            ]),
      ];
      const privateTemplate = [
        ...common,
        { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
        { type: p.CKA_KEY_TYPE, value: algorithm === 'RSA-2048' ? p.CKK_RSA : p.CKK_EC },
        { type: p.CKA_PRIVATE, value: true },
        { type: p.CKA_SENSITIVE, value: true },
        { type: p.CKA_EXTRACTABLE, value: false },
        { type: p.CKA_SIGN, value: true },
        { type: p.CKA_DECRYPT, value: false },
        { type: p.CKA_UNWRAP, value: false },
        { type: p.CKA_DERIVE, value: false },
      ];
      const mechanism = { mechanism: algorithm === 'RSA-2048' ? p.CKM_RSA_PKCS_KEY_PAIR_GEN : p.CKM_EC_KEY_PAIR_GEN };
      let keys: { publicKey: Handle; privateKey: Handle };
      try {
        keys = await lib.C_GenerateKeyPairAsync(session, mechanism, publicTemplate, privateTemplate);
      } catch (error) {
        throw this.failure(error, 'key_generation_failed', `the token did not generate an ${algorithm} key pair`);
      }
      try {
        return { keyRef: id.toString('hex'), publicKeySpki: publicKeySpki(p, lib, session, keys.publicKey, algorithm) };
      } catch (error) {
        for (const handle of [keys.publicKey, keys.privateKey]) {
          try {
            lib.C_DestroyObject(session, handle);
          } catch {
            // best effort: the generation already failed
          }
        }
        throw this.failure(error, 'key_generation_failed', `the token's new ${algorithm} public key could not be read`);
      }
    });
  }

  async signDigest(keyRef: string, hashAlgorithm: HashAlgorithm, digest: Uint8Array): Promise<Uint8Array> {
    checkDigest(hashAlgorithm, digest);
    if (!KEY_REF.test(keyRef)) throw new KeyStoreError('signing_key_not_found', 'a PKCS#11 keyRef is the 32-character hex CKA_ID');
    return this.withSession(async (p, lib, session) => {
      const [key] = findObjects(lib, session, [
        { type: p.CKA_CLASS, value: p.CKO_PRIVATE_KEY },
        { type: p.CKA_ID, value: Buffer.from(keyRef, 'hex') },
      ]);
      if (!key) throw new KeyStoreError('signing_key_not_found', `no private key with CKA_ID ${keyRef} on token ${this.options.tokenLabel}`);
      try {
        const keyType = readUlong(lib.C_GetAttributeValue(session, key, [{ type: p.CKA_KEY_TYPE }])[0]!.value);
        if (keyType === p.CKK_RSA) {
          lib.C_SignInit(session, { mechanism: p.CKM_RSA_PKCS }, key);
          return new Uint8Array(await lib.C_SignAsync(session, encodeDigestInfo(hashAlgorithm, digest), Buffer.alloc(512)));
        }
        if (keyType === p.CKK_EC) {
          lib.C_SignInit(session, { mechanism: p.CKM_ECDSA }, key);
          return ecdsaRawToDer(await lib.C_SignAsync(session, Buffer.from(digest), Buffer.alloc(132)));
        }
        throw new KeyStoreError('signing_algorithm_unsupported', `the key ${keyRef} is neither RSA nor EC`);
      } catch (error) {
        throw this.failure(error, 'signing_failed', `the token did not sign with key ${keyRef}`);
      }
    });
  }

  async deleteKey(keyRef: string): Promise<void> {
    if (!KEY_REF.test(keyRef)) throw new KeyStoreError('signing_key_not_found', 'a PKCS#11 keyRef is the 32-character hex CKA_ID');
    await this.withSession(async (p, lib, session) => {
      const objects = findObjects(lib, session, [{ type: p.CKA_ID, value: Buffer.from(keyRef, 'hex') }]);
      if (!objects.length) throw new KeyStoreError('signing_key_not_found', `no key with CKA_ID ${keyRef} on token ${this.options.tokenLabel}`);
      try {
        for (const handle of objects) lib.C_DestroyObject(session, handle);
      } catch (error) {
        throw this.failure(error, 'signing_failed', `the key ${keyRef} could not be deleted`);
      }
    });
  }

  /** The token is there and a session of ours is logged in (logging in again with the PIN if the token had logged out). */
  async healthy(): Promise<boolean> {
    return (await this.check()) === undefined;
  }

  /** Why the store cannot sign now (for the start-up line and operators), or undefined when it can. */
  async check(): Promise<KeyStoreError | undefined> {
    try {
      await this.withSession(async (_p, lib, session) => {
        const state = lib.C_GetSessionInfo(session).state;
        if (state !== CKS_RW_USER_FUNCTIONS && state !== CKS_RO_USER_FUNCTIONS) {
          throw new KeyStoreError('key_store_unavailable', `token ${this.options.tokenLabel} is not logged in`);
        }
      });
      return undefined;
    } catch (error) {
      return error instanceof KeyStoreError ? error : new KeyStoreError('key_store_unavailable', 'the token could not be checked');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    let opened: Connection;
    try {
      opened = await connection;
    } catch {
      return; // never connected (open() released the library itself)
    }
    // No C_Logout: login is per application and token, so it would log out other stores on the
    // same token too; closing our last session ends the login by itself (PKCS#11 §5.6).
    try {
      opened.lib.C_CloseSession(opened.anchor);
    } catch {
      // the session is gone with the token
    }
    releaseModule(this.options.module);
  }

  /** Runs one operation in a session of its own; whatever the token throws comes out as a KeyStoreError. */
  private async withSession<T>(operation: (p: Pkcs11Module, lib: Pkcs11, session: Handle) => Promise<T>): Promise<T> {
    if (this.closed) throw new KeyStoreError('key_store_unavailable', 'the PKCS#11 key store is closed');
    const { p, lib, slot } = await this.connect();
    let session: Handle;
    try {
      session = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
    } catch (error) {
      this.forget();
      throw unavailable(error, `no session on token ${this.options.tokenLabel}`);
    }
    try {
      this.ensureLoggedIn(p, lib, session);
      return await operation(p, lib, session);
    } catch (error) {
      throw this.failure(error, 'signing_failed', 'the token refused the operation');
    } finally {
      try {
        lib.C_CloseSession(session);
      } catch {
        // closed with the token
      }
    }
  }

  /** Logs in again when the token has dropped the login (reinserted, reset); a refused PIN fails closed. */
  private ensureLoggedIn(p: Pkcs11Module, lib: Pkcs11, session: Handle): void {
    try {
      const state = lib.C_GetSessionInfo(session).state;
      if (state === CKS_RW_USER_FUNCTIONS || state === CKS_RO_USER_FUNCTIONS) return;
      lib.C_Login(session, p.CKU_USER, this.options.pin);
    } catch (error) {
      if (ckr(error) === 'CKR_USER_ALREADY_LOGGED_IN') return;
      this.forget();
      throw unavailable(error, `login to token ${this.options.tokenLabel} failed`);
    }
  }

  private connect(): Promise<Connection> {
    this.connection ??= this.open().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  /** Drops a connection that failed so the next operation tries afresh (the token may be back). */
  private forget(): void {
    const connection = this.connection;
    if (!connection) return;
    this.connection = undefined;
    void connection.then(
      ({ lib, anchor }) => {
        try {
          lib.C_CloseSession(anchor);
        } catch {
          // gone with the token
        }
        releaseModule(this.options.module);
      },
      () => {},
    );
  }

  private async open(): Promise<Connection> {
    const { module, tokenLabel, pin } = this.options;
    const { p, lib } = acquireModule(module);
    try {
      const slot = findTokenSlot(lib, tokenLabel);
      const anchor = lib.C_OpenSession(slot, p.CKF_SERIAL_SESSION | p.CKF_RW_SESSION);
      try {
        lib.C_Login(anchor, p.CKU_USER, pin);
      } catch (error) {
        if (ckr(error) !== 'CKR_USER_ALREADY_LOGGED_IN') {
          try {
            lib.C_CloseSession(anchor);
          } catch {
            // nothing to close
          }
          throw error;
        }
      }
      return { p, lib, slot, anchor };
    } catch (error) {
      releaseModule(module);
      if (error instanceof KeyStoreError) throw error;
      const code = ckr(error);
      const why =
        code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_LEN_RANGE'
          ? 'PKCS11_PIN is not accepted by the token'
          : code === 'CKR_PIN_LOCKED'
            ? 'the token PIN is locked'
            : 'the token could not be opened';
      throw unavailable(error, `${why} (token ${tokenLabel})`);
    }
  }

  /** A KeyStoreError stays as it is; a token that went away is unavailable; anything else is `code`. */
  private failure(error: unknown, code: 'signing_failed' | 'key_generation_failed', detail: string): KeyStoreError {
    if (error instanceof KeyStoreError) return error;
    if (TOKEN_GONE.has(ckr(error) ?? '')) {
      this.forget();
      return unavailable(error, `the token ${this.options.tokenLabel} went away`);
    }
    return new KeyStoreError(code, `${detail}${ckr(error) ? ` (${ckr(error)})` : ''}`);
  }
}

interface Connection {
  p: Pkcs11Module;
  lib: Pkcs11;
  slot: Handle;
  /** The session that holds the login for as long as the store is open. */
  anchor: Handle;
}

const TOKEN_GONE = new Set([
  'CKR_DEVICE_REMOVED',
  'CKR_DEVICE_ERROR',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
]);

/** The PKCS#11 return value's name (e.g. CKR_PIN_INCORRECT) from a pkcs11js error. */
function ckr(error: unknown): string | undefined {
  return error instanceof Error ? /\b(CKR_[A-Z_]+)/.exec(error.message)?.[1] : undefined;
}

function unavailable(error: unknown, detail: string): KeyStoreError {
  const code = ckr(error);
  return new KeyStoreError('key_store_unavailable', `${detail}${code ? ` (${code})` : ''}; nothing was signed`);
}

// One loaded and initialised library per path in this process: C_Initialize may run only once per
// library, and C_Finalize only when the last store using it closes.
const loaded = new Map<string, { p: Pkcs11Module; lib: Pkcs11; users: number }>();

function loadBinding(): Pkcs11Module {
  try {
    return createRequire(import.meta.url)('pkcs11js') as Pkcs11Module;
  } catch {
    throw new KeyStoreError(
      'key_store_unavailable',
      'the pkcs11js addon is not installed or not built for this Node.js (npm install builds it; it needs a C++ compiler and nodedir set to this Node’s headers)',
    );
  }
}

function acquireModule(path: string): { p: Pkcs11Module; lib: Pkcs11 } {
  const existing = loaded.get(path);
  if (existing) {
    existing.users += 1;
    return existing;
  }
  const p = loadBinding();
  const lib = new p.PKCS11();
  try {
    lib.load(path);
  } catch {
    throw new KeyStoreError('key_store_unavailable', `the PKCS#11 library ${path} (PKCS11_MODULE) could not be loaded; nothing was signed`);
  }
  try {
    lib.C_Initialize({ flags: p.CKF_OS_LOCKING_OK });
  } catch (error) {
    if (ckr(error) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      lib.close();
      throw unavailable(error, `the PKCS#11 library ${path} did not initialise`);
    }
  }
  const entry = { p, lib, users: 1 };
  loaded.set(path, entry);
  return entry;
}

function releaseModule(path: string): void {
  const entry = loaded.get(path);
  if (!entry) return;
  entry.users -= 1;
  if (entry.users > 0) return;
  loaded.delete(path);
  try {
    entry.lib.C_Finalize();
  } catch {
    // finalised already
  }
  entry.lib.close();
}

function findTokenSlot(lib: Pkcs11, label: string): Handle {
  for (const slot of lib.C_GetSlotList(true)) {
    if (lib.C_GetTokenInfo(slot).label.trimEnd() === label) return slot;
  }
  throw new KeyStoreError('key_store_unavailable', `no token labelled ${label} (PKCS11_TOKEN_LABEL) is present; nothing was signed`);
}

function findObjects(lib: Pkcs11, session: Handle, template: { type: number; value: number | Buffer }[]): Handle[] {
  lib.C_FindObjectsInit(session, template);
  try {
    return lib.C_FindObjects(session, 16);
  } finally {
    lib.C_FindObjectsFinal(session);
  }
}

/** A CK_ULONG attribute value in the platform's byte order (little-endian on x86-64 and arm64). */
function readUlong(value: Buffer): number {
  return value.length >= 8 ? Number(value.readBigUInt64LE(0)) : value.readUInt32LE(0);
}

/** SubjectPublicKeyInfo (DER) of a public key object on the token, via node:crypto's JWK import. */
function publicKeySpki(p: Pkcs11Module, lib: Pkcs11, session: Handle, handle: Handle, algorithm: SigningKeyAlgorithm): Uint8Array {
  let jwk: crypto.JsonWebKey;
  if (algorithm === 'RSA-2048') {
    const [modulus, exponent] = lib.C_GetAttributeValue(session, handle, [{ type: p.CKA_MODULUS }, { type: p.CKA_PUBLIC_EXPONENT }]);
    jwk = { kty: 'RSA', n: modulus!.value.toString('base64url'), e: exponent!.value.toString('base64url') };
  } else {
    const point = ecPoint(lib.C_GetAttributeValue(session, handle, [{ type: p.CKA_EC_POINT }])[0]!.value);
    jwk = { kty: 'EC', crv: 'P-256', x: Buffer.from(point.subarray(1, 33)).toString('base64url'), y: Buffer.from(point.subarray(33, 65)).toString('base64url') };
  }
  return new Uint8Array(crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' }));
}

/** CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (some tokens give the bare point). */
function ecPoint(value: Buffer): Uint8Array {
  const point = value.length === 65 && value[0] === 0x04 ? value : new Uint8Array(AsnConvert.parse(value, OctetString).buffer);
  if (point.length !== 65 || point[0] !== 0x04) throw new Error('CKA_EC_POINT is not an uncompressed P-256 point');
  return point;
}
