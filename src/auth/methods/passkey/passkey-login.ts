import { generateAuthenticationOptions } from '@simplewebauthn/server';
import type { Db } from '../../../db/current.ts';
import { PortalError } from '../../../errors/portal-error.ts';
import { ACR } from '../../assurance.ts';
import { consumeChallenge, issueChallenge } from '../../challenges.ts';
import type { Assurance, AuthResult, LoginContext, LoginMethod } from '../../login-method.ts';

/** A phone's or this device's passkey with user verification: hardware key + user (AAL2). */
export const PASSKEY_ASSURANCE: Assurance = { amr: ['hwk', 'user'], acr: ACR.passkey };
import { PASSKEY_CEREMONY_SECONDS, type RelyingParty } from './relying-party.ts';
import { authenticationResponseSchema, challengeFromClientData } from './response-schemas.ts';
import { verifyPasskeyAssertion } from './verify-passkey-assertion.ts';

/**
 * Same-device passkey login: a discoverable credential with user verification, so the person picks
 * nothing but their registered phone or this device's passkey.
 */
export function passkeyLogin(prisma: Db, rp: RelyingParty): LoginMethod {
  return {
    id: 'passkey',
    async begin(ctx: LoginContext) {
      const options = await generateAuthenticationOptions({
        rpID: rp.id,
        userVerification: 'required',
        allowCredentials: [],
        timeout: PASSKEY_CEREMONY_SECONDS * 1000,
      });
      await issueChallenge(prisma, 'passkey-login', ctx.interactionUid, PASSKEY_CEREMONY_SECONDS, options.challenge);
      return options;
    },

    async finish(ctx: LoginContext, body: unknown): Promise<AuthResult> {
      const parsed = authenticationResponseSchema.safeParse(body);
      if (!parsed.success) throw new PortalError('invalid_request', 400, 'not a WebAuthn authentication response');
      const response = parsed.data;
      const challenge = challengeFromClientData(response.response.clientDataJSON);
      const spent = await consumeChallenge(prisma, 'passkey-login', ctx.interactionUid, challenge);
      if (!spent.ok) throw new PortalError('passkey_challenge_invalid', 400, spent.reason);

      const { practitionerId } = await verifyPasskeyAssertion(prisma, rp, response, challenge);
      return { practitionerId, method: 'passkey', amr: [...PASSKEY_ASSURANCE.amr], acr: PASSKEY_ASSURANCE.acr };
    },
  };
}
