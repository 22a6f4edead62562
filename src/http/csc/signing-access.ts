import type { IncomingMessage } from 'node:http';
import type { Portal } from '../../portal/portal.ts';
import { PortalError } from '../../errors/portal-error.ts';
import { isSigningDetail, type SigningDetail } from '../../signing/signing-authorisation-details.ts';
import { verifyDpopProof } from '../../signing/csc/dpop-proof.ts';

export interface SigningAccess {
  practitionerId: string;
  clientId: string;
  grantId: string;
  details: SigningDetail[];
}

/**
 * Who may sign: the DPoP-bound access token from the consent flow (Authorization: DPoP …), looked
 * up in the provider's store (so revocation and expiry are the provider's own), with a valid proof
 * for this request, carrying remote-signing authorization_details.
 */
export async function requireSigningAccess(portal: Portal, req: IncomingMessage, path: string): Promise<SigningAccess> {
  const header = req.headers.authorization ?? '';
  const match = /^DPoP ([A-Za-z0-9_.~+/-]{20,2048}=*)$/.exec(header);
  if (!match) {
    throw new PortalError(header.startsWith('Bearer ') ? 'signing_dpop_invalid' : 'signing_token_invalid', 401, 'a DPoP-bound access token is required');
  }
  const value = match[1]!;
  const token = await portal.provider.AccessToken.find(value);
  if (!token || token.isExpired) throw new PortalError('signing_token_invalid', 401);
  const jkt = (token as unknown as { jkt?: string }).jkt;
  if (!jkt) throw new PortalError('signing_dpop_invalid', 401, 'the token is not DPoP-bound');
  await verifyDpopProof(portal.prisma, headerValue(req.headers.dpop), { method: req.method ?? 'POST', url: `${portal.env.publicUrl}${path}`, accessToken: value, jkt });
  const details = ((token as unknown as { rar?: unknown[] }).rar ?? []).filter(isSigningDetail);
  if (details.length === 0 || !token.accountId || !token.grantId) throw new PortalError('signing_not_authorised', 403, 'the token carries no remote-signing authorisation');
  return { practitionerId: token.accountId, clientId: token.clientId!, grantId: token.grantId, details };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}
