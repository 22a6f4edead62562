import type { Pool } from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RATE_LIMIT_DEFAULTS, type RateLimitName, type RateLimitSettings } from '../config/rate-limits.ts';

export type LimitDecision = { ok: true } | { ok: false; limit: RateLimitName; retryAfterSeconds: number };

export interface RateLimiters {
  /** Counts one request against `limit` for `key` (an address, an interaction, an account). */
  consume(limit: RateLimitName, key: string): Promise<LimitDecision>;
  /** Whether `key` has used up `limit`, without counting (before a request of which only failures count). */
  blocked(limit: RateLimitName, key: string): Promise<LimitDecision>;
  readonly settings: RateLimitSettings;
}

/**
 * rate-limiter-flexible limiters, one per limit. On PostgreSQL the counters live in the `rate_limit`
 * table, so every instance shares them; on the embedded database (one process) they live in memory.
 * A key over its limit is then also blocked in this process's memory until its window ends, so a
 * flood of refused requests costs no database round trip. Should the table be unreachable, an
 * in-memory limiter stands in (limits hold per instance) rather than letting everything through.
 */
export function createRateLimiters(settings: RateLimitSettings, pool: Pool | undefined): RateLimiters {
  const limiters = new Map<RateLimitName, RateLimiterAbstract>();
  for (const name of Object.keys(RATE_LIMIT_DEFAULTS) as RateLimitName[]) {
    const { points, seconds } = settings[name];
    const common = { keyPrefix: name, points, duration: seconds };
    limiters.set(
      name,
      pool
        ? new RateLimiterPostgres({
            ...common,
            storeClient: pool,
            storeType: 'pool',
            tableName: 'rate_limit',
            // Created by the migration; expired rows are removed by the portal's housekeeping.
            tableCreated: true,
            clearExpiredByTimeout: false,
            inMemoryBlockOnConsumed: points + 1,
            insuranceLimiter: new RateLimiterMemory(common),
          })
        : new RateLimiterMemory(common),
    );
  }

  /** `spent`: the points a request may not reach (consume: more than the limit; a check: the limit itself). */
  const decide = async (name: RateLimitName, run: (limiter: RateLimiterAbstract) => Promise<RateLimiterRes | null>, spent: number): Promise<LimitDecision> => {
    const limiter = limiters.get(name)!;
    try {
      const res = await run(limiter);
      if (res && res.consumedPoints >= spent) return refused(name, res);
      return { ok: true };
    } catch (error) {
      if (error instanceof RateLimiterRes) return refused(name, error);
      throw error;
    }
  };

  return {
    settings,
    consume: (name, key) => decide(name, (limiter) => limiter.consume(key), settings[name].points + 1),
    // Failures already counted up to the limit: the next request would be one too many.
    blocked: (name, key) => decide(name, (limiter) => limiter.get(key), settings[name].points),
  };
}

function refused(limit: RateLimitName, res: RateLimiterRes): LimitDecision {
  return { ok: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
}
