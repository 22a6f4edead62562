import { cookies } from 'next/headers';
import { currentPortal } from '@/src/portal/portal';
import { lookupPortalSession, portalSessionCookieName } from '@/src/portal-session/portal-sessions';

/** The logged-in practitioner's portal session, or null (pages then offer the login). */
export async function getPortalSession() {
  return (await lookupPagePortalSession()).session;
}

/** The session, or why the one this browser had ended (an idle session: the page says so). */
export async function lookupPagePortalSession() {
  const portal = currentPortal();
  const id = (await cookies()).get(portalSessionCookieName(portal.env.publicUrl))?.value;
  return lookupPortalSession(portal.prisma, id, portal.env);
}
