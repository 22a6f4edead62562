import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { appendAudit, canonicalEntry, chainHash, GENESIS_HASH } from '../../src/audit/audit-log.ts';
import { consumeChallenge, issueChallenge } from '../../src/auth/challenges.ts';

let t: TestPortal;
beforeAll(async () => {
  t = await startTestPortal('audit');
});
afterAll(() => t?.close());

describe('audit log', () => {
  it('chains every entry to the previous one, also under concurrent appends', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        appendAudit(t.portal.prisma, { event: 'test.event', result: i % 2 ? 'success' : 'failure', details: { i, nested: { b: 1, a: 2 } } }),
      ),
    );
    const rows = await t.portal.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    expect(rows.length).toBeGreaterThanOrEqual(25);
    let prev = GENESIS_HASH;
    for (const row of rows) {
      expect(row.prevHash).toBe(prev);
      expect(row.hash).toBe(chainHash(prev, canonicalEntry({ ...row, details: row.details })));
      prev = row.hash;
    }
  });
});

describe('challenges', () => {
  it('are single use even when spent concurrently', async () => {
    const { value } = await issueChallenge(t.portal.prisma, 'passkey-login', 'interaction-1', 300);
    const results = await Promise.all(Array.from({ length: 10 }, () => consumeChallenge(t.portal.prisma, 'passkey-login', 'interaction-1', value)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.reason === 'replayed').length).toBe(9);
  });

  it('are bound to their login and purpose, and expire', async () => {
    const { value } = await issueChallenge(t.portal.prisma, 'passkey-login', 'interaction-2', 300);
    expect(await consumeChallenge(t.portal.prisma, 'passkey-login', 'interaction-3', value)).toEqual({ ok: false, reason: 'wrong_binding' });
    expect(await consumeChallenge(t.portal.prisma, 'hpki-card', 'interaction-2', value)).toEqual({ ok: false, reason: 'wrong_binding' });
    const expired = await issueChallenge(t.portal.prisma, 'passkey-login', 'interaction-4', -1);
    expect(await consumeChallenge(t.portal.prisma, 'passkey-login', 'interaction-4', expired.value)).toEqual({ ok: false, reason: 'expired' });
    expect(await consumeChallenge(t.portal.prisma, 'passkey-login', 'interaction-2', 'never-issued')).toEqual({ ok: false, reason: 'unknown' });
  });
});
