import { beginLoginInteraction } from '../support/authorization-request.ts';
import { jsonPost } from '../support/browser-flow.ts';
import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { cardLogin, consentToCode, exchangeCode, type Server } from './flows.ts';
import type { RelyingParty } from './portal-target.ts';

export interface ReplayResult {
  challengeReplays: number;
  challengeAccepted: number;
  /** "<status> <error code>" → count. */
  challengeOutcomes: Record<string, number>;
  codeReplays: number;
  codeAccepted: number;
  codeOutcomes: Record<string, number>;
  /** Access tokens of the first exchange still answering userinfo after their code was replayed. */
  tokensStillValidAfterReplay: number;
}

const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

async function outcome(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return `${res.status} ${(JSON.parse(text) as { error?: string }).error ?? '-'}`;
  } catch {
    return `${res.status} (not JSON)`;
  }
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>) {
  let i = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (i < items.length) await work(items[i++]!);
  }));
}

/**
 * Replays after success. Card: `sources` logins succeed, then each (nonce, token) pair is presented
 * again `perSource` times — alternately in a fresh login of another browser and in the finished
 * login of the same browser. Codes: `sources` codes are exchanged once, then each is presented `perSource`
 * more times; oidc-provider must refuse them and revoke what the first exchange issued.
 */
export async function runReplay(server: Server, rp: RelyingParty, cards: IssuedCertificate[], options: { sources: number; perSource: number; concurrency?: number }): Promise<ReplayResult> {
  const concurrency = options.concurrency ?? 10;
  const result: ReplayResult = { challengeReplays: 0, challengeAccepted: 0, challengeOutcomes: {}, codeReplays: 0, codeAccepted: 0, codeOutcomes: {}, tokensStillValidAfterReplay: 0 };

  const logins = await Promise.all(Array.from({ length: options.sources }, (_, i) => cardLogin(server, rp, cards[i % cards.length]!)));
  const challengeJobs = logins.flatMap((login) => Array.from({ length: options.perSource }, (_, k) => ({ login, sameBrowser: k % 2 === 1 })));
  await pool(challengeJobs, concurrency, async ({ login, sameBrowser }) => {
    // Into a fresh login of another browser, or back into the finished login of the same browser.
    const target = sameBrowser ? { jar: login.jar, uid: login.uid } : await beginLoginInteraction(server.url, rp);
    const res = await target.jar.fetch(`${server.url}/interaction/${target.uid}/hpki-card/verify`, jsonPost({ nonce: login.nonce, token: login.token }));
    result.challengeReplays++;
    if (res.status === 200) result.challengeAccepted++;
    count(result.challengeOutcomes, await outcome(res));
  });

  const codes = await Promise.all(
    logins.map(async (login) => {
      const { code } = await consentToCode(server, rp, login.jar, login.redirectTo);
      const first = await exchangeCode(server, rp, code, login.verifier);
      if (first.status !== 200) throw new Error(`first exchange of a code failed: ${first.status} ${await first.text()}`);
      const { access_token } = (await first.json()) as { access_token: string };
      return { code, verifier: login.verifier, accessToken: access_token };
    }),
  );
  const codeJobs = codes.flatMap((c) => Array.from({ length: options.perSource }, () => c));
  await pool(codeJobs, concurrency, async (c) => {
    const res = await exchangeCode(server, rp, c.code, c.verifier);
    result.codeReplays++;
    if (res.status === 200) result.codeAccepted++;
    count(result.codeOutcomes, await outcome(res));
  });
  for (const c of codes) {
    const me = await fetch(`${server.url}/oidc/me`, { headers: { authorization: `Bearer ${c.accessToken}` } });
    await me.arrayBuffer();
    if (me.status === 200) result.tokensStillValidAfterReplay++;
  }
  return result;
}
