import { isBinaryInput, toBytes } from '../bytes.ts';
import { PkiError } from '../errors.ts';
import { x509 } from '../x509.ts';
import { unsupportedCriticalExtensions } from './critical-extensions.ts';
import { decodeCertificate } from './certificate-extensions.ts';

/** A real HPKI authentication certificate is ~1.5 KiB; anything over this is refused unparsed. */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

/**
 * Length of the outer DER element (tag 0x30, definite length), or -1 when the header is not a
 * DER SEQUENCE header. Used only to refuse trailing bytes; the parser below reads the contents.
 */
function outerSequenceLength(bytes: Uint8Array): number {
  if (bytes.length < 2 || bytes[0] !== 0x30) return -1;
  const first = bytes[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || bytes.length < 2 + count || bytes[2] === 0) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + bytes[2 + i]!;
  return 2 + count + length;
}

/**
 * Step 1: bytes → certificate. Refuses oversized input (`certificate_too_large`), anything that is
 * not exactly one DER X.509 certificate, repeated extensions (`certificate_malformed`) and critical
 * extensions that no later step processes (`certificate_unsupported`, RFC 5280 §4.2).
 */
export function parseCertificate(der: unknown): x509.X509Certificate {
  if (!isBinaryInput(der)) throw new PkiError('certificate_malformed', 'certificate must be DER bytes');
  if (der.byteLength > MAX_CERTIFICATE_BYTES) {
    throw new PkiError('certificate_too_large', `certificate is ${der.byteLength} bytes (limit ${MAX_CERTIFICATE_BYTES})`);
  }
  const bytes = toBytes(der);
  if (outerSequenceLength(bytes) !== bytes.byteLength) {
    throw new PkiError('certificate_malformed', 'input is not exactly one DER SEQUENCE');
  }
  let certificate: x509.X509Certificate;
  let extensions: x509.Extension[];
  try {
    certificate = decodeCertificate(bytes);
    // Touch the lazily decoded parts so a broken field fails here and not in a later step.
    void certificate.subjectName.toString();
    void certificate.issuerName.toString();
    void certificate.publicKey.algorithm;
    void certificate.notAfter;
    extensions = certificate.extensions;
  } catch (cause) {
    throw new PkiError('certificate_malformed', 'not a DER X.509 certificate', { cause });
  }
  const seen = new Set<string>();
  for (const extension of extensions) {
    if (seen.has(extension.type)) throw new PkiError('certificate_malformed', `extension ${extension.type} appears more than once`);
    seen.add(extension.type);
  }
  const unsupported = unsupportedCriticalExtensions(certificate);
  if (unsupported.length > 0) {
    throw new PkiError('certificate_unsupported', `critical extension(s) not processed by this validator: ${unsupported.join(', ')}`);
  }
  return certificate;
}
