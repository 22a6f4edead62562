// npm run practitioner:add -- --registration-number 123456 --family-name Kagurazaka --given-name Sanjushi \
//   --family-name-kanji 神楽坂 --given-name-kanji 三十四 --birth-date 1980-04-01 --hc-role "Medical Doctor" [--qr-png qr.png]
// Creates a practitioner and a one-time registration code (QR); for an existing registration number
// it issues a new code, which invalidates the earlier one.
import { parseArgs } from 'node:util';
import QRCode from 'qrcode';
import { ZodError } from 'zod';
import { readEnvironment } from '../src/config/environment.ts';
import { openDatabase } from '../src/db/open-database.ts';
import { createPractitioner, JPKI_HCROLE_SCHEME } from '../src/practitioners/practitioner.ts';
import { issueRegistrationCode, registrationUrl } from '../src/practitioners/registration-codes.ts';
import { appendAudit } from '../src/audit/audit-log.ts';

const { values } = parseArgs({
  options: {
    'registration-number': { type: 'string' },
    'family-name': { type: 'string' },
    'given-name': { type: 'string' },
    'family-name-kanji': { type: 'string' },
    'given-name-kanji': { type: 'string' },
    'birth-date': { type: 'string' },
    facility: { type: 'string' },
    'hc-role': { type: 'string', multiple: true },
    admin: { type: 'boolean', default: false },
    'qr-png': { type: 'string' },
  },
});

const env = readEnvironment();
const database = await openDatabase({ url: env.databaseUrl, migrate: true });
try {
  const prisma = database.prisma;
  const number = values['registration-number'];
  if (!number) throw new Error('--registration-number is required');
  let practitioner = await prisma.practitioner.findUnique({ where: { registrationNumber: number } });
  if (!practitioner) {
    practitioner = await createPractitioner(prisma, {
      registrationNumber: number,
      familyName: values['family-name'] ?? '',
      givenName: values['given-name'] ?? '',
      familyNameKanji: values['family-name-kanji'],
      givenNameKanji: values['given-name-kanji'],
      birthDate: values['birth-date'] ?? '',
      facility: values.facility,
      hcRoles: (values['hc-role'] ?? []).map((role) => ({ role, codingScheme: JPKI_HCROLE_SCHEME })),
      isAdmin: values.admin,
    });
    console.log(`created practitioner ${practitioner.id} (${number})`);
  } else {
    console.log(`practitioner ${number} exists: issuing a new registration code (earlier codes stop working)`);
  }
  const { code, expiresAt } = await issueRegistrationCode(prisma, practitioner.id);
  await appendAudit(prisma, { event: 'registration.code_issued', result: 'success', practitionerId: practitioner.id, details: { by: 'command' } });
  const url = registrationUrl(env.publicUrl, code);
  console.log(`registration URL: ${url}\nvalid until: ${expiresAt.toISOString()}\npassword: the birth date as YYYYMMDD`);
  console.log(await QRCode.toString(url, { type: 'terminal', small: true }));
  if (values['qr-png']) {
    await QRCode.toFile(values['qr-png'], url, { width: 512, margin: 2 });
    console.log(`QR image written to ${values['qr-png']}`);
  }
} catch (error) {
  if (error instanceof ZodError) {
    console.error(`Invalid practitioner: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  } else {
    console.error((error as Error).message);
  }
  process.exitCode = 2;
} finally {
  await database.close();
}
