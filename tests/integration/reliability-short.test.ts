import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { PortalProcess } from '../support/portal-process.ts';
import { createTestDatabase } from '../support/test-database.ts';
import {
  createReliabilityMaterial,
  enrolSigningCredential,
  seedDatabase,
  seedReliabilityData,
  type ReliabilityFixture,
  type ReliabilityMaterial,
} from '../reliability/portal-target.ts';
import type { Server } from '../reliability/flows.ts';
import { prepareFuzzContext } from '../reliability/fuzz-context.ts';
import { runLoad } from '../reliability/load.ts';
import { runReplay } from '../reliability/replay.ts';
import { runFuzz } from '../reliability/fuzz.ts';
import { faultProblems, runFault } from '../reliability/fault.ts';
import { runFlood } from '../reliability/flood.ts';
import { LIMITS_OUT_OF_REACH } from '../../src/config/rate-limits.ts';

/**
 * The short form of `npm run reliability` (issues 8 and 12): a few seconds of concurrent logins, 100
 * replays of each kind, 300 fuzz cases, one kill -9 of a real portal process, and a small flood.
 */
let material: ReliabilityMaterial;
let t: TestPortal;
let fixture: ReliabilityFixture;
let server: Server;
// Fixed so a failure reproduces; FUZZ_SEED overrides it.
const seed = Number(process.env.FUZZ_SEED ?? 20261121);

beforeAll(async () => {
  material = await createReliabilityMaterial(4, 40);
  t = await startTestPortal('reliability', { env: { HPKI_AUTO_ENROL: 'true', TRUSTED_PROXIES: '127.0.0.1', OCSP: 'false', RATE_LIMITS: LIMITS_OUT_OF_REACH } });
  fixture = await seedReliabilityData(t.portal.prisma, material, 30);
  server = { url: t.url, origin: t.portal.rp.origin };
}, 60_000);
afterAll(() => t?.close());

describe('reliability, short form', () => {
  it('load: concurrent full card logins for 3 s, no errors', async () => {
    const r = await runLoad(server, fixture.rp, fixture.cards, { durationMs: 3000, concurrency: 10 });
    expect(r.errorKinds).toEqual({});
    expect(r.errors).toBe(0);
    expect(r.logins).toBeGreaterThan(0);
  }, 30_000);

  it('replay: 100 replayed card challenges and 100 replayed codes, none accepted', async () => {
    const r = await runReplay(server, fixture.rp, fixture.cards, { sources: 10, perSource: 10 });
    expect(r.challengeReplays).toBe(100);
    expect(r.challengeAccepted).toBe(0);
    expect(Object.keys(r.challengeOutcomes).every((o) => /^4\d\d /.test(o))).toBe(true);
    expect(r.codeReplays).toBe(100);
    expect(r.codeAccepted).toBe(0);
    expect(r.codeOutcomes).toEqual({ '400 invalid_grant': 100 });
    // A replayed code also revokes what its first exchange issued.
    expect(r.tokensStillValidAfterReplay).toBe(0);
  }, 30_000);

  it(`fuzz: 300 mutated certificates and tokens through every verification endpoint, no 5xx (seed ${seed})`, async () => {
    const context = await prepareFuzzContext(server, fixture, (signer) => enrolSigningCredential(t.portal.prisma, t.portal.keyStores.primary, signer, fixture.hpki));
    const r = await runFuzz(context, { seed, cases: 300, concurrency: 12 });
    expect(r.serverErrors).toEqual([]);
    expect(r.noResponse).toEqual([]);
    expect(r.cases).toBeGreaterThanOrEqual(270);
    expect(Object.keys(r.byTarget)).toHaveLength(7);
    expect(r.stillAnswersDiscovery).toBe(true);
  }, 45_000);

  it('fault: kill -9 of the portal process during logins, consents and registrations loses nothing acknowledged', async () => {
    const database = await createTestDatabase('fault');
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const faultFixture = await seedDatabase(database.url, material, 40);
    const portal = new PortalProcess(port, database.url, { HPKI_AUTO_ENROL: 'true', CRL_FETCH: 'false', OCSP: 'false', RATE_LIMITS: LIMITS_OUT_OF_REACH }, 'tests/reliability/api-only-server.ts');
    try {
      await portal.start();
      const r = await runFault(portal, faultFixture, { runMs: 1500, loginWorkers: 4, registrationWorkers: 2 });
      expect(faultProblems(r)).toEqual([]);
      expect(r.acknowledged.registrations).toBeGreaterThan(0);
      expect(r.acknowledged.consents).toBeGreaterThan(0);
      expect(r.afterRestart.auditEntriesPresent).toBe(r.acknowledged.auditEntries);
    } finally {
      await portal.stop();
      portal.dispose();
      await database.drop();
    }
  }, 50_000);

  it('flood: 2,000 challenges and 200 spoofed-header requests from one address while 3 browsers log in from others', async () => {
    // The real limits here (only a shorter refusal delay, to keep the test short).
    const flooded = await startTestPortal('flood', { env: { HPKI_AUTO_ENROL: 'true', OCSP: 'false', RATE_LIMIT_REFUSAL_DELAY_MS: '20' } });
    try {
      const floodFixture = await seedReliabilityData(flooded.portal.prisma, material, 0);
      const target: Server = { url: flooded.url, origin: flooded.portal.rp.origin };
      const before = (await flooded.portal.prisma.auditEvent.aggregate({ _max: { seq: true } }))._max.seq ?? 0n;
      const r = await runFlood(target, floodFixture.rp, floodFixture.cards, { challengeRequests: 2000, spoofedRequests: 200, honestClients: 3, quietMs: 1500, attackerConnections: 16 });
      expect(r.quiet.errorKinds).toEqual({});
      expect(r.flood.errorKinds).toEqual({});
      expect(r.control.errorKinds).toEqual({});
      expect(r.flood.logins).toBeGreaterThan(0);
      // One login's cap of challenges was all the address got; everything else was refused.
      expect(r.attacker.byStatus['200']).toBe(20);
      expect((r.attacker.byStatus['429'] ?? 0) + (r.attacker.byStatus['400'] ?? 0)).toBe(2180);
      await flooded.portal.refusals.flush();
      const fromFlood = await flooded.portal.prisma.auditEvent.count({ where: { seq: { gt: before }, ip: '127.0.0.1' } });
      expect(fromFlood).toBeLessThanOrEqual(20);
    } finally {
      await flooded.close();
    }
  }, 60_000);
});
