import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { MIN_RSA_BITS } from '../certificate-rules.ts';
import { PkiError } from '../errors.ts';
import type { x509 } from '../x509.ts';

/** The elliptic curves accepted (OpenSSL names): NIST P-256, P-384, P-521 (SPEC §12). */
export const ACCEPTED_CURVES: Readonly<Record<string, string>> = Object.freeze({
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
});

/**
 * Why a subjectPublicKeyInfo is too weak, or undefined when it is acceptable: RSA with a modulus
 * of at least `minRsaBits` (never below 2048) and an odd public exponent ≥ 3, or ECDSA on
 * P-256/P-384/P-521. Every other algorithm or curve (DSA, Ed25519, secp256k1, brainpool, …) is
 * refused: the portal verifies nothing else.
 */
export function keyWeakness(spki: ArrayBuffer | Uint8Array, minRsaBits = MIN_RSA_BITS): string | undefined {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki instanceof Uint8Array ? spki : new Uint8Array(spki)), format: 'der', type: 'spki' });
  } catch {
    return 'its public key algorithm is not supported';
  }
  const details = key.asymmetricKeyDetails ?? {};
  const minimum = Math.max(minRsaBits, MIN_RSA_BITS);
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss': {
      const bits = details.modulusLength ?? 0;
      if (bits < minimum) return `its RSA key has ${bits} bits (at least ${minimum} required)`;
      const exponent = details.publicExponent ?? 0n;
      if (exponent < 3n || exponent % 2n === 0n) return `its RSA public exponent ${exponent} is not an odd number of at least 3`;
      return undefined;
    }
    case 'ec': {
      const curve = details.namedCurve ?? 'an unnamed curve';
      return Object.hasOwn(ACCEPTED_CURVES, curve) ? undefined : `its elliptic-curve key is on ${curve} (P-256, P-384 or P-521 required)`;
    }
    default:
      return `its ${key.asymmetricKeyType ?? 'unknown'} key is not accepted (RSA or ECDSA P-256/P-384/P-521 required)`;
  }
}

/**
 * The certificate's key is strong enough (see keyWeakness) → otherwise `certificate_key_too_weak`.
 * Applied to the leaf and, during chain building, to every CA certificate up to the anchor.
 */
export function validateKeyStrength(certificate: x509.X509Certificate, minRsaBits = MIN_RSA_BITS, label = 'the certificate'): void {
  const weakness = weaknessOf(certificate, minRsaBits);
  if (weakness) throw new PkiError('certificate_key_too_weak', `${label}: ${weakness}`);
}

/** The verdict per certificate object (immutable) and minimum: a remembered card's key is read once. */
const verdicts = new WeakMap<x509.X509Certificate, Map<number, string | undefined>>();
function weaknessOf(certificate: x509.X509Certificate, minRsaBits: number): string | undefined {
  let byMinimum = verdicts.get(certificate);
  if (!byMinimum) verdicts.set(certificate, (byMinimum = new Map()));
  if (!byMinimum.has(minRsaBits)) byMinimum.set(minRsaBits, keyWeakness(certificate.publicKey.rawData, minRsaBits));
  return byMinimum.get(minRsaBits);
}
