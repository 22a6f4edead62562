import { createHash } from 'node:crypto';
import type { TrustStore } from '../pki/trust/trust-store.ts';
import { signingCertificateStatus, type SigningCertificateStatus, type SigningCertificateStatusDependencies } from './signing-certificate-status.ts';

/** How long a `valid` status stands before the certificate is checked again (chain, OCSP, CRL). */
export const VALID_STATUS_KEPT_MS = 60_000;
/** Bound on remembered certificates per trust store; past it the memory starts over. */
const MAX_ENTRIES = 10_000;

/**
 * Every signHash needs its second certificate's status (SPEC §12: fail closed). Checked on each
 * call, that was chain building, a CRL lookup and — with OCSP on — a request to the responder per
 * signature. A `valid` answer is kept for a minute, per trust store: new trust material or a new CRL
 * builds a new store and so checks everything again at once. Only `valid` is kept, and never past
 * the certificate's notAfter; `revoked`, `expired` and `unknown` are asked again every time. A
 * revocation that only the OCSP responder knows is seen within VALID_STATUS_KEPT_MS, far inside the
 * hours a CA takes to publish one in its CRL. Whether the key may sign (the credential's own state,
 * the practitioner's lock, the consent) is read on every call and is not part of this.
 */
export class SigningStatusCache {
  private readonly byStore = new WeakMap<TrustStore, Map<string, { until: number; notAfter: Date }>>();

  constructor(
    private readonly check: typeof signingCertificateStatus = signingCertificateStatus,
    private readonly keepMs = VALID_STATUS_KEPT_MS,
    private readonly maxEntries = MAX_ENTRIES,
  ) {}

  async status(deps: SigningCertificateStatusDependencies, certificateDer: Uint8Array, now = new Date()): Promise<SigningCertificateStatus> {
    const store = await deps.trust.get('hpki');
    if (!store) return this.check(deps, certificateDer, now);
    let valid = this.byStore.get(store);
    if (!valid) this.byStore.set(store, (valid = new Map()));
    const key = createHash('sha256').update(certificateDer).digest('base64');
    const kept = valid.get(key);
    if (kept && now.getTime() < kept.until) return { status: 'valid', notAfter: kept.notAfter };
    // The same store for the check as for the key, even if a reload replaces it meanwhile.
    const result = await this.check({ ...deps, trust: { get: async () => store } }, certificateDer, now);
    if (result.status === 'valid') {
      if (valid.size >= this.maxEntries) valid.clear();
      valid.set(key, { until: Math.min(now.getTime() + this.keepMs, result.notAfter.getTime()), notAfter: result.notAfter });
    } else {
      valid.delete(key);
    }
    return result;
  }
}
