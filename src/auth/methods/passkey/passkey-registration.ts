import type { Db } from '../../../db/current.ts';
import type { Prisma } from '../../../generated/prisma/client.ts';
import { PortalError } from '../../../errors/portal-error.ts';
import { consumeChallenge, issueChallenge } from '../../challenges.ts';
import type { RegistrationCodeRow } from '../../../practitioners/registration-codes.ts';
import { requireUsableRegistrationCode } from '../../../practitioners/registration-codes.ts';
import { replacePasskeyDevice } from './passkey-device.ts';
import { PASSKEY_CEREMONY_SECONDS, type RelyingParty } from './relying-party.ts';
import { passkeyRegistrationOptions } from './registration-options.ts';
import { readRegistrationResponse, verifyPasskeyRegistration } from './verify-passkey-registration.ts';

/** Options for registering the practitioner's one device; issued only after the password matched. */
export async function beginPasskeyRegistration(prisma: Db | Prisma.TransactionClient, rp: RelyingParty, row: RegistrationCodeRow) {
  const options = await passkeyRegistrationOptions(rp, row.practitioner);
  await issueChallenge(prisma, 'passkey-registration', row.id, PASSKEY_CEREMONY_SECONDS, options.challenge);
  return options;
}

/**
 * Verifies the new passkey and, in one transaction, spends the code and makes this credential the
 * practitioner's only device (the unique practitioner_id column enforces one device at all times).
 */
export async function finishPasskeyRegistration(prisma: Db, rp: RelyingParty, code: string, body: unknown) {
  const { response, challenge } = readRegistrationResponse(body);
  const row = await requireUsableRegistrationCode(prisma, code);
  const spent = await consumeChallenge(prisma, 'passkey-registration', row.id, challenge);
  if (!spent.ok) throw new PortalError('passkey_challenge_invalid', 400, spent.reason);
  const device = await verifyPasskeyRegistration(rp, response, challenge);

  const replacement = await prisma.$transaction(async (tx) => {
    const spentCode = await tx.registrationCode.updateMany({
      where: { id: row.id, usedAt: null, lockedAt: null, supersededAt: null },
      data: { usedAt: new Date() },
    });
    if (spentCode.count !== 1) throw new PortalError('registration_code_used', 410);
    return replacePasskeyDevice(tx, row.practitionerId, device);
  });
  return { practitionerId: row.practitionerId, credentialId: device.id, replacedDevice: replacement.removed !== null, replacement };
}
