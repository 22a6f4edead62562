import type { Portal } from '../portal/portal.ts';
import type { JpkiDependencies } from '../auth/methods/jpki/jpki-proof.ts';

/** What a My Number Card proof is checked with, from the running portal (login, link, registration, console). */
export function jpkiDependencies(portal: Portal): JpkiDependencies {
  return { prisma: portal.prisma, trust: portal.trust, allowUnboundProof: portal.env.jpkiUnboundProof };
}
