import type { Db } from '../../db/current.ts';
import { defaultOutboundFetch, OutboundFetchError } from '../../net/outbound-fetch.ts';
import { PkiError } from '../errors.ts';
import { x509 } from '../x509.ts';
import { MAX_CRL_BYTES } from './crl-index.ts';
import { crlDistributionUrls } from './crl-distribution-points.ts';
import { importCrl, type TrustScheme } from '../trust/trust-material-repository.ts';

export interface CrlRefreshResult {
  url: string;
  outcome: 'loaded' | 'failed';
  detail: string;
}

/** Practitioner certificates are read in pages of this many rows (crlUrls only). */
const PAGE = 5000;

/**
 * Every distinct http(s) CRL distribution point named by the scheme's trusted CAs and, for HPKI,
 * by practitioners' certificates that have not expired: each URL once, whichever certificate
 * named it (one issuer's certificates may point to several partitioned CRLs).
 */
export async function crlDistributionPointsToRefresh(prisma: Db, scheme: TrustScheme, now = new Date()): Promise<string[]> {
  const urls = new Set<string>();
  for (const row of await prisma.trustCertificate.findMany({ where: { scheme }, select: { der: true } })) {
    for (const url of crlDistributionUrls(new x509.X509Certificate(new Uint8Array(row.der)))) urls.add(url);
  }
  if (scheme === 'hpki') {
    let cursor: string | undefined;
    for (;;) {
      const rows = await prisma.practitionerCertificate.findMany({
        where: { notAfter: { gt: now } },
        select: { fingerprint: true, crlUrls: true },
        orderBy: { fingerprint: 'asc' },
        take: PAGE,
        ...(cursor ? { cursor: { fingerprint: cursor }, skip: 1 } : {}),
      });
      for (const row of rows) for (const url of row.crlUrls) if (/^https?:\/\//i.test(url)) urls.add(url);
      if (rows.length < PAGE) break;
      cursor = rows[rows.length - 1]!.fingerprint;
    }
  }
  return [...urls].sort();
}

/**
 * Fetches the CRLs named by the distribution points of the trusted CAs and of practitioners'
 * certificates (crlDistributionPointsToRefresh), through the outbound fetch (no private
 * destination unless allowed, the configured proxy, same-host redirects, size and time bounds), and
 * stores each one that verifies against a trusted CA and is newer than the one held (importCrl:
 * a lower cRLNumber is refused). Unreachable points are reported, not fatal: the stored CRL stays
 * in force until its nextUpdate, then logins fail closed.
 */
export async function refreshCrlsFromDistributionPoints(
  prisma: Db,
  scheme: TrustScheme,
  options: { fetch?: typeof fetch; timeoutMs?: number; minRsaBits?: number } = {},
): Promise<CrlRefreshResult[]> {
  const urls = await crlDistributionPointsToRefresh(prisma, scheme);
  const doFetch = options.fetch ?? defaultOutboundFetch();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const results: CrlRefreshResult[] = [];
  for (const url of urls) {
    try {
      const init = { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow', maxResponseBytes: MAX_CRL_BYTES, timeoutMs } as RequestInit;
      const response = await doFetch(url, init);
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`HTTP ${response.status}`);
      }
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_CRL_BYTES) throw new Error(`${declared} bytes is over the limit`);
      const body = new Uint8Array(await response.arrayBuffer());
      if (body.byteLength > MAX_CRL_BYTES) throw new Error(`${body.byteLength} bytes is over the limit`);
      const crl = await importCrl(prisma, scheme, body, url, { minRsaBits: options.minRsaBits });
      results.push({ url, outcome: 'loaded', detail: `${crl.entries} revoked, next update ${crl.nextUpdate.toISOString()}` });
    } catch (error) {
      results.push({ url, outcome: 'failed', detail: refreshFailure(error) });
    }
  }
  return results;
}

function refreshFailure(error: unknown): string {
  if (error instanceof PkiError) return `${error.code}: ${error.detail}`;
  if (error instanceof OutboundFetchError) return `${error.kind}: ${error.message}`;
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return `${(error as Error).message}${cause ? ` (${cause})` : ''}`;
}
