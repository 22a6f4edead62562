import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import { findRegistrationCode, issueRegistrationCode } from '../../src/practitioners/registration-codes.ts';

/**
 * Issue 12 §4: after the fifth wrong registration password locks a code, no answer may confirm a
 * guess. Batches of 50 parallel guesses over HTTP, the right one sent after five wrong ones, on
 * the database this run uses (PGlite, or PostgreSQL with DATABASE_URL).
 */
const RIGHT = '19800401';
const WRONG = '20000101';
const BATCHES = 20;
const PARALLEL = 50;

let t: TestPortal;
let practitionerId: string;
// Enough sockets that all 50 guesses of a batch are in flight at once.
const agent = new Agent({ connections: PARALLEL + 5, pipelining: 0 });

beforeAll(async () => {
  // The per-address limit on password attempts would refuse this many from one test process.
  t = await startTestPortal('registration-race', { env: { RATE_LIMITS: 'registration-ip=100000/60' } });
  practitionerId = (await createPractitioner(t.portal.prisma, { registrationNumber: 'RACE-1', familyName: 'Race', givenName: 'Test', birthDate: '1980-04-01' })).id;
});
afterAll(async () => {
  await agent.close();
  await t?.close();
});

async function guess(code: string, password: string) {
  const res = await request(`${t.url}/api/register/${code}/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
    dispatcher: agent,
  });
  const body = (await res.body.json()) as { error?: string; options?: unknown; message?: string };
  return { status: res.statusCode, body };
}

/** The audit entries of one code's password attempts, once `expected` of them are written. */
async function passwordAudits(afterSeq: bigint, expected: number) {
  for (let i = 0; i < 200; i++) {
    const rows = await t.portal.prisma.auditEvent.findMany({ where: { event: 'registration.password', practitionerId, seq: { gt: afterSeq } }, orderBy: { seq: 'asc' } });
    if (rows.length >= expected) return rows;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('audit entries did not arrive');
}

describe('the registration-password lock wins every race', () => {
  it(`${BATCHES} batches of ${PARALLEL} parallel guesses, the right one after five wrong ones: no confirmation after the lock`, async () => {
    let confirmations = 0;
    let confirmationsAfterLock = 0;
    let confirmationsSeenAfterLockAnswer = 0;
    for (let batch = 0; batch < BATCHES; batch++) {
      const { code } = await issueRegistrationCode(t.portal.prisma, practitionerId);
      const before = (await t.portal.prisma.auditEvent.aggregate({ _max: { seq: true } }))._max.seq ?? 0n;
      const passwords = Array.from({ length: PARALLEL }, (_, i) => (i === 5 ? RIGHT : WRONG));
      let lockAnswered = false;
      const answers = await Promise.all(
        passwords.map((p) =>
          guess(code, p).then((a) => {
            if (a.body.error === 'registration_code_locked') lockAnswered = true;
            return { ...a, afterLockAnswer: lockAnswered, password: p };
          }),
        ),
      );
      const row = await findRegistrationCode(t.portal.prisma, code);
      expect(row!.lockedAt).not.toBeNull();
      expect(row!.failedAttempts).toBe(5);
      // Every guess got an answer that is either the options (200), wrong (401), locking (423) or locked (410).
      for (const a of answers) expect([200, 401, 410, 423]).toContain(a.status);
      // A wrong password never gets options; only the right one can.
      expect(answers.filter((a) => a.status === 200 && a.password !== RIGHT)).toHaveLength(0);
      const ok = answers.filter((a) => a.status === 200);
      confirmations += ok.length;
      confirmationsSeenAfterLockAnswer += ok.filter((a) => a.afterLockAnswer).length;
      // The decision order: the locking attempt's number against the confirmation's.
      const mine = await passwordAudits(before, answers.length);
      const lock = mine.find((e) => e.errorCode === 'registration_code_locked' && (e.details as { attempt?: number }).attempt !== undefined);
      expect(lock).toBeDefined();
      const lockAttempt = (lock!.details as { attempt: number }).attempt;
      for (const success of mine.filter((e) => e.result === 'success')) {
        if ((success.details as { attempt: number }).attempt > lockAttempt) confirmationsAfterLock++;
      }
      // Exactly five wrong guesses were counted, and the fifth locked.
      expect(mine.filter((e) => e.errorCode === 'registration_password_wrong')).toHaveLength(4);
    }
    console.log(`registration race on ${t.database.kind}: ${BATCHES} batches × ${PARALLEL}; confirmations ${confirmations} (decided before the lock), after the lock ${confirmationsAfterLock}, answered after a lock answer ${confirmationsSeenAfterLockAnswer}`);
    expect(confirmationsAfterLock).toBe(0);
    expect(confirmationsSeenAfterLockAnswer).toBe(0);
  }, 180_000);

  it(`${BATCHES} times: five wrong guesses lock the code, then 50 parallel guesses with the right one get no confirmation`, async () => {
    let confirmations = 0;
    for (let batch = 0; batch < BATCHES; batch++) {
      const { code } = await issueRegistrationCode(t.portal.prisma, practitionerId);
      for (let i = 0; i < 5; i++) await guess(code, WRONG);
      const answers = await Promise.all(Array.from({ length: PARALLEL }, (_, i) => guess(code, i % 7 === 3 ? RIGHT : WRONG)));
      confirmations += answers.filter((a) => a.status === 200).length;
      for (const a of answers) {
        expect(a.status).toBe(410);
        expect(a.body.error).toBe('registration_code_locked');
        expect(a.body.options).toBeUndefined();
      }
    }
    expect(confirmations).toBe(0);
  }, 180_000);

  it('the right password right after a reissue is confirmed; a superseded code refuses even the right one', async () => {
    const first = await issueRegistrationCode(t.portal.prisma, practitionerId);
    const second = await issueRegistrationCode(t.portal.prisma, practitionerId);
    expect((await guess(first.code, RIGHT)).body.error).toBe('registration_code_superseded');
    const answer = await guess(second.code, RIGHT);
    expect(answer.status).toBe(200);
    expect(answer.body.options).toBeDefined();
  });
});
