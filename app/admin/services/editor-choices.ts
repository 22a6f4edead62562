import { ACR } from '@/src/auth/assurance';
import { LOGIN_METHOD_IDS } from '@/src/auth/methods/registry';
import { RELEASABLE_CLAIMS } from '@/src/clients/service-policy';
import { hcRoleDisplayNames } from '@/src/pki/hcrole/display-names';

/** What the service editor offers to pick from, passed from the server to the client component. */
export function editorChoices() {
  return {
    hcRoles: Object.entries(hcRoleDisplayNames).map(([role, d]) => ({ role, ja: d.ja, en: d.en })),
    acrs: [ACR.passkey, ACR.jpki, ACR.hpki],
    methods: [...LOGIN_METHOD_IDS],
    claims: [...RELEASABLE_CLAIMS],
  };
}
export type EditorChoices = ReturnType<typeof editorChoices>;
