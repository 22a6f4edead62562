import type { ErrorCode } from '../errors/catalogue.ts';
import { PkiError, type PkiErrorCode } from '../pki/errors.ts';
import { OID } from '../pki/oids.ts';
import type { CertificateProfile } from '../pki/profiles.ts';
import { crlRevocationChecker } from '../pki/revocation/crl-revocation-checker.ts';
import { ocspRevocationChecker } from '../pki/revocation/ocsp-revocation-checker.ts';
import type { TrustStoreCache } from '../pki/trust/trust-store-cache.ts';
import { validateCertificateChain } from '../pki/validation/validate-chain.ts';
import { validateRevocation } from '../pki/validation/validate-revocation.ts';
import { x509 } from '../pki/x509.ts';

/**
 * The second certificate's status as the signing CA sees it, in the CSC API's words (credentials/info
 * `cert.status`): `valid`, `expired` or `revoked`; `unknown` when it cannot be established (no
 * trusted path to the HPKI signing CA, no fresh CRL, OCSP unreachable) — CSC leaves the status out
 * then, and signHash refuses (SPEC §12: fail closed on certificate and revocation checks).
 */
export type SigningCertificateStatus =
  | { status: 'valid'; notAfter: Date }
  | { status: 'expired'; notAfter: Date }
  | { status: 'revoked'; detail: string }
  | { status: 'unknown'; code: PkiErrorCode | Extract<ErrorCode, 'trust_store_unavailable'>; detail: string };

export interface SigningCertificateStatusDependencies {
  /** The trust store of scheme `hpki`: the MHLW root and the HPKI signing CA with their CRLs. */
  trust: Pick<TrustStoreCache, 'get'>;
  /** Ask the OCSP responder the certificate names before the CRL (setting OCSP, as for logins). */
  ocsp: boolean;
  /** The outbound fetch for OCSP (src/net/outbound-fetch.ts). */
  fetch?: typeof fetch;
}

/** Chain building for a signing leaf: HPKI signing policy; the same depth and revocation scope as logins. */
const SECOND_CERTIFICATE_PROFILE: CertificateProfile = {
  id: 'hpki-second-certificate',
  description: 'HPKI signing certificate (署名用) held in key custody for remote signing',
  acceptedPolicyArcs: [OID.hpkiSigningArc],
  signingPolicyArcs: [],
  issuingCaPolicyArcs: [OID.hpkiSigningArc],
  maxChainLength: 4,
  revocationScope: 'chain',
};

export async function signingCertificateStatus(
  deps: SigningCertificateStatusDependencies,
  certificateDer: Uint8Array,
  now = new Date(),
): Promise<SigningCertificateStatus> {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(new Uint8Array(certificateDer));
  } catch {
    return { status: 'unknown', code: 'certificate_malformed', detail: 'the stored second certificate does not parse' };
  }
  if (certificate.notAfter < now) return { status: 'expired', notAfter: certificate.notAfter };
  if (certificate.notBefore > now) return { status: 'unknown', code: 'certificate_not_yet_valid', detail: `valid from ${certificate.notBefore.toISOString()}` };
  const trustStore = await deps.trust.get('hpki');
  if (!trustStore) return { status: 'unknown', code: 'trust_store_unavailable', detail: 'no HPKI trust anchor is configured' };
  try {
    const chain = await validateCertificateChain(certificate, trustStore, SECOND_CERTIFICATE_PROFILE, now);
    const crl = crlRevocationChecker(trustStore);
    await validateRevocation(chain, {
      checkers: deps.ocsp ? [ocspRevocationChecker({ fetch: deps.fetch }), crl] : [crl],
      now,
      scope: SECOND_CERTIFICATE_PROFILE.revocationScope,
    });
    return { status: 'valid', notAfter: certificate.notAfter };
  } catch (error) {
    if (error instanceof PkiError) {
      return error.code === 'certificate_revoked' ? { status: 'revoked', detail: error.detail } : { status: 'unknown', code: error.code, detail: error.detail };
    }
    return { status: 'unknown', code: 'validation_failed', detail: error instanceof Error ? error.message : String(error) };
  }
}
