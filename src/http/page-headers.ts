/**
 * Request headers that only the portal's request handler sets for the pages it hands to Next.js
 * (any such header arriving from outside is removed first). No runtime imports: pages use it.
 */

/** "1" when demo mode is on and the browser is on this machine: the demo's software cards may load. */
export const DEMO_CLIENT_HEADER = 'x-hpki-sso-demo-client';

/** "1" when the My Number Card pages may ask the PIN themselves (JPKI_UNBOUND_PROOF; see jpkiPagePin). */
export const JPKI_PAGE_PIN_HEADER = 'x-hpki-sso-jpki-page-pin';
