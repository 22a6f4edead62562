import type { Environment } from '../config/environment.ts';
import type { KeyEncryptionKey } from '../crypto/key-encryption.ts';
import type { Db } from '../db/current.ts';
import { KeyStoreError, type KeyStore, type KeyStoreKind } from './key-store.ts';
import { Pkcs11KeyStore } from './pkcs11-key-store.ts';
import { prismaSoftwareKeyRecords, SoftwareKeyStore, type SoftwareKeyRecords } from './software-key-store.ts';

/** The key stores of an installation, registered by kind. */
export interface KeyStores {
  /** Where new signing keys are generated: the PKCS#11 token when one is configured. */
  readonly primary: KeyStore;
  /**
   * The store that holds a key created under `kind` (SigningCredential.keyStore): a credential is
   * always signed by the store it was created in, never by another one.
   */
  keyStoreFor(kind: string): KeyStore;
  close(): Promise<void>;
}

export interface KeyStoreDependencies {
  prisma?: Db;
  /** Instead of the database table (unit tests). */
  records?: SoftwareKeyRecords;
  kek: KeyEncryptionKey;
  log?: (line: string) => void;
}

/**
 * PKCS#11 when PKCS11_MODULE is set, otherwise the software store. A configured token that cannot
 * be opened (library missing, token absent, PIN refused) does not fall back to software keys: the
 * PKCS#11 store stays the primary one and fails closed with `key_store_unavailable` until the token
 * works; the start-up line says why. The software store is always registered so keys created
 * before a token was configured keep signing.
 */
export async function createKeyStore(env: Pick<Environment, 'pkcs11'>, deps: KeyStoreDependencies): Promise<KeyStores> {
  const records = deps.records ?? (deps.prisma ? prismaSoftwareKeyRecords(deps.prisma) : undefined);
  if (!records) throw new Error('createKeyStore needs the database (prisma) or a software key table (records)');
  const stores = new Map<KeyStoreKind, KeyStore>([['software', new SoftwareKeyStore(records, deps.kek)]]);
  if (env.pkcs11) {
    const pkcs11 = new Pkcs11KeyStore(env.pkcs11);
    stores.set('pkcs11', pkcs11);
    const problem = await pkcs11.check();
    deps.log?.(
      problem
        ? `Signing keys: PKCS#11 token ${env.pkcs11.tokenLabel} (${env.pkcs11.module}) is NOT usable: ${problem.detail} — remote signing fails closed until it is`
        : `Signing keys: PKCS#11 token ${env.pkcs11.tokenLabel} (${env.pkcs11.module})`,
    );
  } else {
    deps.log?.('Signing keys: software key store (AES-256-GCM under the key-encryption key); set PKCS11_MODULE for an HSM');
  }
  const primary = stores.get(env.pkcs11 ? 'pkcs11' : 'software')!;
  return {
    primary,
    keyStoreFor(kind) {
      const store = stores.get(kind as KeyStoreKind);
      if (!store) {
        throw new KeyStoreError(
          'key_store_unavailable',
          kind === 'pkcs11' ? 'this key is held on a PKCS#11 token but PKCS11_MODULE is not configured' : `unknown key store ${String(kind).slice(0, 20)}`,
        );
      }
      return store;
    },
    async close() {
      for (const store of stores.values()) await store.close();
    },
  };
}
