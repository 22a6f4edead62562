import { createPractitioner, JPKI_HCROLE_SCHEME } from '../../src/practitioners/practitioner.ts';
import { createPortalSession, portalSessionCookieName } from '../../src/portal-session/portal-sessions.ts';
import { ACR } from '../../src/auth/assurance.ts';
import type { TestPortal } from './test-portal.ts';

/**
 * A practitioner with a portal session (made directly, as the portal's callback would), for the
 * console's endpoints: `call` sends the session cookie and the portal's own Origin.
 */
export async function consoleUser(t: TestPortal, options: { admin: boolean; registrationNumber: string }) {
  const p = await createPractitioner(t.portal.prisma, {
    registrationNumber: options.registrationNumber,
    familyName: 'Kanri',
    givenName: options.admin ? 'Admin' : 'Doctor',
    birthDate: '1970-01-01',
    hcRoles: [{ role: 'Medical Doctor', codingScheme: JPKI_HCROLE_SCHEME }],
    isAdmin: options.admin,
  });
  const sessionId = await createPortalSession(t.portal.prisma, {
    practitionerId: p.id,
    authTime: new Date(),
    amr: ['sc', 'pin', 'hwk'],
    acr: ACR.hpki,
    sid: null,
  }, t.portal.env);
  const cookie = `${portalSessionCookieName(t.portal.env.publicUrl)}=${sessionId}`;
  return {
    id: p.id,
    cookie,
    /** A console call: JSON body for POST, same origin unless `headers` says otherwise. */
    call(path: string, body?: unknown, headers: Record<string, string> = {}) {
      return fetch(`${t.url}/api/admin/${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        redirect: 'manual',
        headers: { cookie, ...(body === undefined ? {} : { 'content-type': 'application/json', origin: t.url }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
  };
}
export type ConsoleUser = Awaited<ReturnType<typeof consoleUser>>;
