import type { Db } from '../db/current.ts';
import type { OidcProvider } from './provider.ts';
import { ACR_RANK, type AcrValue } from '../auth/assurance.ts';
import { loginMethod, offeredAs, stepPath, type LoginMethodId } from '../auth/methods/registry.ts';
import { CLAIMS } from './configuration.ts';
import type { InteractionView } from './interaction-view-schema.ts';
import { methodsForService, readServicePolicy } from '../clients/service-policy.ts';
import { describeSigningRequest } from '../signing/signing-consent.ts';
import type { DailyWindow } from '../config/daily-window.ts';
import { hcRoleClaim } from './account.ts';
import { parseStoredHcRoles } from '../practitioners/practitioner.ts';


type Details = Awaited<ReturnType<OidcProvider['interactionDetails']>>;

export async function buildInteractionView(
  provider: OidcProvider,
  prisma: Db,
  details: Details,
  methods: LoginMethodId[],
  page: { demo: boolean; jpkiPagePin: boolean; hpkiCertOrigin?: string; dailyWindow: DailyWindow },
): Promise<InteractionView> {
  const { demo, jpkiPagePin, hpkiCertOrigin, dailyWindow } = page;
  const clientId = String(details.params.client_id);
  const client = await provider.Client.find(clientId);
  methods = methodsMeeting(methodsForService(methods, readServicePolicy(client?.metadata())), String(details.params.acr_values ?? ''));
  const scopes = String(details.params.scope ?? '').split(' ').filter(Boolean);
  const claims = scopes.flatMap((s) => (CLAIMS as Record<string, string[]>)[s] ?? []).filter((c) => !c.includes('#'));
  const rar = (details.prompt.details as { rar?: unknown[] }).rar;
  let account: InteractionView['account'] = null;
  const accountId = details.session?.accountId;
  if (accountId) {
    const p = await prisma.practitioner.findUnique({ where: { id: accountId } });
    if (p) {
      account = {
        name: `${p.givenName} ${p.familyName}`,
        nameKanji: p.familyNameKanji && p.givenNameKanji ? `${p.familyNameKanji} ${p.givenNameKanji}` : null,
        qualifications: hcRoleClaim(parseStoredHcRoles(p.hcRoles)).map((r) => ({ ja: r.displayJa, en: r.displayEn })),
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
    // As a service's policy names them (the phone approving a terminal login is `passkey`).
    methods: [...new Set(methods.map(offeredAs))],
    chooser: methods.map((id) => ({ id, ...loginMethod(id)!.chooser, devices: [...loginMethod(id)!.chooser.devices] })),
    account,
    demo,
    jpkiPagePin,
    hpkiCertUrl: hpkiCertOrigin ? navigationUrl(methods, hpkiCertOrigin, details.uid) : null,
    signing: rar?.length && accountId ? signingView(await describeSigningRequest(prisma, accountId, rar, dailyWindow, await loginTime(provider, details))) : null,
  };
}

/** The signing request as the consent page shows it: the issuing CA by name, the window's length. */
function signingView(request: Awaited<ReturnType<typeof describeSigningRequest>>): NonNullable<InteractionView['signing']> {
  const certificate = request.certificate ? { ...request.certificate, issuerName: commonName(request.certificate.issuer) } : null;
  return { ...request, certificate, validitySeconds: Math.max(0, Math.round((Date.parse(request.until) - Date.now()) / 1000)) };
}

/** auth_time of the SSO session behind the interaction: where its daily window started. */
async function loginTime(provider: OidcProvider, details: Details): Promise<number | undefined> {
  const uid = details.session?.uid;
  const session = uid ? await provider.Session.findByUid(uid) : undefined;
  return session?.loginTs;
}

/** The CN of an RFC 4514 distinguished name (the whole name when it has none). */
export function commonName(dn: string): string {
  return /(?:^|,\s*)CN=((?:\\.|[^,])+)/i.exec(dn)?.[1]?.replace(/\\(.)/g, '$1').trim() ?? dn;
}


/** Where the browser navigates for an offered method whose login is a page (served on the TLS listener's origin). */
function navigationUrl(methods: LoginMethodId[], origin: string, uid: string): string | null {
  for (const id of methods) {
    const method = loginMethod(id)!;
    const step = method.steps.find((s) => s.response === 'page');
    if (step) return `${origin}/interaction/${uid}/${stepPath(method, step)}`;
  }
  return null;
}

/**
 * With `acr_values`, only methods that reach the lowest requested level are offered (e.g. a fresh
 * HPKI login for a device change). Unknown values are ignored.
 */
export function methodsMeeting(methods: LoginMethodId[], acrValues: string): LoginMethodId[] {
  const ranks = acrValues
    .split(' ')
    .map((v) => ACR_RANK[v as AcrValue])
    .filter((r): r is number => r !== undefined);
  if (ranks.length === 0) return methods;
  const minimum = Math.min(...ranks);
  return methods.filter((m) => (ACR_RANK[loginMethod(m)!.assurance.acr] ?? 0) >= minimum);
}
