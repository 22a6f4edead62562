import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createHpkiTestPki, type HpkiTestPki } from '../../src/pki/test-pki/index.ts';
import { importTestPki } from '../support/seed-trust.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { jsonPost } from '../support/browser-flow.ts';
import { consoleUser, type ConsoleUser } from '../support/admin-session.ts';
import { upsertClient } from '../../src/clients/clients.ts';
import { createTestDatabase } from '../support/test-database.ts';

/**
 * Issue 12 §5: limits per client address, per login and per account on everything an
 * unauthenticated client can repeat; 429 with Retry-After and a message saying when to try again;
 * refusals in the audit log as the first of a kind a minute plus one counted summary. Addresses are
 * told apart through a trusted proxy's X-Forwarded-For (the flood run uses real loopback addresses).
 */
const LIMITS = [
  'authorize-ip=200/60',
  'challenge-ip=12/60',
  'challenge-interaction=4/900',
  'finish-interaction=3/900',
  'registration-ip=5/60',
  'token-failure-ip=5/60',
  'cross-device-status-interaction=6/60',
  'admin-account=8/60',
].join(',');

let t: TestPortal;
let pki: HpkiTestPki;
let rp: { id: string; secret: string; redirectUri: string };
let admin: ConsoleUser;
let nextAddress = 1;
/** A client address of its own for each test, so the per-address counters start at zero. */
const freshAddress = () => `198.51.100.${nextAddress++}`;

beforeAll(async () => {
  // Refusals answered at once here (the delay is for floods; the flood run keeps the default).
  t = await startTestPortal('abuse-limits', { env: { HPKI_AUTO_ENROL: 'true', TRUSTED_PROXIES: '127.0.0.1', RATE_LIMITS: LIMITS, RATE_LIMIT_REFUSAL_DELAY_MS: '0' } });
  pki = await createHpkiTestPki();
  await importTestPki(t.portal.prisma, pki);
  const made = await upsertClient(t.portal.prisma, { clientId: 'limits-rp', name: 'RP', redirectUris: ['http://localhost:9/cb'] });
  rp = { id: 'limits-rp', secret: made.clientSecret, redirectUri: 'http://localhost:9/cb' };
  admin = await consoleUser(t, { admin: true, registrationNumber: 'LIMITS-ADMIN' });
}, 60_000);
afterAll(() => t?.close());

const from = (ip: string, headers: Record<string, string> = {}) => ({ ...headers, 'x-forwarded-for': ip });

async function expectRefused(res: Response, limit?: string) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(900);
  const body = (await res.json()) as { error: string; message: string };
  expect(body.error).toBe('rate_limited');
  // The sentence says when: the same number of seconds as Retry-After.
  expect(body.message).toContain(`${retryAfter}秒後`);
  if (limit) {
    const audited = await t.portal.prisma.auditEvent.findFirst({ where: { event: 'security.rate_limited', details: { path: ['limit'], equals: limit } } });
    expect(audited?.errorCode).toBe('rate_limited');
  }
}

describe('per login (interaction): caps after the interaction cookie', () => {
  it('challenges: the fifth in one login is refused; another login of the same browser is not', async () => {
    const ip = freshAddress();
    const login = await beginLoginInteraction(t.url, rp);
    const challenge = () => login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, { ...jsonPost({}), headers: from(ip, { 'content-type': 'application/json' }) });
    for (let i = 0; i < 4; i++) expect((await challenge()).status).toBe(200);
    await expectRefused(await challenge(), 'challenge-interaction');
    // Refused requests stored nothing: exactly 4 challenges exist for this login.
    expect(await t.portal.prisma.challenge.count({ where: { boundTo: login.uid } })).toBe(4);
    const other = await beginLoginInteraction(t.url, rp);
    expect((await other.jar.fetch(`${t.url}/interaction/${other.uid}/hpki-card/challenge`, { ...jsonPost({}), headers: from(ip, { 'content-type': 'application/json' }) })).status).toBe(200);
  });

  it('a stranger without the interaction cookie cannot use up a login’s cap', async () => {
    const login = await beginLoginInteraction(t.url, rp);
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, { ...jsonPost({}), headers: from(freshAddress(), { 'content-type': 'application/json' }) });
      expect(res.status).toBe(400);
    }
    expect((await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, jsonPost({}))).status).toBe(200);
  });

  it('finishes: three wrong card tokens, then 429 — even for a right one', async () => {
    const ip = freshAddress();
    const login = await beginLoginInteraction(t.url, rp);
    const verify = (body: unknown) => login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, { ...jsonPost(body), headers: from(ip, { 'content-type': 'application/json' }) });
    for (let i = 0; i < 3; i++) expect((await verify({ nonce: 'x', token: 'not-a-token' })).status).toBe(400);
    await expectRefused(await verify({ nonce: 'x', token: 'not-a-token' }), 'finish-interaction');
  });

  it('cross-device status polling: over the per-login rate, 429', async () => {
    const login = await beginLoginInteraction(t.url, rp);
    const ip = freshAddress();
    const poll = () => login.jar.fetch(`${t.url}/interaction/${login.uid}/cross-device/status?request=none`, { headers: from(ip) });
    for (let i = 0; i < 6; i++) expect((await poll()).status).not.toBe(429);
    await expectRefused(await poll(), 'cross-device-status-interaction');
  });
});

describe('per client address', () => {
  it('challenges across many logins: the 13th from one address is refused, another address goes on', async () => {
    const ip = freshAddress();
    let refused: Response | undefined;
    for (let i = 0; i < 13 && !refused; i++) {
      const login = await beginLoginInteraction(t.url, rp);
      const res = await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, { ...jsonPost({}), headers: from(ip, { 'content-type': 'application/json' }) });
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(200);
    }
    expect(refused).toBeDefined();
    await expectRefused(refused!, 'challenge-ip');
    const login = await beginLoginInteraction(t.url, rp);
    expect((await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, { ...jsonPost({}), headers: from(freshAddress(), { 'content-type': 'application/json' }) })).status).toBe(200);
  });

  it('registration passwords across codes: the sixth from one address is refused before any code is looked at', async () => {
    const ip = freshAddress();
    const guess = () =>
      fetch(`${t.url}/api/register/${crypto.randomBytes(18).toString('base64url')}/password`, { ...jsonPost({ password: '19800401' }), headers: from(ip, { 'content-type': 'application/json' }) });
    for (let i = 0; i < 5; i++) expect((await guess()).status).toBe(404);
    await expectRefused(await guess(), 'registration-ip');
    expect((await fetch(`${t.url}/api/register/${crypto.randomBytes(18).toString('base64url')}/password`, { ...jsonPost({ password: '19800401' }), headers: from(freshAddress(), { 'content-type': 'application/json' }) })).status).toBe(404);
  });

  it('token endpoint: after five failures the address is refused, even with a valid client; successes do not count', async () => {
    const ip = freshAddress();
    const token = (secret: string) =>
      fetch(`${t.url}/oidc/token`, {
        method: 'POST',
        headers: from(ip, { authorization: `Basic ${Buffer.from(`${rp.id}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }),
        body: new URLSearchParams({ grant_type: 'authorization_code', code: 'nope', redirect_uri: rp.redirectUri, code_verifier: 'x'.repeat(43) }).toString(),
      });
    for (let i = 0; i < 5; i++) expect([400, 401]).toContain((await token('wrong-secret')).status);
    const refused = await token(rp.secret);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { error: string }).error).toBe('rate_limited');
  });

  it('authorization requests: a browser gets a page (Japanese, with when to try again), an API client JSON', async () => {
    const ip = freshAddress();
    let page: Response | undefined;
    for (let i = 0; i < 201; i++) {
      const res = await fetch(`${t.url}/oidc/auth?client_id=${rp.id}`, { redirect: 'manual', headers: from(ip, { accept: 'text/html' }) });
      if (res.status === 429) page = res;
    }
    expect(page).toBeDefined();
    expect(page!.headers.get('content-type')).toContain('text/html');
    const html = await page!.text();
    expect(html).toContain('rate_limited');
    expect(html).toMatch(/\d+秒後にもう一度お試しください/);
  });

  it('the admin console: per administrator', async () => {
    let refused: Response | undefined;
    for (let i = 0; i < 9; i++) {
      const res = await admin.call('audit/verify', {});
      if (res.status === 429) refused = res;
    }
    expect(refused).toBeDefined();
    await expectRefused(refused!, 'admin-account');
  });
});

describe('the audit log summarises repeated refusals', () => {
  it('twenty refusals of one kind from one address: one entry now, one with the count when flushed', async () => {
    const ip = freshAddress();
    const before = await t.portal.prisma.auditEvent.count({ where: { ip } });
    const guess = () => fetch(`${t.url}/api/register/${crypto.randomBytes(18).toString('base64url')}/password`, { ...jsonPost({ password: '1' }), headers: from(ip, { 'content-type': 'application/json' }) });
    for (let i = 0; i < 25; i++) await guess();
    const refusals = () => t.portal.prisma.auditEvent.findMany({ where: { ip, event: 'security.rate_limited' }, orderBy: { seq: 'asc' } });
    expect(await refusals()).toHaveLength(1);
    await t.portal.refusals.flush();
    const rows = await refusals();
    expect(rows).toHaveLength(2);
    expect((rows[1]!.details as { repeated: number }).repeated).toBe(19);
    // 5 password attempts (audited each: they count towards a code's lock) + 2 rows for 20 refusals.
    expect((await t.portal.prisma.auditEvent.count({ where: { ip } })) - before).toBe(7);
  });

  it('client-certificate headers from an untrusted address: two rows for a hundred requests', async () => {
    const spoof = await startTestPortal('abuse-headers', { env: { TRUSTED_PROXIES: '203.0.113.250' } });
    try {
      for (let i = 0; i < 100; i++) {
        await fetch(`${spoof.url}/oidc/.well-known/openid-configuration`, { headers: { 'client-cert': ':AAAA:', 'x-ssl-client-cert': 'x' } });
      }
      const rows = () => spoof.portal.prisma.auditEvent.findMany({ where: { event: 'security.client_certificate_header_refused' }, orderBy: { seq: 'asc' } });
      expect(await rows()).toHaveLength(1);
      await spoof.portal.refusals.flush();
      const all = await rows();
      expect(all).toHaveLength(2);
      expect((all[1]!.details as { repeated: number }).repeated).toBe(99);
    } finally {
      await spoof.close();
    }
  });

  it('failed logins of one kind from one address: the first in full, then a count', async () => {
    const ip = freshAddress();
    for (let i = 0; i < 6; i++) {
      const login = await beginLoginInteraction(t.url, rp);
      await login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/verify`, { ...jsonPost({ nonce: 'x', token: 'garbage' }), headers: from(ip, { 'content-type': 'application/json' }) });
    }
    const rows = () => t.portal.prisma.auditEvent.findMany({ where: { ip, event: 'login', result: 'failure' }, orderBy: { seq: 'asc' } });
    expect(await rows()).toHaveLength(1);
    await t.portal.refusals.flush();
    const all = await rows();
    expect(all).toHaveLength(2);
    expect((all[1]!.details as { repeated: number }).repeated).toBe(5);
    expect(all[1]!.errorCode).toBe(all[0]!.errorCode);
  });
});

describe.skipIf(!process.env.DATABASE_URL?.startsWith('postgres'))('counters shared by every instance (PostgreSQL)', () => {
  it('two portals on one database refuse together', async () => {
    const database = await createTestDatabase('abuse-shared');
    const env = { TRUSTED_PROXIES: '127.0.0.1', RATE_LIMITS: 'registration-ip=6/60' };
    const kek = crypto.randomBytes(32).toString('base64');
    const a = await startTestPortal('abuse-a', { databaseUrl: database.url, keyEncryptionKey: kek, env });
    const b = await startTestPortal('abuse-b', { databaseUrl: database.url, keyEncryptionKey: kek, env });
    try {
      const ip = freshAddress();
      const guess = (p: TestPortal) =>
        fetch(`${p.url}/api/register/${crypto.randomBytes(18).toString('base64url')}/password`, { ...jsonPost({ password: '19800401' }), headers: from(ip, { 'content-type': 'application/json' }) });
      for (let i = 0; i < 3; i++) expect((await guess(a)).status).toBe(404);
      for (let i = 0; i < 3; i++) expect((await guess(b)).status).toBe(404);
      // Six in all: the seventh is refused on either instance.
      expect((await guess(a)).status).toBe(429);
      expect((await guess(b)).status).toBe(429);
      const stored = await a.portal.prisma.rateLimit.findMany({ where: { key: `registration-ip:${ip}` } });
      expect(stored[0]?.points).toBeGreaterThanOrEqual(7);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});

describe('refused requests are cheap', () => {
  it('a login flooded with challenges keeps at most its cap of rows', async () => {
    const login = await beginLoginInteraction(t.url, rp);
    const ip = freshAddress();
    const results = await Promise.all(
      Array.from({ length: 60 }, () => login.jar.fetch(`${t.url}/interaction/${login.uid}/hpki-card/challenge`, { ...jsonPost({}), headers: from(ip, { 'content-type': 'application/json' }) })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(56);
    expect(await t.portal.prisma.challenge.count({ where: { boundTo: login.uid } })).toBeLessThanOrEqual(4);
  });
});


