import { PortalError } from '../../../errors/portal-error.ts';
import { ACR } from '../../assurance.ts';
import type { Assurance, AuthResult, LoginContext, LoginMethod } from '../../login-method.ts';

/** My Number Card: smart card, PIN, hardware key — identity only, below HPKI (no qualification). */
export const JPKI_ASSURANCE: Assurance = { amr: ['sc', 'pin', 'hwk'], acr: ACR.jpki };
import { issueJpkiChallenge, verifyJpkiProof, type JpkiDependencies } from './jpki-proof.ts';

/**
 * My Number Card login: the card proves who the person is, the link made after an HPKI login says
 * which practitioner that is — and the practitioner's record, which an HPKI certificate
 * established, gives the qualification. Nothing from the card goes to relying parties.
 */
export function jpkiLogin(deps: JpkiDependencies): LoginMethod<{ nonce: string; digest: string; expiresAt: string }> {
  return {
    id: 'jpki',
    begin: (ctx: LoginContext) => issueJpkiChallenge(deps, 'jpki', ctx.interactionUid),
    async finish(ctx: LoginContext, body: unknown): Promise<AuthResult> {
      const identity = await verifyJpkiProof(deps, body, 'jpki', ctx.interactionUid, ctx.origin);
      const link = await deps.prisma.myNumberCardLink.findUnique({ where: { fingerprint: identity.fingerprint } });
      if (!link) throw new PortalError('jpki_not_linked', 403);
      const practitioner = await deps.prisma.practitioner.findUnique({ where: { id: link.practitionerId } });
      if (!practitioner) throw new PortalError('jpki_not_linked', 403);
      if (practitioner.lockedAt) throw new PortalError('practitioner_locked', 403);
      return { practitionerId: practitioner.id, method: 'jpki', amr: [...JPKI_ASSURANCE.amr], acr: JPKI_ASSURANCE.acr };
    },
  };
}
