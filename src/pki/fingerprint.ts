import { createHash } from 'node:crypto';
import type { x509 } from './x509.ts';

/** SHA-256 of the certificate DER, lower-case hex: the identity of a certificate in the trust store. */
export function certificateFingerprint(certificate: x509.X509Certificate): string {
  return createHash('sha256').update(new Uint8Array(certificate.rawData)).digest('hex');
}

/** Key for matching an issuer name to a subject name: RFC 5280 §7.1 comparison (distinguished-name.ts). */
export { nameKey } from './distinguished-name.ts';
