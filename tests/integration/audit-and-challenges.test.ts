import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { appendAudit, canonicalEntry, chainHash, GENESIS_HASH } from '../../src/audit/audit-log.ts';
import { consumeChallenge, issueChallenge } from '../../src/auth/challenges.ts';
import { verifyAuditChain } from '../../src/audit/verify-audit-chain.ts';

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
    // Appends made together are written together (group commit), in the order they were made.
    const order = rows.filter((r) => r.event === 'test.event').map((r) => (r.details as { i: number }).i);
    expect(order).toEqual(Array.from({ length: 25 }, (_, i) => i));
    let prev = GENESIS_HASH;
    for (const row of rows) {
      expect(row.prevHash).toBe(prev);
      expect(row.hash).toBe(chainHash(prev, canonicalEntry({ ...row, details: row.details })));
      prev = row.hash;
    }
  });
});

describe('audit log group commit', () => {
  it('an entry the database refuses fails alone; the entries written with it are kept, chained', async () => {
    const results = await Promise.allSettled([
      appendAudit(t.portal.prisma, { event: 'test.batch', result: 'info', details: { n: 1 } }),
      appendAudit(t.portal.prisma, { event: 'test.batch', result: 'info', practitionerId: 'not-a-uuid', details: { n: 2 } }),
      appendAudit(t.portal.prisma, { event: 'test.batch', result: 'info', details: { n: 3, text: '日本語 \u2028 "quoted"' } }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows = await t.portal.prisma.auditEvent.findMany({ where: { event: 'test.batch' }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => (r.details as { n: number }).n)).toEqual([1, 3]);
    expect((await verifyAuditChain(t.portal.prisma, { batchSize: 50 })).ok).toBe(true);
  });
});

describe('audit log is append-only and verifiable', () => {
  it('the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    await appendAudit(t.portal.prisma, { event: 'test.append_only', result: 'info' });
    await expect(t.portal.prisma.auditEvent.updateMany({ data: { result: 'success' } })).rejects.toThrow(/append-only/);
    await expect(t.portal.prisma.auditEvent.deleteMany({})).rejects.toThrow(/append-only/);
    await expect(t.portal.prisma.$executeRawUnsafe('TRUNCATE audit_event')).rejects.toThrow(/append-only/);
  });

  it('the verifier accepts the intact chain and names the first tampered entry', async () => {
    const intact = await verifyAuditChain(t.portal.prisma, { batchSize: 7 });
    expect(intact).toMatchObject({ ok: true });
    const rows = await t.portal.prisma.auditEvent.findMany({ orderBy: { seq: 'asc' } });
    const victim = rows[Math.floor(rows.length / 2)]!;
    // Tampering needs the owner to switch the guard off first — exactly what the chain is for.
    await t.portal.prisma.$executeRawUnsafe('ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only');
    await t.portal.prisma.$executeRawUnsafe(`UPDATE audit_event SET event = 'tampered' WHERE seq = ${victim.seq}`);
    await t.portal.prisma.$executeRawUnsafe('ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only');
    const broken = await verifyAuditChain(t.portal.prisma, { batchSize: 7 });
    expect(broken).toMatchObject({ ok: false, findings: [{ kind: 'hash_mismatch', firstAffected: victim.seq.toString() }] });
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

  it('keep their data and times as stored (fixed SQL: the same values the Prisma client reads)', async () => {
    const data = { practitionerId: 'p-1', nested: { n: 2, list: [1, 'two'] }, text: '日本語 "quoted"' };
    const issued = await issueChallenge(t.portal.prisma, 'jpki-link', 'session-1', 300, undefined, data);
    const row = await t.portal.prisma.challenge.findFirstOrThrow({ where: { value: issued.value } });
    expect(row).toMatchObject({ purpose: 'jpki-link', boundTo: 'session-1', data, consumedAt: null });
    expect(row.expiresAt.getTime()).toBe(issued.expiresAt.getTime());
    expect(Math.abs(row.createdAt.getTime() + 300_000 - issued.expiresAt.getTime())).toBeLessThan(5);
    expect(row.id).not.toBe(issued.value);
    expect(await consumeChallenge(t.portal.prisma, 'jpki-link', 'session-1', issued.value)).toEqual({ ok: true, data });
    const spent = await t.portal.prisma.challenge.findUniqueOrThrow({ where: { id: row.id } });
    expect(spent.consumedAt!.getTime()).toBeGreaterThanOrEqual(row.createdAt.getTime());
    expect(spent.consumedAt!.getTime()).toBeLessThan(issued.expiresAt.getTime());
    const bare = await issueChallenge(t.portal.prisma, 'hpki-card', 'interaction-5', 300);
    expect(await consumeChallenge(t.portal.prisma, 'hpki-card', 'interaction-5', bare.value)).toEqual({ ok: true, data: null });
  });

  it('issued inside a transaction exist only if it commits', async () => {
    const kept = await t.portal.prisma.$transaction((tx) => issueChallenge(tx, 'passkey-registration', 'code-1', 300));
    await expect(
      t.portal.prisma.$transaction(async (tx) => {
        const lost = await issueChallenge(tx, 'passkey-registration', 'code-2', 300);
        throw Object.assign(new Error('rolled back'), { lost });
      }),
    ).rejects.toThrow('rolled back');
    expect(await consumeChallenge(t.portal.prisma, 'passkey-registration', 'code-1', kept.value)).toEqual({ ok: true, data: null });
    expect(await t.portal.prisma.challenge.count({ where: { boundTo: 'code-2' } })).toBe(0);
  });
});
