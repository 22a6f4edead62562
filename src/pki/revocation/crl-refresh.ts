import type { Db } from '../../db/current.ts';
import { x509 } from '../x509.ts';
import { MAX_CRL_BYTES } from './CrlIndex.ts';
import { crlDistributionUrls } from './crl-distribution-points.ts';
import { importCrl, type TrustScheme } from '../trust/trust-material-repository.ts';

export interface CrlRefreshResult {
  url: string;
  outcome: 'loaded' | 'failed';
  detail: string;
}

/**
 * Fetches the CRLs named by the distribution points of the trusted CAs and of practitioners'
 * certificates, and stores each one that verifies against a trusted CA. Unreachable points are
 * reported, not fatal: the stored CRL stays in force until its nextUpdate, then logins fail closed.
 */
export async function refreshCrlsFromDistributionPoints(
  prisma: Db,
  scheme: TrustScheme,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<CrlRefreshResult[]> {
  const urls = new Set<string>();
  for (const row of await prisma.trustCertificate.findMany({ where: { scheme } })) {
    for (const url of crlDistributionUrls(new x509.X509Certificate(new Uint8Array(row.der)))) urls.add(url);
  }
  if (scheme === 'hpki') {
    const rows = await prisma.practitionerCertificate.findMany({ where: { notAfter: { gt: new Date() } }, select: { crlUrls: true }, distinct: ['issuer'] });
    for (const row of rows) for (const url of row.crlUrls) urls.add(url);
  }
  const doFetch = options.fetch ?? fetch;
  const results: CrlRefreshResult[] = [];
  for (const url of urls) {
    try {
      const response = await doFetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000), redirect: 'follow' });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const declared = Number(response.headers.get('content-length') ?? 0);
      if (declared > MAX_CRL_BYTES) throw new Error(`${declared} bytes is over the limit`);
      const body = new Uint8Array(await response.arrayBuffer());
      if (body.byteLength > MAX_CRL_BYTES) throw new Error(`${body.byteLength} bytes is over the limit`);
      const crl = await importCrl(prisma, scheme, body, url);
      results.push({ url, outcome: 'loaded', detail: `${crl.entries} revoked, next update ${crl.nextUpdate.toISOString()}` });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      results.push({ url, outcome: 'failed', detail: `${(error as Error).message}${cause ? ` (${cause})` : ''}` });
    }
  }
  return results;
}
