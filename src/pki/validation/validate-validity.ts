import { PkiError } from '../errors.ts';
import type { x509 } from '../x509.ts';

/** Step 2: the certificate's validity period contains `now` (bounds inclusive, RFC 5280 §4.1.2.5). */
export function validateCertificateValidity(certificate: x509.X509Certificate, now: Date): void {
  if (now < certificate.notBefore) {
    throw new PkiError('certificate_not_yet_valid', `valid from ${certificate.notBefore.toISOString()}, now is ${now.toISOString()}`);
  }
  if (now > certificate.notAfter) {
    throw new PkiError('certificate_expired', `expired at ${certificate.notAfter.toISOString()}, now is ${now.toISOString()}`);
  }
}
