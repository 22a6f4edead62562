import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Db } from '../db/current.ts';
import type { OidcProvider } from './provider.ts';
import { notifyBackchannelLogout, type BackchannelResult } from './notify-backchannel-logout.ts';

type ProviderSession = InstanceType<OidcProvider['Session']>;
type Authorizations = Record<string, { sid?: string; grantId?: string; persistsLogout?: boolean }>;

export interface EndedSsoSession {
  accountId: string;
  /** The services that were logged in through the ended sessions. */
  clientIds: string[];
  backchannel: BackchannelResult[];
}

/**
 * Ends provider (SSO) sessions at once, without a second click: the codes and tokens issued through
 * them are revoked (except those that outlive the session by design: offline access, remote-signing
 * consents — their own window), the session is deleted, and every linked service with a back-channel
 * endpoint gets a logout token.
 * `sessions`: the browser's own session (its signed cookie) and the one a portal session names by `sid`.
 */
export async function endSsoSessions(
  provider: OidcProvider,
  prisma: Db,
  sessions: { browser?: { req: IncomingMessage; res: ServerResponse }; portalSid?: string | null },
  log: (line: string) => void,
): Promise<EndedSsoSession[]> {
  const found = new Map<string, ProviderSession>();
  if (sessions.browser) {
    // oidc-provider reads and verifies its own signed session cookie.
    const session = await provider.Session.get(sessions.browser as unknown as Parameters<OidcProvider['Session']['get']>[0]);
    if (session && !(session as { new?: boolean }).new && session.accountId) found.set(session.jti, session);
  }
  if (sessions.portalSid) {
    // Stored under hashes of their ids: found by uid, which gives oidc-provider the whole session back.
    for (const uid of await sessionUidsWithSid(prisma, sessions.portalSid)) {
      const session = await provider.Session.findByUid(uid);
      if (session?.accountId && !found.has(session.jti)) found.set(session.jti, session);
    }
  }
  const ended: EndedSsoSession[] = [];
  for (const session of found.values()) {
    const authorizations = (session.authorizations ?? {}) as Authorizations;
    const grantIds = Object.values(authorizations).flatMap((a) => (a.grantId && !a.persistsLogout ? [a.grantId] : []));
    // Codes and tokens go; the grants themselves stay: a logout ends sessions, it does not
    // withdraw the practitioner's consent to share their claims with a service.
    if (grantIds.length) await prisma.oidcPayload.deleteMany({ where: { grantId: { in: grantIds }, model: { not: 'Grant' } } });
    await session.destroy();
    const accountId = String(session.accountId);
    const backchannel = await notifyBackchannelLogout(provider, [{ accountId, authorizations }], log);
    ended.push({ accountId, clientIds: Object.keys(authorizations), backchannel });
  }
  if (sessions.browser) clearSessionCookie(provider, sessions.browser);
  return ended;
}

/** The provider sessions in which a service was given this `sid` (the portal's own, for its logout), by uid. */
async function sessionUidsWithSid(prisma: Db, sid: string): Promise<string[]> {
  const rows = await prisma.$queryRaw<{ uid: string }[]>`
    SELECT uid FROM oidc_payload
     WHERE model = 'Session' AND uid IS NOT NULL AND (expires_at IS NULL OR expires_at > now())
       AND EXISTS (SELECT 1 FROM jsonb_each(payload->'authorizations') a WHERE a.value->>'sid' = ${sid})`;
  return rows.map((r) => r.uid);
}

/** Removes the provider's session cookie from the browser, with the options it was set with. */
function clearSessionCookie(provider: OidcProvider, { req, res }: { req: IncomingMessage; res: ServerResponse }) {
  const internal = provider as unknown as {
    createContext(req: IncomingMessage, res: ServerResponse): { cookies: { set(name: string, value: null, options: object): void } };
    cookieName(kind: string): string;
  };
  const name = internal.cookieName('session');
  internal.createContext(req, res).cookies.set(name, null, { httpOnly: true, sameSite: 'lax', signed: true, path: '/' });
}
