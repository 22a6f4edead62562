import { certificateFingerprint } from '../fingerprint.ts';
import type { TrustStore } from '../trust/trust-store.ts';
import { x509 } from '../x509.ts';
import type { RevocationChecker, RevocationStatus } from './revocation-checker.ts';

function isCaCertificate(certificate: x509.X509Certificate): boolean {
  return certificate.getExtension(x509.BasicConstraintsExtension)?.ca === true;
}

function crlDistributionPointUris(certificate: x509.X509Certificate): string[] {
  const extension = certificate.getExtension(x509.CRLDistributionPointsExtension);
  return (extension?.distributionPoints ?? []).flatMap(
    (point) => point.distributionPoint?.fullName?.flatMap((name) => (name.uniformResourceIdentifier ? [name.uniformResourceIdentifier] : [])) ?? [],
  );
}

/** Answers from the trust store's CRLs; a missing, out-of-scope or stale CRL gives `unknown`. */
export function crlRevocationChecker(trustStore: TrustStore): RevocationChecker {
  const source = 'crl';
  return {
    name: source,
    async check(certificate, issuer, now): Promise<RevocationStatus> {
      const crl = trustStore.crls.get(certificateFingerprint(issuer));
      if (!crl) return { status: 'unknown', source, code: 'crl_missing', detail: `no CRL loaded for issuer "${issuer.subject}"` };

      const ca = isCaCertificate(certificate);
      if ((crl.scope === 'end-entity' && ca) || (crl.scope === 'ca' && !ca)) {
        return { status: 'unknown', source, code: 'crl_missing', detail: `the CRL of "${issuer.subject}" only covers ${crl.scope} certificates` };
      }
      if (crl.distributionPointUris) {
        const named = new Set(crlDistributionPointUris(certificate));
        if (!crl.distributionPointUris.some((uri) => named.has(uri))) {
          return { status: 'unknown', source, code: 'crl_missing', detail: 'the loaded CRL is for another distribution point than the certificate names' };
        }
      }

      // A listed serial stays revoked whatever the CRL's freshness.
      const entry = crl.lookup(certificate.serialNumber);
      if (entry) return { status: 'revoked', source, revokedAt: entry.revokedAt, reason: entry.reason };

      if (now < crl.thisUpdate) {
        return { status: 'unknown', source, code: 'crl_not_yet_valid', detail: `CRL of "${issuer.subject}" has thisUpdate ${crl.thisUpdate.toISOString()}` };
      }
      if (now > crl.nextUpdate) {
        return { status: 'unknown', source, code: 'crl_expired', detail: `CRL of "${issuer.subject}" expired at ${crl.nextUpdate.toISOString()}` };
      }
      return { status: 'good', source };
    },
  };
}
