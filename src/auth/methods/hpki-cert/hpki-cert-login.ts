import type { IncomingMessage } from 'node:http';
import { PortalError } from '../../../errors/portal-error.ts';
import { authenticateHpkiCertificate, type CertificateLoginDependencies } from '../../certificate-login.ts';
import type { AuthResult } from '../../login-method.ts';
import { claimsJpkiIssuer, loginWithLinkedMyNumberCard, validateJpkiCertificate } from '../../my-number-card-certificate.ts';
import { readClientCertificate } from './client-certificate-source.ts';

/** Requests whose certificate headers came from an address that is not a configured proxy. */
export const refusedCertificateHeaders = new WeakSet<IncomingMessage>();

export interface HpkiCertSourceSettings {
  trustedProxies: string[];
  proxyHeader: string;
}

/**
 * HPKI authentication certificate over TLS: the certificate the browser presented to our HTTPS
 * listener (the OS middleware asked the card PIN), or one forwarded by a trusted proxy. The TLS
 * handshake itself proves possession of the key; the same validators as for the card decide.
 *
 * A certificate whose issuer is a configured JPKI CA (and no HPKI one) is a My Number Card's
 * user-authentication certificate (the JPKI client software offers it to the browser, seed
 * 002/003): it logs in as the practitioner the card is linked to, at the My Number Card's level
 * (method `jpki`, so the service's policy judges it as one). Everything else is judged as HPKI.
 */
export async function finishHpkiCertLogin(
  deps: CertificateLoginDependencies,
  req: IncomingMessage,
  settings: HpkiCertSourceSettings,
): Promise<AuthResult> {
  if (refusedCertificateHeaders.has(req)) throw new PortalError('client_certificate_untrusted_proxy', 400);
  const found = readClientCertificate(req, { trustedProxies: settings.trustedProxies, proxyHeader: settings.proxyHeader });
  if (found.kind === 'none') throw new PortalError('client_certificate_missing', 400);
  if (found.kind === 'error') throw new PortalError(found.code, 400);
  if (await claimsJpkiIssuer(deps.trust, found.der)) {
    return loginWithLinkedMyNumberCard(deps.prisma, await validateJpkiCertificate(deps.trust, found.der), 'jpki');
  }
  return authenticateHpkiCertificate(deps, found.der, 'hpki-cert');
}
