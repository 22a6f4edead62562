import crypto from 'node:crypto';
import { z } from 'zod';
import { PortalError } from '../../../errors/portal-error.ts';
import { consumeChallenge, issueChallenge } from '../../challenges.ts';
import { authenticateHpkiCertificate, type CertificateLoginDependencies } from '../../certificate-login.ts';
import type { AuthResult, LoginContext, LoginMethod } from '../../login-method.ts';
import { verifyCardToken } from '../../web-eid-token.ts';

/** Web eID: ≥ 256-bit nonce, single use, 5 minutes, bound to the login (protocol-facts §C2). */
export const CARD_CHALLENGE_SECONDS = 300;

const finishBody = z.object({
  // 32 bytes in standard base64 are 44 characters; the extension refuses < 44 or > 128.
  nonce: z.string().min(44).max(128),
  token: z.union([z.string().min(1), z.record(z.string(), z.unknown())]),
});

/** HPKI card through the browser extension: the card signs the server's nonce for this origin. */
export function hpkiCardLogin(deps: CertificateLoginDependencies): LoginMethod<{ nonce: string; expiresAt: string }> {
  return {
    id: 'hpki-card',
    async begin(ctx: LoginContext) {
      const nonce = crypto.randomBytes(32).toString('base64');
      const issued = await issueChallenge(deps.prisma, 'hpki-card', ctx.interactionUid, CARD_CHALLENGE_SECONDS, nonce);
      return { nonce, expiresAt: issued.expiresAt.toISOString() };
    },

    async finish(ctx: LoginContext, body: unknown): Promise<AuthResult> {
      const parsed = finishBody.safeParse(body);
      if (!parsed.success) throw new PortalError('card_token_invalid', 400, 'body must be { nonce, token }');
      const { nonce, token } = parsed.data;
      // Spent before anything else, so a replayed or foreign nonce never gets further.
      const spent = await consumeChallenge(deps.prisma, 'hpki-card', ctx.interactionUid, nonce);
      if (!spent.ok) throw new PortalError('card_challenge_invalid', 400, spent.reason);
      const verified = await verifyCardToken(token, { origin: ctx.origin, nonce });
      return authenticateHpkiCertificate(deps, verified.certificateDer, 'hpki-card');
    },
  };
}
