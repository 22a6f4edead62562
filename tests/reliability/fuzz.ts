import crypto from 'node:crypto';
import { CookieJar } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { jsonPost, myNumberCardProof } from '../support/browser-flow.ts';
import { legacyJwsToken, webEidToken } from '../support/card-tokens.ts';
import { SoftwareAuthenticator } from '../support/software-authenticator.ts';
import type { EhrClient } from '../support/ehr-client.ts';
import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { caseRng, int, mutate, mutateText, pick, randomJsonValue, type Rng } from './mutations.ts';
import type { Server } from './flows.ts';
import type { Registrant, RelyingParty } from './portal-target.ts';

/**
 * Mutated certificates and tokens through every verification endpoint. A case is one request with
 * one mutated input; the server must answer every one with a status below 500 and stay up.
 */
export const FUZZ_TARGETS = ['card-webeid', 'card-jws', 'my-number-card', 'registration-passkey', 'passkey-login', 'hpki-cert-header', 'sign-hash'] as const;
export type FuzzTarget = (typeof FUZZ_TARGETS)[number];

export interface FuzzContext {
  server: Server;
  rp: RelyingParty;
  card: IssuedCertificate;
  cardEcdsa: IssuedCertificate;
  jpkiCard: IssuedCertificate;
  /** Registration codes the fuzzer may spend (a case that happens to register uses one up). */
  registrants: Registrant[];
  /** A registered passkey for the login cases (its own practitioner). */
  passkey: SoftwareAuthenticator;
  signing: { ehr: EhrClient; accessToken: string; credentialId: string };
}

export interface FuzzFailure {
  index: number;
  target: FuzzTarget;
  how: string;
  status: number | 'no-response';
  body: string;
}

export interface FuzzResult {
  seed: number;
  cases: number;
  byTarget: Record<string, number>;
  byStatus: Record<string, number>;
  serverErrors: FuzzFailure[];
  noResponse: FuzzFailure[];
  skipped: number;
  stillAnswersDiscovery: boolean;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

interface Sent {
  status: number;
  body: string;
}

/** A login interaction a worker reuses until a case happens to complete it. */
class Interaction {
  private current?: Promise<{ jar: CookieJar; uid: string }>;
  constructor(private readonly ctx: FuzzContext) {}
  get(): Promise<{ jar: CookieJar; uid: string }> {
    this.current ??= beginLoginInteraction(this.ctx.server.url, this.ctx.rp);
    return this.current;
  }
  spend(): void {
    this.current = undefined;
  }
}

async function send(jar: CookieJar | undefined, url: string, init: RequestInit): Promise<Sent> {
  const res = jar ? await jar.fetch(url, init) : await fetch(url, { redirect: 'manual', ...init });
  return { status: res.status, body: (await res.text()).slice(0, 300) };
}

type CaseRunner = (rng: Rng, interaction: Interaction, worker: WorkerState) => Promise<{ how: string; sent: Sent | null }>;

interface WorkerState {
  registrantCursor: number;
}

function runners(ctx: FuzzContext, workers: number): Record<FuzzTarget, CaseRunner> {
  const { server } = ctx;
  const cardChallenge = async (interaction: Interaction, path: 'hpki-card' | 'jpki') => {
    const { jar, uid } = await interaction.get();
    const res = await jar.fetch(`${server.url}/interaction/${uid}/${path}/challenge`, jsonPost({}));
    if (res.status !== 200) {
      interaction.spend();
      throw new Error(`challenge ${res.status}: ${await res.text()}`);
    }
    return { jar, uid, nonce: ((await res.json()) as { nonce: string }).nonce };
  };
  const afterLogin = (interaction: Interaction, sent: Sent) => {
    if (sent.status < 400 || /interaction/.test(sent.body)) interaction.spend();
    return sent;
  };

  return {
    async 'card-webeid'(rng, interaction) {
      const { jar, uid, nonce } = await cardChallenge(interaction, 'hpki-card');
      const card = rng() < 0.5 ? ctx.card : ctx.cardEcdsa;
      const token: Record<string, unknown> = await webEidToken(card, { origin: server.origin, nonce });
      let how: string;
      let body: unknown;
      const part = pick(rng, ['certificate', 'certificate', 'certificate', 'signature', 'field', 'json-text']);
      if (part === 'certificate') {
        const m = mutate(rng, card.der, { der: true });
        token.unverifiedCertificate = b64(m.bytes);
        how = `unverifiedCertificate ${m.how}`;
        body = { nonce, token };
      } else if (part === 'signature') {
        const m = mutate(rng, Buffer.from(String(token.signature), 'base64'));
        token.signature = b64(m.bytes);
        how = `signature ${m.how}`;
        body = { nonce, token };
      } else if (part === 'field') {
        const field = pick(rng, ['format', 'algorithm', 'appVersion', 'unverifiedCertificate', 'signature', 'nonce']);
        const value = randomJsonValue(rng);
        if (field === 'nonce') body = { nonce: value, token };
        else body = { nonce, token: { ...token, [field]: value } };
        how = `${field} := ${JSON.stringify(value)?.slice(0, 40)}`;
      } else {
        const m = mutateText(rng, JSON.stringify(token));
        how = `token JSON text ${m.how}`;
        body = { nonce, token: m.text };
      }
      return { how, sent: afterLogin(interaction, await send(jar, `${server.url}/interaction/${uid}/hpki-card/verify`, jsonPost(body))) };
    },

    async 'card-jws'(rng, interaction) {
      const { jar, uid, nonce } = await cardChallenge(interaction, 'hpki-card');
      const card = rng() < 0.5 ? ctx.card : ctx.cardEcdsa;
      let how: string;
      let jws: string;
      if (rng() < 0.5) {
        const m = mutate(rng, card.der, { der: true });
        // The JWS is signed by the card over the mutated x5c, so only the certificate is wrong.
        jws = await legacyJwsToken(card, { origin: server.origin, nonce, x5c: [b64(m.bytes)] });
        how = `x5c ${m.how}`;
      } else {
        const valid = await legacyJwsToken(card, { origin: server.origin, nonce });
        const parts = valid.split('.');
        const which = int(rng, 4);
        if (which < 3) {
          const m = mutate(rng, Buffer.from(parts[which]!, 'base64url'));
          parts[which] = b64url(m.bytes);
          how = `JWS part ${which} ${m.how}`;
          jws = parts.join('.');
        } else {
          const m = mutateText(rng, valid);
          how = `JWS text ${m.how}`;
          jws = m.text;
        }
      }
      return { how, sent: afterLogin(interaction, await send(jar, `${server.url}/interaction/${uid}/hpki-card/verify`, jsonPost({ nonce, token: jws }))) };
    },

    async 'my-number-card'(rng, interaction) {
      // The card bridge's token (origin-bound; the page-made proof is refused outside the demo).
      const { jar, uid, nonce } = await cardChallenge(interaction, 'jpki');
      const token: Record<string, unknown> = await webEidToken(ctx.jpkiCard, { origin: server.origin, nonce });
      let body: Record<string, unknown> = { nonce, token };
      let how: string;
      const part = pick(rng, ['certificate', 'certificate', 'signature', 'field', 'unbound']);
      if (part === 'certificate') {
        const m = mutate(rng, ctx.jpkiCard.der, { der: true });
        token.unverifiedCertificate = b64(m.bytes);
        how = `certificate ${m.how}`;
      } else if (part === 'signature') {
        const m = mutate(rng, Buffer.from(String(token.signature), 'base64'));
        token.signature = b64(m.bytes);
        how = `signature ${m.how}`;
      } else if (part === 'unbound') {
        body = await myNumberCardProof(ctx.jpkiCard, nonce);
        how = 'page-made proof without an origin';
      } else {
        const field = pick(rng, ['unverifiedCertificate', 'signature', 'algorithm', 'format', 'nonce']);
        if (field === 'nonce') body.nonce = randomJsonValue(rng);
        else token[field] = randomJsonValue(rng);
        how = `${field} := ${JSON.stringify(field === 'nonce' ? body.nonce : token[field])?.slice(0, 40)}`;
      }
      return { how, sent: afterLogin(interaction, await send(jar, `${server.url}/interaction/${uid}/jpki/verify`, jsonPost(body))) };
    },

    async 'registration-passkey'(rng, _interaction, worker) {
      // Each worker spends its own registrants so concurrent cases never share a code.
      let registrant: Registrant | undefined;
      let options: Parameters<SoftwareAuthenticator['register']>[0] | undefined;
      while (!options) {
        registrant = ctx.registrants[worker.registrantCursor];
        if (!registrant) return { how: 'no registration code left', sent: null };
        const res = await fetch(`${server.url}/api/register/${registrant.code}/password`, jsonPost({ password: registrant.password }));
        if (res.status === 200) options = ((await res.json()) as { options: typeof options }).options;
        else {
          await res.arrayBuffer();
          worker.registrantCursor += workers;
        }
      }
      const response = new SoftwareAuthenticator(server.origin).register(options) as unknown as Record<string, unknown> & { response: Record<string, unknown> };
      const part = pick(rng, ['attestationObject', 'attestationObject', 'attestationObject', 'clientDataJSON', 'id', 'field']);
      let how: string;
      if (part === 'attestationObject' || part === 'clientDataJSON') {
        const m = mutate(rng, Buffer.from(String(response.response[part]), 'base64url'));
        response.response[part] = b64url(m.bytes);
        how = `${part} ${m.how}`;
      } else if (part === 'id') {
        const m = mutate(rng, Buffer.from(String(response.id), 'base64url'));
        response.id = response.rawId = b64url(m.bytes);
        how = `id ${m.how}`;
      } else {
        const field = pick(rng, ['transports', 'publicKeyAlgorithm', 'authenticatorData', 'publicKey', 'type']);
        response.response[field] = randomJsonValue(rng);
        how = `response.${field} := ${JSON.stringify(response.response[field])?.slice(0, 40)}`;
      }
      const sent = await send(undefined, `${server.url}/api/register/${registrant!.code}/passkey`, jsonPost({ response }));
      if (sent.status === 200) worker.registrantCursor += workers;
      return { how, sent };
    },

    async 'passkey-login'(rng, interaction) {
      const { jar, uid } = await interaction.get();
      const optionsRes = await jar.fetch(`${server.url}/interaction/${uid}/passkey/options`, jsonPost({}));
      if (optionsRes.status !== 200) {
        interaction.spend();
        throw new Error(`passkey options ${optionsRes.status}: ${await optionsRes.text()}`);
      }
      const assertion = ctx.passkey.authenticate((await optionsRes.json()) as never) as unknown as Record<string, unknown> & { response: Record<string, unknown> };
      const part = pick(rng, ['authenticatorData', 'signature', 'signature', 'clientDataJSON', 'userHandle', 'id', 'field']);
      let how: string;
      if (part === 'id') {
        const m = mutate(rng, Buffer.from(String(assertion.id), 'base64url'));
        assertion.id = assertion.rawId = b64url(m.bytes);
        how = `id ${m.how}`;
      } else if (part === 'field') {
        const field = pick(rng, ['authenticatorData', 'signature', 'clientDataJSON', 'userHandle']);
        assertion.response[field] = randomJsonValue(rng);
        how = `response.${field} := ${JSON.stringify(assertion.response[field])?.slice(0, 40)}`;
      } else {
        const m = mutate(rng, Buffer.from(String(assertion.response[part]), 'base64url'), { der: part === 'signature' });
        assertion.response[part] = b64url(m.bytes);
        how = `${part} ${m.how}`;
      }
      return { how, sent: afterLogin(interaction, await send(jar, `${server.url}/interaction/${uid}/passkey/verify`, jsonPost(assertion))) };
    },

    async 'hpki-cert-header'(rng, interaction) {
      const { jar, uid } = await interaction.get();
      const card = rng() < 0.5 ? ctx.card : ctx.cardEcdsa;
      const m = mutate(rng, card.der, { der: true });
      let headers: Record<string, string>;
      let how: string;
      const style = int(rng, 3);
      if (style === 0) {
        headers = { 'client-cert': `:${b64(m.bytes)}:` };
        how = `Client-Cert ${m.how}`;
      } else if (style === 1) {
        const pem = `-----BEGIN CERTIFICATE-----\n${b64(m.bytes).replace(/.{64}/g, '$&\n')}\n-----END CERTIFICATE-----\n`;
        headers = { 'x-ssl-client-cert': encodeURIComponent(pem) };
        how = `X-SSL-Client-Cert PEM ${m.how}`;
      } else {
        const t = mutateText(rng, `:${b64(card.der)}:`);
        // Header values cannot carry control characters or non-Latin-1; keep what fetch can send.
        headers = { [pick(rng, ['client-cert', 'x-ssl-client-cert'])]: t.text.replace(/[^\x20-\x7e]/g, '%').slice(0, 60_000) };
        how = `header text ${t.how}`;
      }
      const sent = await send(jar, `${server.url}/interaction/${uid}/hpki-cert`, { method: 'GET', headers });
      if (sent.status < 400 || /interaction_(expired|mismatch)/.test(sent.body)) interaction.spend();
      return { how, sent };
    },

    async 'sign-hash'(rng) {
      const { ehr, accessToken, credentialId } = ctx.signing;
      const valid: Record<string, unknown> = {
        credentialID: credentialId,
        hashes: [crypto.createHash('sha256').update(String(rng())).digest('base64')],
        hashAlgorithmOID: '2.16.840.1.101.3.4.2.1',
        signAlgo: '1.2.840.113549.1.1.1',
        documentType: 'e-prescription',
      };
      let how: string;
      let text: string;
      const part = pick(rng, ['hash', 'hash', 'field', 'field', 'json-text', 'many-hashes']);
      if (part === 'hash') {
        const m = mutate(rng, Buffer.from((valid.hashes as string[])[0]!, 'base64'));
        valid.hashes = [b64(m.bytes)];
        how = `hash ${m.how}`;
        text = JSON.stringify(valid);
      } else if (part === 'field') {
        const field = pick(rng, ['credentialID', 'hashes', 'hashAlgorithmOID', 'signAlgo', 'documentType', 'signAlgoParams', 'numSignatures']);
        valid[field] = randomJsonValue(rng);
        how = `${field} := ${JSON.stringify(valid[field])?.slice(0, 40)}`;
        text = JSON.stringify(valid);
      } else if (part === 'many-hashes') {
        const n = 1 + int(rng, 3000);
        valid.hashes = Array.from({ length: n }, (_, i) => crypto.createHash('sha256').update(String(i)).digest('base64'));
        how = `${n} hashes`;
        text = JSON.stringify(valid);
      } else {
        const m = mutateText(rng, JSON.stringify(valid));
        how = `body text ${m.how}`;
        text = m.text;
      }
      const url = `${server.origin}/csc/v2/signatures/signHash`;
      const sent = await send(undefined, `${server.url}/csc/v2/signatures/signHash`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `DPoP ${accessToken}`, dpop: await ehr.dpopProof('POST', url, accessToken) },
        body: text,
      });
      return { how, sent };
    },
  };
}

/**
 * Runs `cases` cases, round robin over the targets, `concurrency` at a time. Case i is rebuilt by
 * (seed, i) alone; `only` runs just those case indices (to reproduce a failure).
 */
export async function runFuzz(ctx: FuzzContext, options: { seed: number; cases: number; concurrency?: number; only?: number[]; log?: (line: string) => void }): Promise<FuzzResult> {
  const concurrency = options.concurrency ?? 12;
  const all = runners(ctx, concurrency);
  const result: FuzzResult = { seed: options.seed, cases: 0, byTarget: {}, byStatus: {}, serverErrors: [], noResponse: [], skipped: 0, stillAnswersDiscovery: false };
  const indices = options.only ?? Array.from({ length: options.cases }, (_, i) => i);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const interaction = new Interaction(ctx);
      const worker: WorkerState = { registrantCursor: w };
      while (next < indices.length) {
        const index = indices[next++]!;
        const target = FUZZ_TARGETS[index % FUZZ_TARGETS.length]!;
        const rng = caseRng(options.seed, index);
        let outcome: { how: string; sent: Sent | null };
        try {
          outcome = await all[target](rng, interaction, worker);
        } catch (error) {
          // fetch failing outright means the server did not answer: a crash or a dropped connection.
          const failure: FuzzFailure = { index, target, how: 'setup or request failed', status: 'no-response', body: String((error as Error).cause ?? (error as Error).message).slice(0, 300) };
          result.noResponse.push(failure);
          options.log?.(`fuzz case ${index} (${target}): no response: ${failure.body}`);
          continue;
        }
        if (!outcome.sent) {
          result.skipped++;
          continue;
        }
        result.cases++;
        result.byTarget[target] = (result.byTarget[target] ?? 0) + 1;
        const status = String(outcome.sent.status);
        result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
        if (outcome.sent.status >= 500) {
          result.serverErrors.push({ index, target, how: outcome.how, status: outcome.sent.status, body: outcome.sent.body });
          options.log?.(`fuzz case ${index} (${target}, ${outcome.how}): HTTP ${outcome.sent.status} ${outcome.sent.body}`);
        }
      }
    }),
  );
  try {
    const discovery = await fetch(`${ctx.server.url}/oidc/.well-known/openid-configuration`);
    result.stillAnswersDiscovery = discovery.status === 200 && typeof ((await discovery.json()) as { issuer?: string }).issuer === 'string';
  } catch {
    result.stillAnswersDiscovery = false;
  }
  return result;
}
