import type { IncomingMessage } from 'node:http';
import { PortalError } from '../../../errors/portal-error.ts';
import { authenticateHpkiCertificate, type CertificateLoginDependencies } from '../../certificate-login.ts';
import type { AuthResult } from '../../login-method.ts';
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
  return authenticateHpkiCertificate(deps, found.der, 'hpki-cert');
}
