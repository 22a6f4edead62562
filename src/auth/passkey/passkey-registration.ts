import { generateRegistrationOptions, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { Db } from '../../db/current.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { consumeChallenge, issueChallenge } from '../challenges.ts';
import type { RegistrationCodeRow } from '../../practitioners/registration-codes.ts';
import { requireUsableRegistrationCode } from '../../practitioners/registration-codes.ts';
import { PASSKEY_CEREMONY_SECONDS, type RelyingParty } from './relying-party.ts';
import { challengeFromClientData, registrationResponseSchema } from './response-schemas.ts';

/** Options for registering the practitioner's one device; issued only after the password matched. */
export async function beginPasskeyRegistration(prisma: Db, rp: RelyingParty, row: RegistrationCodeRow) {
  const p = row.practitioner;
  const options = await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: p.registrationNumber,
    userDisplayName: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : `${p.familyName} ${p.givenName}`,
    userID: new TextEncoder().encode(p.id),
    attestationType: 'none',
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    timeout: PASSKEY_CEREMONY_SECONDS * 1000,
  });
  await issueChallenge(prisma, 'passkey-registration', row.id, PASSKEY_CEREMONY_SECONDS, options.challenge);
  return options;
}

/**
 * Verifies the new passkey and, in one transaction, spends the code and makes this credential the
 * practitioner's only device (the unique practitioner_id column enforces one device at all times).
 */
export async function finishPasskeyRegistration(prisma: Db, rp: RelyingParty, code: string, body: unknown) {
  const parsed = registrationResponseSchema.safeParse(body);
  if (!parsed.success) throw new PortalError('invalid_request', 400, 'not a WebAuthn registration response');
  const response = parsed.data;
  const row = await requireUsableRegistrationCode(prisma, code);
  const challenge = challengeFromClientData(response.response.clientDataJSON);
  const spent = await consumeChallenge(prisma, 'passkey-registration', row.id, challenge);
  if (!spent.ok) throw new PortalError('passkey_challenge_invalid', 400, spent.reason);

  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
  } catch (error) {
    throw new PortalError('passkey_verification_failed', 400, (error as Error).message);
  }
  if (!verification.verified) throw new PortalError('passkey_verification_failed', 400);
  const info = verification.registrationInfo;

  const replaced = await prisma.$transaction(async (tx) => {
    const spentCode = await tx.registrationCode.updateMany({
      where: { id: row.id, usedAt: null, lockedAt: null, supersededAt: null },
      data: { usedAt: new Date() },
    });
    if (spentCode.count !== 1) throw new PortalError('registration_code_used', 410);
    const old = await tx.passkeyCredential.deleteMany({ where: { practitionerId: row.practitionerId } });
    await tx.passkeyCredential.create({
      data: {
        id: info.credential.id,
        practitionerId: row.practitionerId,
        publicKey: Buffer.from(info.credential.publicKey),
        counter: BigInt(info.credential.counter),
        transports: info.credential.transports ?? [],
        aaguid: info.aaguid,
        deviceType: info.credentialDeviceType,
        backedUp: info.credentialBackedUp,
      },
    });
    return old.count;
  });
  return { practitionerId: row.practitionerId, credentialId: info.credential.id, replacedDevice: replaced > 0 };
}
