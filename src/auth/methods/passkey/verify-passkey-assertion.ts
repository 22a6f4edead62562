import { verifyAuthenticationResponse } from '@simplewebauthn/server';
import type { z } from 'zod';
import type { Db } from '../../../db/current.ts';
import { PortalError } from '../../../errors/portal-error.ts';
import type { RelyingParty } from './relying-party.ts';
import type { authenticationResponseSchema } from './response-schemas.ts';

export type AuthenticationResponse = z.infer<typeof authenticationResponseSchema>;

/**
 * Verifies a WebAuthn assertion against the practitioner's registered passkey (user verification
 * required) and records its use. Shared by the same-device login and the phone's approval of a
 * cross-device login, so both accept exactly the same device.
 */
export async function verifyPasskeyAssertion(prisma: Db, rp: RelyingParty, response: AuthenticationResponse, expectedChallenge: string) {
  const credential = await prisma.passkeyCredential.findUnique({
    where: { id: response.id },
    include: { practitioner: true },
  });
  if (!credential) throw new PortalError('passkey_unknown_credential', 401);
  if (credential.practitioner.lockedAt) throw new PortalError('practitioner_locked', 403);

  let verification;
  try {
    verification = await verifyAuthenticationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
      credential: {
        id: credential.id,
        publicKey: new Uint8Array(credential.publicKey),
        counter: Number(credential.counter),
        transports: credential.transports as AuthenticatorTransport[],
      },
    });
  } catch (error) {
    throw new PortalError('passkey_verification_failed', 401, (error as Error).message);
  }
  if (!verification.verified) throw new PortalError('passkey_verification_failed', 401);

  // Conditional on the credential still being there: a device change in between wins.
  const used = await prisma.passkeyCredential.updateMany({
    where: { id: credential.id, practitionerId: credential.practitionerId },
    data: { counter: BigInt(verification.authenticationInfo.newCounter), lastUsedAt: new Date() },
  });
  if (used.count !== 1) throw new PortalError('passkey_unknown_credential', 401);
  return { practitionerId: credential.practitionerId, credentialId: credential.id };
}
