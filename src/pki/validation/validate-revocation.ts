import { PkiError } from '../errors.ts';
import type { RevocationChecker, RevocationStatus } from '../revocation/revocation-checker.ts';
import type { x509 } from '../x509.ts';

export interface RevocationOptions {
  /** Asked in order; the first `good` or `revoked` answer decides. OCSP would go before CRL here. */
  checkers: readonly RevocationChecker[];
  now: Date;
  /** `chain`: every certificate below the anchor; `leaf`: only chain[0]. */
  scope: 'leaf' | 'chain';
}

/**
 * Revocation status of the validated chain (leaf first, anchor last), failing closed:
 * `certificate_revoked` when a checker says so, otherwise the first `unknown` code of a checker
 * that covers the certificate (`ocsp_unavailable` when its responder cannot be asked, `crl_missing`,
 * `crl_expired`, …) when no checker can vouch for it. A checker answering `not-applicable` (OCSP
 * for a certificate that names no responder) is skipped, so its code never hides the CRL's.
 */
export async function validateRevocation(chain: readonly x509.X509Certificate[], options: RevocationOptions): Promise<void> {
  if (options.checkers.length === 0) throw new PkiError('crl_missing', 'no revocation checker is configured');
  const last = options.scope === 'leaf' ? Math.min(1, chain.length - 1) : chain.length - 1;
  for (let i = 0; i < last; i++) {
    const certificate = chain[i]!;
    const issuer = chain[i + 1]!;
    let firstUnknown: Extract<RevocationStatus, { status: 'unknown' }> | undefined;
    let firstNotApplicable: Extract<RevocationStatus, { status: 'not-applicable' }> | undefined;
    let vouched = false;
    for (const checker of options.checkers) {
      let status: RevocationStatus;
      try {
        status = await checker.check(certificate, issuer, options.now);
      } catch (error) {
        status = { status: 'unknown', source: checker.name, code: 'crl_missing', detail: `${checker.name} failed: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (status.status === 'revoked') {
        const subject = i === 0 ? 'the certificate' : `CA certificate "${certificate.subject}"`;
        throw new PkiError('certificate_revoked', `${subject} (serial ${certificate.serialNumber}) was revoked at ${status.revokedAt.toISOString()} (${status.source})`);
      }
      if (status.status === 'good') {
        vouched = true;
        break;
      }
      if (status.status === 'not-applicable') firstNotApplicable ??= status;
      else firstUnknown ??= status;
    }
    const reason = firstUnknown ?? firstNotApplicable!;
    if (!vouched) throw new PkiError(reason.code, reason.detail);
  }
}
