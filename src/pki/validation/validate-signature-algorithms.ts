import { PkiError } from '../errors.ts';
import type { x509 } from '../x509.ts';
import { certificateTbsLayout } from './tbs-layout.ts';

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * RFC 5280 §4.1.1.2: the signature AlgorithmIdentifier inside tbsCertificate (the signed copy)
 * must equal the outer one, byte for byte; otherwise an attacker-chosen outer algorithm could
 * decide how the signature is read → `certificate_signature_algorithm_mismatch`, even when the
 * signature verifies.
 */
export function validateSignatureAlgorithms(certificate: x509.X509Certificate, label = 'the certificate'): void {
  const layout = certificateTbsLayout(certificate, label);
  if (!equalBytes(layout.innerSignatureAlgorithm, layout.outerSignatureAlgorithm)) {
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    throw new PkiError(
      'certificate_signature_algorithm_mismatch',
      `${label}: tbsCertificate names signature algorithm ${hex(layout.innerSignatureAlgorithm)}, the certificate ${hex(layout.outerSignatureAlgorithm)}`,
    );
  }
}
