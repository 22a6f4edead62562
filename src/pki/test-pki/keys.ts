import { webcrypto } from 'node:crypto';
import { x509 } from '../x509.ts';

/** Key types of the fixtures; `rsa-1024` exists only to be refused (certificate_key_too_weak). */
export type KeyAlgorithmName = 'rsa-2048' | 'ecdsa-p256' | 'rsa-1024' | 'rsa-3072' | 'ecdsa-p384' | 'ecdsa-p521';

const rsa = (modulusLength: number) => ({ name: 'RSASSA-PKCS1-v1_5', modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }) as RsaHashedKeyGenParams;
const keyGenParams: Record<KeyAlgorithmName, RsaHashedKeyGenParams | EcKeyGenParams> = {
  'rsa-2048': rsa(2048),
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'rsa-1024': rsa(1024),
  'rsa-3072': rsa(3072),
  'ecdsa-p384': { name: 'ECDSA', namedCurve: 'P-384' },
  'ecdsa-p521': { name: 'ECDSA', namedCurve: 'P-521' },
};

/** A fresh, extractable key pair (extractable so fixtures can export keys for the demo seed). */
export async function generateKeys(algorithm: KeyAlgorithmName): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(keyGenParams[algorithm], true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** The signature algorithm a CA with this key uses: sha256WithRSAEncryption or ecdsa-with-SHA256. */
export function signingAlgorithmFor(keys: CryptoKeyPair): RsaHashedImportParams | EcdsaParams {
  return keys.privateKey.algorithm.name === 'ECDSA'
    ? { name: 'ECDSA', hash: 'SHA-256' }
    : { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}

export function keyAlgorithmOf(keys: CryptoKeyPair): KeyAlgorithmName {
  const algorithm = keys.privateKey.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  if (algorithm.name === 'ECDSA') return algorithm.namedCurve === 'P-384' ? 'ecdsa-p384' : algorithm.namedCurve === 'P-521' ? 'ecdsa-p521' : 'ecdsa-p256';
  return algorithm.modulusLength === 1024 ? 'rsa-1024' : algorithm.modulusLength === 3072 ? 'rsa-3072' : 'rsa-2048';
}

export { x509 };
