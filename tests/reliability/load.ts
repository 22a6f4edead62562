import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import { fullCardLogin, percentile, type Server } from './flows.ts';
import type { RelyingParty } from './portal-target.ts';

/**
 * One virtual user per entry of `users` (each may send from an address of its own), doing full card
 * logins back to back — or `thinkMs` apart — until `done()`; the cards rotate. Latencies sorted.
 */
export async function cardLoginsUntil(users: Server[], rp: RelyingParty, cards: IssuedCertificate[], done: () => boolean, thinkMs = 0) {
  const latencies: number[] = [];
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  let next = 0;
  await Promise.all(
    users.map(async (user) => {
      while (!done()) {
        const card = cards[next++ % cards.length]!;
        const t0 = performance.now();
        try {
          await fullCardLogin(user, rp, card);
          latencies.push(performance.now() - t0);
        } catch (error) {
          errors++;
          const kind = String((error as Error).message).slice(0, 200);
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        }
        if (thinkMs) await new Promise((resolve) => setTimeout(resolve, thinkMs));
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  return { latencies, errors, errorKinds };
}

export interface LoadResult {
  logins: number;
  errors: number;
  /** Error message → count (first 200 characters), so a failure says what went wrong. */
  errorKinds: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  seconds: number;
  perSecond: number;
}

/**
 * `concurrency` virtual users, each doing full HPKI card logins back to back (PAR → challenge →
 * web-eid:1 token → consent → code → token exchange) until `durationMs` has passed; the cards
 * rotate so several practitioners log in at once.
 */
export async function runLoad(server: Server, rp: RelyingParty, cards: IssuedCertificate[], options: { durationMs: number; concurrency: number }): Promise<LoadResult> {
  const started = performance.now();
  const deadline = started + options.durationMs;
  const users = Array.from({ length: options.concurrency }, () => server);
  const { latencies, errors, errorKinds } = await cardLoginsUntil(users, rp, cards, () => performance.now() >= deadline);
  const seconds = (performance.now() - started) / 1000;
  return {
    logins: latencies.length,
    errors,
    errorKinds,
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
    maxMs: Math.round(latencies.at(-1) ?? NaN),
    seconds: Math.round(seconds * 10) / 10,
    perSecond: Math.round((latencies.length / seconds) * 10) / 10,
  };
}
