import { isBinaryInput } from '../bytes.ts';
import { DerMemo } from '../der-memo.ts';
import type { x509 } from '../x509.ts';
import { MAX_CERTIFICATE_BYTES, parseCertificate } from './parse-certificate.ts';
import { validateSubjectDirectoryAttributes } from './validate-directory-attributes.ts';
import { validateNameCharacters } from './validate-name-characters.ts';
import { validateSignatureAlgorithms } from './validate-signature-algorithms.ts';
import { validateCertificateVersion } from './validate-version.ts';

/**
 * Certificates remembered after passing the steps that depend on their bytes alone: one entry
 * holds ~19 KB of heap (measured for a card certificate with its decoded names and extensions), so
 * at most ~20 MB; a certificate forgotten costs ~6 ms of CPU at its next login, nothing else.
 */
export const CHECKED_CERTIFICATES_MAX = 1024;
const checked = new DerMemo<x509.X509Certificate>(CHECKED_CERTIFICATES_MAX);

/**
 * Validation steps 1–5 — parse, version, signature algorithms, subjectDirectoryAttributes, name
 * characters — which read nothing but the certificate's bytes, so their verdict for the same bytes
 * never changes: done once while the certificate is remembered, and the same (immutable) parsed
 * certificate is returned, so what later steps derive from it per object is kept too. A
 * certificate that fails is not remembered; every later step (key strength under the store's
 * rules, validity, purpose, policy, chain, revocation, hcRole) runs at every validation.
 */
export function parseCheckedCertificate(der: unknown): x509.X509Certificate {
  // Not bytes, or too many of them: refused by parseCertificate before anything is hashed.
  if (!isBinaryInput(der) || der.byteLength > MAX_CERTIFICATE_BYTES) return checkContent(der);
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  return checked.get(bytes, () => checkContent(bytes));
}

function checkContent(der: unknown): x509.X509Certificate {
  const certificate = parseCertificate(der);
  validateCertificateVersion(certificate);
  validateSignatureAlgorithms(certificate);
  validateSubjectDirectoryAttributes(certificate);
  validateNameCharacters(certificate);
  return certificate;
}

/** How many certificates are remembered (tests, diagnostics). */
export function checkedCertificateCount(): number {
  return checked.size;
}
