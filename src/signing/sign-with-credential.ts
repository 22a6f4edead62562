import type { KeyStores } from './key-store-factory.ts';
import { KeyStoreError } from './key-store.ts';
import { PortalError } from '../errors/portal-error.ts';

/** How the signing API reaches the key store (wired by the portal; the key never leaves the store). */
export type SignDigest = (
  credential: { keyStore: string; keyRef: string; keyAlgorithm: string },
  hashAlgorithm: 'SHA-256' | 'SHA-384' | 'SHA-512',
  digest: Uint8Array,
) => Promise<Uint8Array>;

/**
 * The signing API's only way to a private key: the store the credential was created in signs the
 * digest. Store failures become stable codes; a store that cannot sign fails closed.
 */
export function signWithKeyStores(keyStores: KeyStores): SignDigest {
  return async (credential, hashAlgorithm, digest) => {
    try {
      return await keyStores.keyStoreFor(credential.keyStore).signDigest(credential.keyRef, hashAlgorithm, digest);
    } catch (error) {
      if (error instanceof KeyStoreError) throw new PortalError(error.code, error.code === 'key_store_unavailable' ? 503 : 500, error.message);
      throw error;
    }
  };
}
