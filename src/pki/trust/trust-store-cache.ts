import type { Db } from '../../db/current.ts';
import type { CertificateRules } from '../certificate-rules.ts';
import type { TrustStore } from './trust-store.ts';
import { loadTrustStore, type TrustScheme } from './trust-material-repository.ts';

/**
 * The trust store each login validates against, built once from the database and rebuilt when the
 * stored material changes (an import here, or another instance's import seen by the periodic
 * reload). A store that fails to build is not replaced by nothing: logins fail closed.
 */
export class TrustStoreCache {
  private stores = new Map<TrustScheme, { store: TrustStore | null; loadedAt: number; version: string }>();
  private loading = new Map<TrustScheme, Promise<TrustStore | null>>();

  constructor(
    private readonly prisma: () => Db,
    private readonly maxAgeMs = 60_000,
    /** The installation's certificate rules, carried by every store built here. */
    private readonly rules?: Partial<CertificateRules>,
  ) {}

  /** The current store; null when no anchor is configured for the scheme. */
  async get(scheme: TrustScheme): Promise<TrustStore | null> {
    const cached = this.stores.get(scheme);
    if (cached && Date.now() - cached.loadedAt < this.maxAgeMs) return cached.store;
    let pending = this.loading.get(scheme);
    if (!pending) {
      pending = this.refresh(scheme, cached?.version).finally(() => this.loading.delete(scheme));
      this.loading.set(scheme, pending);
    }
    return pending;
  }

  /** Forget the cached store (after an import in this process). */
  invalidate(scheme?: TrustScheme): void {
    if (scheme) this.stores.delete(scheme);
    else this.stores.clear();
  }

  private async refresh(scheme: TrustScheme, knownVersion: string | undefined): Promise<TrustStore | null> {
    const version = await this.currentVersion(scheme);
    const cached = this.stores.get(scheme);
    if (cached && knownVersion === version) {
      cached.loadedAt = Date.now();
      return cached.store;
    }
    const store = await loadTrustStore(this.prisma(), scheme, this.rules);
    this.stores.set(scheme, { store, loadedAt: Date.now(), version });
    return store;
  }

  /** A cheap fingerprint of the stored material, so an unchanged store is not rebuilt. */
  private async currentVersion(scheme: TrustScheme): Promise<string> {
    const prisma = this.prisma();
    const [certs, crls] = await Promise.all([
      prisma.trustCertificate.aggregate({ where: { scheme }, _count: true, _max: { createdAt: true } }),
      prisma.revocationList.aggregate({ where: { scheme }, _count: true, _max: { loadedAt: true } }),
    ]);
    return `${certs._count}:${certs._max.createdAt?.getTime()}:${crls._count}:${crls._max.loadedAt?.getTime()}`;
  }
}
