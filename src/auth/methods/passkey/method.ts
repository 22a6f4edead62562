import type { LoginMethodDefinition } from '../../login-method.ts';
import { challengeSteps } from '../challenge-steps.ts';
import { PASSKEY_ASSURANCE, passkeyLogin } from './passkey-login.ts';

/** This device's passkey (the registered phone, or a security key): WebAuthn with user verification. */
export const passkeyMethod = {
  id: 'passkey',
  assurance: PASSKEY_ASSURANCE,
  credential: 'passkey',
  chooser: { panel: 'passkey', titleKey: 'login.passkey.title', descriptionKey: 'login.passkey.description', devices: ['terminal', 'phone'] },
  auditEvents: [],
  available: () => true,
  steps: challengeSteps({ begin: 'options', finish: 'verify' }, (deps) => passkeyLogin(deps.prisma, deps.rp)),
} as const satisfies LoginMethodDefinition<'passkey'>;
