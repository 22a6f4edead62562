/**
 * Limits on what an unauthenticated client can repeat (SPEC §12), per client address ("-ip"), per
 * login interaction ("-interaction") or per account ("-account"): at most `points` requests per
 * `seconds`. A hospital behind one NAT address shows many people as one address, so the per-address
 * limits are generous; the per-interaction caps are tight (one person, one login).
 * Override any of them with RATE_LIMITS="name=points/seconds,…".
 */
export const RATE_LIMIT_DEFAULTS = {
  /** Browsers' authorization requests (/oidc/auth and its resumption, the portal's own login): each makes an interaction. */
  'authorize-ip': { points: 600, seconds: 60 },
  /** Card challenges and passkey options (a stored, single-use challenge each). */
  'challenge-ip': { points: 300, seconds: 60 },
  /** Challenges in one login: a person retrying the card or the PIN, not a script. */
  'challenge-interaction': { points: 20, seconds: 15 * 60 },
  /** Card, passkey, My Number Card and client-certificate login finishes. */
  'finish-ip': { points: 300, seconds: 60 },
  'finish-interaction': { points: 20, seconds: 15 * 60 },
  /** Registration passwords and passkeys across all codes (each code also locks at 5 wrong passwords). */
  'registration-ip': { points: 30, seconds: 60 },
  /** Cross-device login: QR codes started, per address and per login. */
  'cross-device-start-ip': { points: 60, seconds: 60 },
  'cross-device-start-interaction': { points: 10, seconds: 15 * 60 },
  /** The terminal's polling while the phone approves (every 2 s), per address and per login. */
  'cross-device-status-ip': { points: 1200, seconds: 60 },
  'cross-device-status-interaction': { points: 120, seconds: 60 },
  /** The phone's side of a cross-device login. */
  'approve-ip': { points: 60, seconds: 60 },
  /** Failed token-endpoint requests (bad code, client secret, refresh token…). */
  'token-failure-ip': { points: 60, seconds: 60 },
  /** Administration console requests, per address and per administrator. */
  'admin-ip': { points: 600, seconds: 60 },
  'admin-account': { points: 300, seconds: 60 },
} as const satisfies Record<string, RateLimit>;

export interface RateLimit {
  points: number;
  seconds: number;
}

export type RateLimitName = keyof typeof RATE_LIMIT_DEFAULTS;
export type RateLimitSettings = Record<RateLimitName, RateLimit>;

/**
 * RATE_LIMITS that lifts every limit out of reach: for the load, replay and fuzz runs and the
 * benchmark, which measure other things from one address (the flood run measures the limits).
 */
export const LIMITS_OUT_OF_REACH = Object.keys(RATE_LIMIT_DEFAULTS)
  .map((name) => `${name}=1000000/60`)
  .join(',');

/** The defaults with RATE_LIMITS overrides ("challenge-ip=100/60,finish-ip=50/60"); a clear error otherwise. */
export function parseRateLimits(value: string | undefined): RateLimitSettings {
  const settings: RateLimitSettings = { ...RATE_LIMIT_DEFAULTS };
  for (const item of (value ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^([a-z-]+)=(\d{1,7})\/(\d{1,6})$/.exec(item);
    if (!match) throw new Error(`RATE_LIMITS: "${item}" is not name=points/seconds`);
    const [, name, points, seconds] = match;
    if (!(name! in RATE_LIMIT_DEFAULTS)) throw new Error(`RATE_LIMITS: unknown limit "${name}" (known: ${Object.keys(RATE_LIMIT_DEFAULTS).join(', ')})`);
    if (Number(points) < 1 || Number(seconds) < 1) throw new Error(`RATE_LIMITS: "${item}" needs at least 1 point per 1 second`);
    settings[name as RateLimitName] = { points: Number(points), seconds: Number(seconds) };
  }
  return settings;
}
