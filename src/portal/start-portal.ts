import type { Environment } from '../config/environment.ts';
import { openDatabase } from '../db/open-database.ts';
import { installDatabase } from '../db/current.ts';
import { loadKeyEncryptionKey } from '../crypto/key-encryption.ts';
import { ensureSigningKeys, loadSigningJwks } from '../oidc/signing-keys.ts';
import { createProvider } from '../oidc/provider.ts';
import { relyingPartyFor } from '../auth/methods/passkey/relying-party.ts';
import { appendAudit, type AuditEntry } from '../audit/audit-log.ts';
import { createRefusalSummary } from '../audit/refusal-summary.ts';
import { createRateLimiters } from '../limits/rate-limiters.ts';
import { startAuditCheckpoints } from '../audit/audit-checkpoints.ts';
import { checkpointKey } from '../audit/checkpoint-key.ts';
import { deleteExpiredOidcPayloads } from '../oidc/prisma-adapter.ts';
import { deleteExpiredChallenges } from '../auth/challenges.ts';
import { observeProviderEvents } from '../oidc/provider-events.ts';
import { installPortal, type Portal } from './portal.ts';
import { TrustStoreCache } from '../pki/trust/trust-store-cache.ts';
import { deleteOldLoginEvidence } from '../auth/login-evidence.ts';
import { refreshCrlsFromDistributionPoints } from '../pki/revocation/crl-refresh.ts';
import { createOutboundFetch } from '../net/outbound-fetch.ts';
import { ensurePortalClient } from '../portal-session/portal-client.ts';
import { createKeyStore } from '../signing/key-store-factory.ts';
import { availableLoginMethods } from '../auth/methods/registry.ts';
import { SigningStatusCache } from '../signing/signing-status-cache.ts';

/** Opens the database (migrating it), loads or creates the secrets and keys, builds the provider. */
export async function startPortal(env: Environment, log: (line: string) => void = console.log): Promise<Portal> {
  if (env.demoOutsideLoopback) {
    for (const line of [
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
      `WARNING: DEMO MODE ON A PUBLIC ADDRESS (${env.publicUrl}), BECAUSE DEMO=true IS SET.`,
      'DEMO PRACTITIONERS, A DEMO ADMINISTRATOR AND A DEMO CLIENT WITH A PUBLISHED SECRET EXIST;',
      'TEST CERTIFICATES ARE TRUSTED. NEVER USE THIS FOR REAL PRACTITIONERS OR PATIENTS.',
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    ]) log(line);
  } else if (env.demo) {
    log(`demo mode (${env.publicUrl} is a loopback address): demo data and test keys, for this machine only`);
  }
  const database = await openDatabase({ url: env.databaseUrl, migrate: true, log });
  installDatabase(database);
  log(`database: ${database.description}`);
  const { kek, source } = loadKeyEncryptionKey({ secret: env.keyEncryptionKey, file: env.keyEncryptionKeyFile });
  log(`key-encryption key: ${source}`);
  const created = await ensureSigningKeys(database.prisma, kek);
  if (created.length) log(`generated signing keys: ${created.join(', ')}`);
  const jwks = await loadSigningJwks(database.prisma, kek);
  // Every outbound request (CRL, OCSP, and oidc-provider's JWKS and back-channel calls): PRIVATE_FETCH_HOSTS, HTTP proxy.
  const outboundFetch = createOutboundFetch({ allowHosts: env.privateFetchHosts, proxy: env.outboundProxy });
  await ensurePortalClient(database.prisma, kek, env.publicUrl);
  const provider = createProvider(
    env.issuer,
    { prisma: () => database.prisma, sql: () => database.sql, kek, jwks, fetch: outboundFetch, dailyWindow: env.dailyWindow, signingResource: `${env.publicUrl}/csc/v2`, accountLinkResource: `${env.publicUrl}/api/services/self`, demo: env.demo, refreshRetrySeconds: env.refreshRetrySeconds },
    { trustProxy: env.trustedProxies.length > 0 });

  const housekeeping = setInterval(() => {
    void Promise.all([
      deleteExpiredOidcPayloads(database.prisma),
      deleteExpiredChallenges(database.prisma),
      deleteOldLoginEvidence(database.prisma),
      // Cross-device requests live 2 minutes; a day later they serve no one.
      database.prisma.crossDeviceRequest.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - 24 * 3600_000) } } }),
      // Abuse-limit windows that ended an hour ago.
      database.prisma.rateLimit.deleteMany({ where: { expire: { lt: BigInt(Date.now() - 3600_000) } } }),
    ]).catch(() => {});
  }, 10 * 60 * 1000);
  housekeeping.unref();

  const trust = new TrustStoreCache(() => database.prisma, undefined, env.certificates);
  const keyStores = await createKeyStore(env, { prisma: database.prisma, kek, log });
  // CRLs from their distribution points: now (in the background) and every hour.
  const refreshCrls = () =>
    refreshCrlsFromDistributionPoints(database.prisma, 'hpki', { fetch: outboundFetch, minRsaBits: env.certificates.minRsaBits })
      .then((results) => {
        for (const r of results) log(`CRL ${r.outcome} from ${r.url}: ${r.detail}`);
        if (results.some((r) => r.outcome === 'loaded')) trust.invalidate('hpki');
      })
      .catch((e) => log(`CRL refresh failed: ${(e as Error).message}`));
  const crlTimer = env.crlFetch ? setInterval(refreshCrls, 3600_000) : undefined;
  crlTimer?.unref();
  if (env.crlFetch) void refreshCrls();
  const auditKey = checkpointKey(kek);
  log(`audit checkpoints: ${env.auditCheckpoints.file} (signing key ${auditKey.fingerprint})`);
  const auditCheckpoints = startAuditCheckpoints({ prisma: database.prisma, key: auditKey, ...env.auditCheckpoints, log, audit: (entry) => appendAudit(database.prisma, entry) });
  const audit = (entry: AuditEntry) => appendAudit(database.prisma, entry).then(() => auditCheckpoints.appended());
  const refusals = createRefusalSummary(audit, { onError: (e) => log(`audit append failed: ${(e as Error).message}`) });
  const portal: Portal = {
    env,
    prisma: database.prisma,
    sql: database.sql,
    kek,
    provider,
    rp: relyingPartyFor(env.publicUrl),
    trust,
    outboundFetch,
    signingStatus: new SigningStatusCache(),
    keyStores,
    async methods() {
      // Card methods need their trust anchors; whether a My Number Card is linked is known only at login.
      return availableLoginMethods({
        hpkiTrust: Boolean(await trust.get('hpki').catch(() => null)),
        jpkiTrust: Boolean(await trust.get('jpki').catch(() => null)),
        hpkiCertOrigin: env.hpkiCertOrigin,
      });
    },
    audit,
    refusals,
    limits: createRateLimiters(env.rateLimits, database.pgPool),
    auditCheckpoints,
    log,
    async close() {
      // While the database is still open: pending refusal counts, then the entries since the last checkpoint.
      await refusals.close();
      await auditCheckpoints.close();
      clearInterval(housekeeping);
      if (crlTimer) clearInterval(crlTimer);
      await outboundFetch.close();
      await keyStores.close();
      installPortal(undefined);
      installDatabase(undefined);
      await database.close();
    },
  };
  observeProviderEvents(portal);
  installPortal(portal);
  return portal;
}
