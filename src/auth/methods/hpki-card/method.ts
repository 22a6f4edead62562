import type { LoginMethodDefinition } from '../../login-method.ts';
import { challengeSteps } from '../challenge-steps.ts';
import { HPKI_CERTIFICATE_ASSURANCE } from '../../certificate-login.ts';
import { hpkiCardLogin } from './hpki-card-login.ts';

/** The HPKI card in a reader, through the browser extension (Web eID messages). */
export const hpkiCardMethod = {
  id: 'hpki-card',
  assurance: HPKI_CERTIFICATE_ASSURANCE,
  credential: 'hpki-certificate',
  chooser: { panel: 'hpki-card', titleKey: 'login.hpkiCard.title', descriptionKey: 'login.hpkiCard.description', devices: ['terminal'] },
  auditEvents: [],
  available: (installation) => installation.hpkiTrust,
  steps: challengeSteps({ begin: 'challenge', finish: 'verify' }, (deps) => hpkiCardLogin(deps.certificates)),
} as const satisfies LoginMethodDefinition<'hpki-card'>;
