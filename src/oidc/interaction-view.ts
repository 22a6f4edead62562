import type { Db } from '../db/current.ts';
import type { OidcProvider } from './provider.ts';
import type { LoginMethodId } from '../auth/assurance.ts';
import { CLAIMS } from './configuration.ts';
import type { InteractionView } from './interaction-view-schema.ts';

export { INTERACTION_VIEW_HEADER, encodeInteractionView } from './interaction-view-schema.ts';

type Details = Awaited<ReturnType<OidcProvider['interactionDetails']>>;

export async function buildInteractionView(
  provider: OidcProvider,
  prisma: Db,
  details: Details,
  methods: LoginMethodId[],
  demo: boolean,
  hpkiCertOrigin?: string,
): Promise<InteractionView> {
  const clientId = String(details.params.client_id);
  const client = await provider.Client.find(clientId);
  const scopes = String(details.params.scope ?? '').split(' ').filter(Boolean);
  const claims = scopes.flatMap((s) => (CLAIMS as Record<string, string[]>)[s] ?? []).filter((c) => !c.includes('#'));
  let account: InteractionView['account'] = null;
  const accountId = details.session?.accountId;
  if (accountId) {
    const p = await prisma.practitioner.findUnique({ where: { id: accountId } });
    if (p) {
      account = {
        name: `${p.givenName} ${p.familyName}`,
        nameKanji: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : null,
      };
    }
  }
  return {
    uid: details.uid,
    prompt: details.prompt.name === 'consent' ? 'consent' : 'login',
    reasons: details.prompt.reasons,
    client: { id: clientId, name: String(client?.clientName ?? clientId) },
    scopes,
    claims,
    methods,
    account,
    demo,
    hpkiCertUrl: hpkiCertOrigin && methods.includes('hpki-cert') ? `${hpkiCertOrigin}/interaction/${details.uid}/hpki-cert` : null,
  };
}

