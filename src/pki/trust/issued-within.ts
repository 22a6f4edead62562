import { nameKey } from '../distinguished-name.ts';
import { parseCertificate } from '../validation/parse-certificate.ts';
import type { TrustStore } from './trust-store.ts';

/**
 * Whether a CA of this store has the name the certificate names as its issuer — which hierarchy
 * a certificate claims to come from, before any validation (the validators decide whether it does).
 * A certificate that does not parse (step 1 of validation) belongs to none.
 */
export function issuedWithin(trustStore: TrustStore, der: Uint8Array): boolean {
  try {
    return trustStore.bySubject.has(nameKey(parseCertificate(der).issuerName));
  } catch {
    return false;
  }
}
