import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { PortalError } from '../../../errors/portal-error.ts';
import type { RelyingParty } from './relying-party.ts';
import { registrationResponseSchema } from './response-schemas.ts';
import { challengeFromClientData } from './response-schemas.ts';

/** A verified new passkey, ready to become the practitioner's one device. */
export interface NewPasskeyDevice {
  id: string;
  publicKey: Buffer<ArrayBuffer>;
  counter: bigint;
  transports: string[];
  aaguid: string;
  deviceType: string;
  backedUp: boolean;
}

/** The parsed registration response and the challenge it signed, to be spent before verifying. */
export function readRegistrationResponse(body: unknown) {
  const parsed = registrationResponseSchema.safeParse(body);
  if (!parsed.success) throw new PortalError('invalid_request', 400, 'not a WebAuthn registration response');
  return { response: parsed.data, challenge: challengeFromClientData(parsed.data.response.clientDataJSON) };
}

/**
 * Verifies a new passkey (origin, RP ID, the spent challenge, user verification required). Shared by
 * the registration QR and the device-change page, so both accept exactly the same authenticators.
 */
export async function verifyPasskeyRegistration(
  rp: RelyingParty,
  response: ReturnType<typeof readRegistrationResponse>['response'],
  expectedChallenge: string,
): Promise<NewPasskeyDevice> {
  let verification;
  try {
    verification = await verifyRegistrationResponse({
      response,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    });
  } catch (error) {
    throw new PortalError('passkey_verification_failed', 400, (error as Error).message);
  }
  if (!verification.verified) throw new PortalError('passkey_verification_failed', 400);
  const info = verification.registrationInfo;
  return {
    id: info.credential.id,
    publicKey: Buffer.from(info.credential.publicKey),
    counter: BigInt(info.credential.counter),
    transports: info.credential.transports ?? [],
    aaguid: info.aaguid,
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
  };
}
