import { cookies } from 'next/headers';
import { currentPortal } from '@/src/portal/portal';
import { findPortalSession, portalSessionCookieName } from '@/src/portal-session/portal-sessions';

/** The logged-in practitioner's portal session, or null (pages then offer the login). */
export async function getPortalSession() {
  const portal = currentPortal();
  const id = (await cookies()).get(portalSessionCookieName(portal.env.publicUrl))?.value;
  return findPortalSession(portal.prisma, id);
}
