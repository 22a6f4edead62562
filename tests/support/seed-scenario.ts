import { openDatabase } from '../../src/db/open-database.ts';
import { createPractitioner, JPKI_HCROLE_SCHEME } from '../../src/practitioners/practitioner.ts';
import { addMonths, issueRegistrationCode } from '../../src/practitioners/registration-codes.ts';
import { upsertClient } from '../../src/clients/clients.ts';

/**
 * The data one end-to-end scenario starts from, written before the portal starts (an embedded
 * database has one owner at a time): practitioners, registration codes, and a client for the test RP.
 */
export interface Scenario {
  clientId: string;
  clientSecret: string;
  doctor: { id: string; birthPassword: string; codes: { fresh: string; forLockout: string; expired: string } };
  pharmacist: { id: string; birthPassword: string; codes: { fresh: string } };
}

export async function seedScenario(databaseUrl: string, rpOrigin: string): Promise<Scenario> {
  const database = await openDatabase({ url: databaseUrl, migrate: true });
  try {
    const prisma = database.prisma;
    const doctor = await createPractitioner(prisma, {
      registrationNumber: 'E2E-MD-1',
      familyName: 'Kagurazaka',
      givenName: 'Sanjushi',
      familyNameKanji: '神楽坂',
      givenNameKanji: '三十四',
      birthDate: '1980-04-01',
      hcRoles: [{ role: 'Medical Doctor', codingScheme: JPKI_HCROLE_SCHEME }],
    });
    const pharmacist = await createPractitioner(prisma, {
      registrationNumber: 'E2E-PH-2',
      familyName: 'Yakushiji',
      givenName: 'Hanako',
      birthDate: '1985-10-15',
      hcRoles: [{ role: 'Pharmacist', codingScheme: JPKI_HCROLE_SCHEME }],
    });
    // Each issue supersedes the practitioner's earlier unused code, so the lockout and expiry cases
    // get practitioners of their own.
    const lockTarget = await createPractitioner(prisma, {
      registrationNumber: 'E2E-LOCK-3',
      familyName: 'Lock',
      givenName: 'Target',
      birthDate: '1970-01-31',
      hcRoles: [],
    });
    const forLockout = await issueRegistrationCode(prisma, lockTarget.id);
    const expiredHolder = await createPractitioner(prisma, {
      registrationNumber: 'E2E-EXP-4',
      familyName: 'Expired',
      givenName: 'Code',
      birthDate: '1975-05-05',
      hcRoles: [],
    });
    const expiredCode = await issueRegistrationCode(prisma, expiredHolder.id, addMonths(new Date(), -4));
    const fresh = await issueRegistrationCode(prisma, doctor.id);
    const pharmacistCode = await issueRegistrationCode(prisma, pharmacist.id);
    const client = await upsertClient(prisma, {
      clientId: 'e2e-rp',
      name: 'E2E 地域連携ネットワーク',
      redirectUris: [`${rpOrigin}/callback`],
      postLogoutRedirectUris: [`${rpOrigin}/`],
      backchannelLogoutUri: `${rpOrigin}/backchannel-logout`,
    });
    return {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      doctor: { id: doctor.id, birthPassword: '19800401', codes: { fresh: fresh.code, forLockout: forLockout.code, expired: expiredCode.code } },
      pharmacist: { id: pharmacist.id, birthPassword: '19851015', codes: { fresh: pharmacistCode.code } },
    };
  } finally {
    await database.close();
  }
}
