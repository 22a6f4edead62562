import { p256 } from '@noble/curves/nist.js';

/**
 * A PKCS#11 token returns an ECDSA signature as the raw concatenation r‖s (PKCS#11 v2.40 §2.3.1);
 * signatures leave the key store DER-encoded (ECDSA-Sig-Value, RFC 3279 §2.2.3) like every
 * X.509/CMS consumer expects.
 */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length !== 64) throw new Error(`a P-256 signature r‖s has 64 bytes, got ${raw.length}`);
  return p256.Signature.fromBytes(raw, 'compact').toBytes('der');
}
