import type { LoginMethodDefinition } from '../../login-method.ts';
import { challengeSteps } from '../challenge-steps.ts';
import { JPKI_ASSURANCE, jpkiLogin } from './jpki-login.ts';

/** The My Number Card's user-authentication certificate, linked to a practitioner (SPEC §2). */
export const jpkiMethod = {
  id: 'jpki',
  assurance: JPKI_ASSURANCE,
  credential: 'my-number-card',
  chooser: { panel: 'my-number-card', titleKey: 'login.myNumberCard.title', descriptionKey: 'login.myNumberCard.description', devices: ['terminal'] },
  auditEvents: [],
  available: (installation) => installation.jpkiTrust,
  steps: challengeSteps({ begin: 'challenge', finish: 'verify' }, (deps) => jpkiLogin({ prisma: deps.prisma, trust: deps.trust, allowUnboundProof: deps.jpkiUnboundProof })),
} as const satisfies LoginMethodDefinition<'jpki'>;
