import { defaultCertificateRules } from '../certificate-rules.ts';
import type { CertificateRules } from '../certificate-rules.ts';
import { PkiError } from '../errors.ts';
import { certificateFingerprint, nameKey } from '../fingerprint.ts';
import type { CertificateProfile } from '../profiles.ts';
import type { TrustStore, TrustStoreCertificate } from '../trust/trust-store.ts';
import { x509 } from '../x509.ts';
import { unsupportedCriticalExtensions } from './critical-extensions.ts';
import { validateKeyStrength } from './validate-key-strength.ts';
import { validateSignatureAlgorithms } from './validate-signature-algorithms.ts';
import { validateCertificateVersion } from './validate-version.ts';

const ACCEPTED_HASHES = new Set(['SHA-256', 'SHA-384', 'SHA-512']);

async function signedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  try {
    return await certificate.verify({ publicKey: issuer.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/**
 * Whether one certificate signed another never changes for the same two objects (trust-store
 * certificates are immutable and replaced, not edited, when trust material changes; a leaf is the
 * same object while checked-certificates.ts remembers it): the answer is kept per object pair.
 */
const storedPairs = new WeakMap<x509.X509Certificate, WeakMap<x509.X509Certificate, boolean>>();
async function storedSignedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  let byIssuer = storedPairs.get(certificate);
  if (!byIssuer) storedPairs.set(certificate, (byIssuer = new WeakMap()));
  let known = byIssuer.get(issuer);
  if (known === undefined) byIssuer.set(issuer, (known = await signedBy(certificate, issuer)));
  return known;
}

function keyIdentifiersDisagree(certificate: x509.X509Certificate, issuer: x509.X509Certificate): boolean {
  const aki = certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return aki !== undefined && ski !== undefined && aki.toLowerCase() !== ski.toLowerCase();
}

function assertSignatureAlgorithm(certificate: x509.X509Certificate): void {
  const hash = certificate.signatureAlgorithm.hash?.name;
  if (!hash || !ACCEPTED_HASHES.has(hash.toUpperCase())) {
    throw new PkiError('certificate_chain_invalid', `"${certificate.subject}" is signed with ${certificate.signatureAlgorithm.name}/${hash ?? 'unknown hash'}, which is not accepted`);
  }
}

/**
 * Why `issuer` cannot act as a CA for a path in which `below` certificates sit under it (the
 * leaf and any intermediates), or undefined when it can: cA=true, keyCertSign, pathLenConstraint,
 * validity at `now`, no unprocessed critical extension.
 */
function caProblem(issuer: x509.X509Certificate, intermediatesBelow: number, now: Date): string | undefined {
  const basicConstraints = issuer.getExtension(x509.BasicConstraintsExtension);
  if (!basicConstraints?.ca) return `"${issuer.subject}" is not a CA (basicConstraints cA is not true)`;
  const keyUsage = issuer.getExtension(x509.KeyUsagesExtension);
  if (!keyUsage || !(keyUsage.usages & x509.KeyUsageFlags.keyCertSign)) return `"${issuer.subject}" lacks keyUsage keyCertSign`;
  if (basicConstraints.pathLength !== undefined && intermediatesBelow > basicConstraints.pathLength) {
    return `"${issuer.subject}" allows ${basicConstraints.pathLength} intermediate CA(s) below it, the path has ${intermediatesBelow}`;
  }
  if (now < issuer.notBefore || now > issuer.notAfter) return `CA certificate "${issuer.subject}" is outside its validity period`;
  const unsupported = unsupportedCriticalExtensions(issuer);
  if (unsupported.length > 0) return `"${issuer.subject}" has unprocessed critical extension(s) ${unsupported.join(', ')}`;
  return undefined;
}

/**
 * Why a CA certificate of the path cannot be used, checked with the leaf's own structural
 * validators: version, inner = outer signature algorithm, key strength. Kept per certificate object
 * (trust-store certificates are immutable) and minimum RSA size.
 */
const structureProblems = new WeakMap<x509.X509Certificate, Map<number, PkiError | null>>();
function caStructureProblem(ca: x509.X509Certificate, minRsaBits: number): PkiError | undefined {
  let byMinimum = structureProblems.get(ca);
  if (!byMinimum) structureProblems.set(ca, (byMinimum = new Map()));
  let known = byMinimum.get(minRsaBits);
  if (known === undefined) {
    const label = `CA certificate "${ca.subject}"`;
    try {
      validateCertificateVersion(ca, label);
      validateSignatureAlgorithms(ca, label);
      validateKeyStrength(ca, minRsaBits, label);
      known = null;
    } catch (error) {
      if (!(error instanceof PkiError)) throw error;
      known = error;
    }
    byMinimum.set(minRsaBits, known);
  }
  return known ?? undefined;
}

/**
 * Step 5: builds a path from the leaf to a trust anchor of the store, verifying every signature
 * on the way, and returns it leaf first, anchor last. Fails with
 * - `certificate_untrusted` when no path reaches an anchor (including a self-signed leaf);
 * - `certificate_chain_too_long` when the only paths exceed profile.maxChainLength;
 * - `certificate_chain_invalid` when a signing certificate in the path may not act as a CA
 *   (basicConstraints, keyCertSign, pathLenConstraint, validity) or uses a weak hash;
 * - `certificate_key_too_weak`, `certificate_version_invalid`, `certificate_signature_algorithm_mismatch`
 *   when a CA certificate of the path (the anchor included) fails that rule.
 * Names are matched under RFC 5280 §7.1 (distinguished-name.ts), not as exact strings.
 */
export async function validateCertificateChain(
  leaf: x509.X509Certificate,
  trustStore: TrustStore,
  profile: CertificateProfile,
  now: Date,
  rules: CertificateRules = trustStore.rules ?? defaultCertificateRules,
): Promise<x509.X509Certificate[]> {
  if (nameKey(leaf.subjectName) === nameKey(leaf.issuerName) && (await signedBy(leaf, leaf))) {
    throw new PkiError('certificate_untrusted', 'the certificate is self-signed');
  }
  assertSignatureAlgorithm(leaf);

  let caFailure: PkiError | undefined;
  let tooLong = false;
  const { minRsaBits } = rules;

  const extend = async (path: x509.X509Certificate[], fingerprints: Set<string>): Promise<x509.X509Certificate[] | undefined> => {
    const current = path[path.length - 1]!;
    const candidates: readonly TrustStoreCertificate[] = trustStore.bySubject.get(nameKey(current.issuerName)) ?? [];
    for (const candidate of candidates) {
      if (fingerprints.has(candidate.fingerprint) || keyIdentifiersDisagree(current, candidate.certificate)) continue;
      // Trust-store certificates, and a leaf remembered by checked-certificates.ts, are immutable objects.
      const verified = await storedSignedBy(current, candidate.certificate);
      if (!verified) continue;

      const problem = caProblem(candidate.certificate, path.length - 1, now);
      if (problem) {
        caFailure ??= new PkiError('certificate_chain_invalid', problem);
        continue;
      }
      const structure = caStructureProblem(candidate.certificate, minRsaBits);
      if (structure) {
        caFailure ??= structure;
        continue;
      }
      if (path.length + 1 > profile.maxChainLength) {
        tooLong = true;
        continue;
      }
      const next = [...path, candidate.certificate];
      if (candidate.anchor) return next;
      try {
        assertSignatureAlgorithm(candidate.certificate);
      } catch (error) {
        caFailure ??= error as PkiError;
        continue;
      }
      const found = await extend(next, new Set([...fingerprints, candidate.fingerprint]));
      if (found) return found;
    }
    return undefined;
  };

  const chain = await extend([leaf], new Set([certificateFingerprint(leaf)]));
  if (chain) return chain;
  if (caFailure) throw new PkiError(caFailure.code, caFailure.detail);
  if (tooLong) throw new PkiError('certificate_chain_too_long', `no path to a trust anchor within ${profile.maxChainLength} certificates`);
  throw new PkiError('certificate_untrusted', `no path from issuer "${leaf.issuer}" to a configured trust anchor`);
}
