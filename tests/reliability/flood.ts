import { Agent, fetch as undiciFetch, request } from 'undici';
import type { IssuedCertificate } from '../../src/pki/test-pki/index.ts';
import type { FetchLike } from '../support/test-portal.ts';
import { beginLoginInteraction } from '../support/authorization-request.ts';
import { percentile, type Server } from './flows.ts';
import { cardLoginsUntil } from './load.ts';
import type { RelyingParty } from './portal-target.ts';

/**
 * The flood run (issue 12 §5): one address sends `challengeRequests` card challenges on one login
 * and `spoofedRequests` requests carrying a client-certificate header it may not send, while
 * `honestClients` browsers — each from an address of its own, and a service's server from another —
 * do full card logins. The same honest load runs once quietly first, for comparison.
 * Loopback addresses (127.0.0.0/8) stand in for the different machines.
 */
export interface FloodOptions {
  challengeRequests: number;
  spoofedRequests: number;
  honestClients: number;
  /** How long the quiet run lasts; the honest load during the flood lasts as long as the flood. */
  quietMs: number;
  attackerConnections: number;
  attackerAddress?: string;
  /** Each honest browser waits this long between its logins (a person, not a load generator). */
  thinkMs?: number;
}

export interface HonestRun {
  logins: number;
  errors: number;
  errorKinds: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
}

export interface FloodResult {
  quiet: HonestRun;
  flood: HonestRun;
  /** The same honest load again, alone, for as long as the flood lasted: the control for memory. */
  control: HonestRun;
  attacker: { sent: number; byStatus: Record<string, number>; seconds: number; perSecond: number; refusedConnections: number };
  /**
   * The portal's resident memory: at the start, its peak in the quiet run, in the flood and in the
   * control window after it. `growthMb`: flood peak − quiet peak; `controlGrowthMb`: control peak −
   * flood peak, what the honest load alone adds in a window as long (an embedded database grows with
   * the data the logins write); `floodOwnMb` = growthMb − controlGrowthMb.
   */
  rss?: { startMb: number; quietPeakMb: number; floodPeakMb: number; controlPeakMb: number; growthMb: number; controlGrowthMb: number; floodOwnMb: number };
}

/** A fetch whose connections leave from `address` (the global fetch cannot choose it). */
export function fetchFrom(address: string, connections = 8): FetchLike & { close(): Promise<void> } {
  const agent = new Agent({ localAddress: address, connections });
  const send = ((url: string, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent }) as unknown as Promise<Response>) as FetchLike & { close(): Promise<void> };
  send.close = () => agent.close();
  return send;
}

async function honestLoad(rp: RelyingParty, cards: IssuedCertificate[], clients: Server[], until: () => boolean, thinkMs = 0): Promise<HonestRun> {
  const { latencies, errors, errorKinds } = await cardLoginsUntil(clients, rp, cards, until, thinkMs);
  return { logins: latencies.length, errors, errorKinds, p50Ms: Math.round(percentile(latencies, 50)), p99Ms: Math.round(percentile(latencies, 99)) };
}

/** Sends `total` requests from one address over `connections` sockets; counts answers by status. */
async function attack(
  url: (i: number) => string,
  init: (i: number) => { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  total: number,
  agent: Agent,
  connections: number,
  byStatus: Record<string, number>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < total) {
        const i = next++;
        try {
          const res = await request(url(i), { ...init(i), dispatcher: agent });
          await res.body.dump();
          byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
        } catch (error) {
          const code = (error as { code?: string }).code ?? 'error';
          byStatus[code] = (byStatus[code] ?? 0) + 1;
        }
      }
    }),
  );
}

export async function runFlood(
  server: Server,
  rp: RelyingParty,
  cards: IssuedCertificate[],
  options: FloodOptions,
  /** The portal process's resident memory in bytes, when the caller can read it. */
  rss?: () => number,
): Promise<FloodResult> {
  const attackerAddress = options.attackerAddress ?? '127.0.0.1';
  const service = fetchFrom('127.0.0.2', 32);
  const browsers = Array.from({ length: options.honestClients }, (_, i) => fetchFrom(`127.0.0.${11 + i}`));
  const clients: Server[] = browsers.map((browser) => ({ ...server, net: { service, browser } }));
  try {
    // Quiet: the honest load alone.
    const rssStart = rss?.();
    let peak = rssStart ?? 0;
    const sampler = rss ? setInterval(() => (peak = Math.max(peak, rss())), 100) : undefined;
    const quietEnd = performance.now() + options.quietMs;
    const quiet = await honestLoad(rp, cards, clients, () => performance.now() > quietEnd, options.thinkMs);
    const quietPeak = peak;

    // The attacker holds one login of its own (its cookie) and floods it.
    const attackerFetch = fetchFrom(attackerAddress, 2);
    const login = await beginLoginInteraction(server.url, rp, { service, browser: attackerFetch });
    await attackerFetch.close();
    const cookie = login.jar.header();
    const agent = new Agent({ localAddress: attackerAddress, connections: options.attackerConnections, pipelining: 1 });
    const byStatus: Record<string, number> = {};
    let flooding = true;
    const started = performance.now();
    const honestDuringFlood = honestLoad(rp, cards, clients, () => !flooding, options.thinkMs);
    await Promise.all([
      attack(
        () => `${server.url}/interaction/${login.uid}/hpki-card/challenge`,
        () => ({ method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: '{}' }),
        options.challengeRequests,
        agent,
        options.attackerConnections,
        byStatus,
      ),
      attack(
        () => `${server.url}/interaction/${login.uid}/hpki-cert`,
        () => ({ method: 'GET', headers: { cookie, 'client-cert': ':MIIBkjCCATegAwIBAgIUAAAA:', 'x-ssl-client-cert': '-----BEGIN%20CERTIFICATE-----' } }),
        options.spoofedRequests,
        agent,
        Math.max(1, Math.floor(options.attackerConnections / 10)),
        byStatus,
      ),
    ]);
    const seconds = (performance.now() - started) / 1000;
    flooding = false;
    const flood = await honestDuringFlood;
    if (rss) peak = Math.max(peak, rss());
    const floodPeak = peak;
    const controlEnd = performance.now() + seconds * 1000;
    const control = await honestLoad(rp, cards, clients, () => performance.now() > controlEnd, options.thinkMs);
    if (sampler) clearInterval(sampler);
    if (rss) peak = Math.max(peak, rss());
    await agent.close();
    const sent = options.challengeRequests + options.spoofedRequests;
    return {
      quiet,
      flood,
      control,
      attacker: {
        sent,
        byStatus,
        seconds: Math.round(seconds * 10) / 10,
        perSecond: Math.round(sent / seconds),
        refusedConnections: (byStatus['503'] ?? 0) + (byStatus.ECONNRESET ?? 0) + (byStatus.UND_ERR_SOCKET ?? 0),
      },
      rss:
        rssStart === undefined
          ? undefined
          : {
              startMb: mb(rssStart),
              quietPeakMb: mb(quietPeak),
              floodPeakMb: mb(floodPeak),
              controlPeakMb: mb(peak),
              growthMb: mb(floodPeak - quietPeak),
              controlGrowthMb: mb(peak - floodPeak),
              floodOwnMb: mb(floodPeak - quietPeak - (peak - floodPeak)),
            },
    };
  } finally {
    await Promise.all([service.close(), ...browsers.map((b) => b.close())]);
  }
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
