import type { LoginMethodDefinition } from '../../login-method.ts';
import { HPKI_CERTIFICATE_ASSURANCE } from '../../certificate-login.ts';
import { finishHpkiCertLogin } from './hpki-cert-login.ts';

/**
 * The HPKI certificate over TLS: the browser navigates to the client-certificate listener (or a
 * proxy that asks for the certificate), which is the whole login — success continues to the service.
 */
export const hpkiCertMethod = {
  id: 'hpki-cert',
  assurance: HPKI_CERTIFICATE_ASSURANCE,
  credential: 'hpki-certificate',
  chooser: { panel: 'hpki-cert', titleKey: 'login.hpkiCert.title', descriptionKey: 'login.hpkiCert.description', devices: ['terminal'] },
  auditEvents: [],
  available: (installation) => installation.hpkiTrust && Boolean(installation.hpkiCertOrigin),
  steps: [
    {
      path: '',
      authenticates: true,
      httpMethod: 'GET',
      response: 'page',
      addressLimit: 'finish-ip',
      loginLimit: 'finish-interaction',
      run: async (deps, { request }) => ({
        auth: await finishHpkiCertLogin(deps.certificates, request, { trustedProxies: deps.trustedProxies, proxyHeader: deps.clientCertProxyHeader }),
      }),
    },
  ],
} as const satisfies LoginMethodDefinition<'hpki-cert'>;
