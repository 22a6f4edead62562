import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPortal, type TestPortal } from '../support/test-portal.ts';
import { createPractitioner } from '../../src/practitioners/practitioner.ts';
import {
  addMonths,
  checkRegistrationPassword,
  findRegistrationCode,
  issueRegistrationCode,
  registrationCodeProblem,
} from '../../src/practitioners/registration-codes.ts';

let t: TestPortal;
let practitionerId: string;
beforeAll(async () => {
  t = await startTestPortal('registration-codes');
  practitionerId = (
    await createPractitioner(t.portal.prisma, { registrationNumber: 'RC-1', familyName: 'A', givenName: 'B', birthDate: '1980-04-01' })
  ).id;
});
afterAll(() => t?.close());

describe('registration codes', () => {
  it('are valid for 3 months and stored only as a hash', async () => {
    const now = new Date('2026-11-21T00:00:00Z');
    const { code, expiresAt } = await issueRegistrationCode(t.portal.prisma, practitionerId, now);
    expect(expiresAt.toISOString()).toBe('2027-02-21T00:00:00.000Z');
    const rows = await t.portal.prisma.registrationCode.findMany({ where: { practitionerId } });
    expect(rows.some((r) => r.codeHash.includes(code))).toBe(false);
    const row = await findRegistrationCode(t.portal.prisma, code);
    expect(registrationCodeProblem(row, addMonths(now, 3))).toBe('registration_code_expired');
    expect(registrationCodeProblem(row, new Date('2027-02-20T23:59:59Z'))).toBeNull();
  });

  it('a reissue invalidates every earlier code', async () => {
    const first = await issueRegistrationCode(t.portal.prisma, practitionerId);
    const second = await issueRegistrationCode(t.portal.prisma, practitionerId);
    expect(registrationCodeProblem(await findRegistrationCode(t.portal.prisma, first.code))).toBe('registration_code_superseded');
    expect(registrationCodeProblem(await findRegistrationCode(t.portal.prisma, second.code))).toBeNull();
  });

  it('the birth date as YYYYMMDD is the password', async () => {
    const { code } = await issueRegistrationCode(t.portal.prisma, practitionerId);
    expect((await checkRegistrationPassword(t.portal.prisma, code, '19800401')).ok).toBe(true);
    await expect(checkRegistrationPassword(t.portal.prisma, code, '1980-04-01')).rejects.toMatchObject({ code: 'registration_password_format' });
  });

  it('twenty parallel wrong guesses lock the code at exactly five', async () => {
    const { code } = await issueRegistrationCode(t.portal.prisma, practitionerId);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => checkRegistrationPassword(t.portal.prisma, code, '20000101')),
    );
    const row = await findRegistrationCode(t.portal.prisma, code);
    expect(row!.failedAttempts).toBe(5);
    expect(row!.lockedAt).not.toBeNull();
    expect(results.filter((r) => r.status === 'fulfilled' && !r.value.ok && r.value.locked)).toHaveLength(1);
    // Even the right password cannot unlock it.
    await expect(checkRegistrationPassword(t.portal.prisma, code, '19800401')).rejects.toMatchObject({ code: 'registration_code_locked' });
  });
});
