import type { Db } from '../db/current.ts';
import { PortalError } from '../errors/portal-error.ts';
import { validateCertificate } from '../pki/validation/validate-certificate.ts';
import { crlRevocationChecker } from '../pki/revocation/crl-revocation-checker.ts';
import { certificateFingerprint } from '../pki/fingerprint.ts';
import type { TrustStoreCache } from '../pki/trust/trust-store-cache.ts';
import { issuedWithin } from '../pki/trust/issued-within.ts';
import { ACR } from './assurance.ts';
import type { Assurance, AuthResult } from './login-method.ts';

/** My Number Card: smart card, PIN, hardware key — identity only, below HPKI (no qualification). */
export const JPKI_ASSURANCE: Assurance = { amr: ['sc', 'pin', 'hwk'], acr: ACR.jpki };

export interface JpkiIdentity {
  fingerprint: string;
  issuer: string;
  /** The subject of the user-authentication certificate: an opaque ID, no name or address. */
  subject: string;
  /** The certificate's expiry, kept with the link for the expiry notices. */
  notAfter: Date;
}

/**
 * A My Number Card's user-authentication certificate, checked with the same validators as HPKI's
 * under the JPKI profile: chain to a configured J-LIS anchor, the user-authentication policy,
 * validity, CRL. Proof of the key is the caller's (a signed challenge, or the TLS handshake).
 */
export async function validateJpkiCertificate(trust: TrustStoreCache, der: Uint8Array): Promise<JpkiIdentity> {
  const trustStore = await trust.get('jpki');
  if (!trustStore) throw new PortalError('trust_store_unavailable', 503, 'no JPKI trust anchor');
  const result = await validateCertificate(der, { trustStore, profile: 'jpki-auth', revocationCheckers: [crlRevocationChecker(trustStore)] });
  if (!result.ok) throw new PortalError(result.code, result.code === 'certificate_malformed' || result.code === 'certificate_too_large' ? 400 : 401, result.detail);
  return {
    fingerprint: certificateFingerprint(result.certificate),
    issuer: result.issuer,
    subject: result.subject.commonName ?? result.certificate.subject,
    notAfter: result.certificate.notAfter,
  };
}

/**
 * Whether a certificate presented where either card may come (the TLS listener) claims a JPKI
 * issuer and no HPKI one: it is then judged as a My Number Card's.
 */
export async function claimsJpkiIssuer(trust: TrustStoreCache, der: Uint8Array): Promise<boolean> {
  const [jpki, hpki] = await Promise.all([trust.get('jpki'), trust.get('hpki')]);
  return Boolean(jpki && issuedWithin(jpki, der) && !(hpki && issuedWithin(hpki, der)));
}

/**
 * The card proves who the person is, the link made after an HPKI login says which practitioner that
 * is — and the practitioner's record, which an HPKI certificate established, gives the
 * qualification. Nothing from the card goes to relying parties.
 */
export async function loginWithLinkedMyNumberCard(prisma: Db, identity: JpkiIdentity, method: string): Promise<AuthResult> {
  const link = await prisma.myNumberCardLink.findUnique({ where: { fingerprint: identity.fingerprint } });
  if (!link) throw new PortalError('jpki_not_linked', 403);
  const practitioner = await prisma.practitioner.findUnique({ where: { id: link.practitionerId } });
  if (!practitioner) throw new PortalError('jpki_not_linked', 403);
  if (practitioner.lockedAt) throw new PortalError('practitioner_locked', 403);
  return { practitionerId: practitioner.id, method, amr: [...JPKI_ASSURANCE.amr], acr: JPKI_ASSURANCE.acr };
}
