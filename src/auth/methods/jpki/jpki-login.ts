import type { AuthResult, LoginContext, LoginMethod } from '../../login-method.ts';
import { loginWithLinkedMyNumberCard } from '../../my-number-card-certificate.ts';
import { issueJpkiChallenge, verifyJpkiProof, type JpkiDependencies } from './jpki-proof.ts';

export { JPKI_ASSURANCE } from '../../my-number-card-certificate.ts';

/** My Number Card login: the card signs the login's challenge; its link names the practitioner. */
export function jpkiLogin(deps: JpkiDependencies): LoginMethod<{ nonce: string; digest: string; expiresAt: string }> {
  return {
    id: 'jpki',
    begin: (ctx: LoginContext) => issueJpkiChallenge(deps, 'jpki', ctx.interactionUid),
    async finish(ctx: LoginContext, body: unknown): Promise<AuthResult> {
      const identity = await verifyJpkiProof(deps, body, 'jpki', ctx.interactionUid, ctx.origin);
      return loginWithLinkedMyNumberCard(deps.prisma, identity, 'jpki');
    },
  };
}
