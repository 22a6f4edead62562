import { describe, expect, it } from 'vitest';
import { LIMITS_OUT_OF_REACH, RATE_LIMIT_DEFAULTS, parseRateLimits } from '../../src/config/rate-limits.ts';
import { createRateLimiters } from '../../src/limits/rate-limiters.ts';
import { createRefusalSummary } from '../../src/audit/refusal-summary.ts';
import type { AuditEntry } from '../../src/audit/audit-log.ts';
import { readEnvironment } from '../../src/config/environment.ts';

describe('RATE_LIMITS', () => {
  it('defaults, and overrides by name', () => {
    expect(parseRateLimits(undefined)).toEqual(RATE_LIMIT_DEFAULTS);
    const custom = parseRateLimits(' challenge-ip=10/30 , finish-interaction=2/60');
    expect(custom['challenge-ip']).toEqual({ points: 10, seconds: 30 });
    expect(custom['finish-interaction']).toEqual({ points: 2, seconds: 60 });
    expect(custom['authorize-ip']).toEqual(RATE_LIMIT_DEFAULTS['authorize-ip']);
    expect(parseRateLimits(LIMITS_OUT_OF_REACH)['registration-ip'].points).toBe(1_000_000);
  });
  it('refuses what it does not understand, naming it', () => {
    expect(() => parseRateLimits('challenge=10/60')).toThrow(/unknown limit "challenge"/);
    expect(() => parseRateLimits('challenge-ip=10')).toThrow(/name=points\/seconds/);
    expect(() => parseRateLimits('challenge-ip=0/60')).toThrow(/at least 1/);
    expect(() => parseRateLimits('challenge-ip=-1/60')).toThrow();
    expect(() => readEnvironment({ RATE_LIMITS: 'nope' })).toThrow(/Invalid configuration: RATE_LIMITS/);
  });
});

describe('in-memory limiters (the embedded database)', () => {
  it('allow `points` per window per key, then refuse with the seconds left', async () => {
    const limits = createRateLimiters(parseRateLimits('challenge-ip=3/60'), undefined);
    for (let i = 0; i < 3; i++) expect((await limits.consume('challenge-ip', 'a')).ok).toBe(true);
    const refused = await limits.consume('challenge-ip', 'a');
    expect(refused).toMatchObject({ ok: false, limit: 'challenge-ip' });
    expect(refused.ok === false && refused.retryAfterSeconds).toBeGreaterThan(55);
    expect((await limits.consume('challenge-ip', 'b')).ok).toBe(true);
  });
  it('`blocked` counts nothing and refuses once the failures used up the limit', async () => {
    const limits = createRateLimiters(parseRateLimits('token-failure-ip=2/60'), undefined);
    expect((await limits.blocked('token-failure-ip', 'x')).ok).toBe(true);
    await limits.consume('token-failure-ip', 'x');
    expect((await limits.blocked('token-failure-ip', 'x')).ok).toBe(true);
    await limits.consume('token-failure-ip', 'x');
    expect((await limits.blocked('token-failure-ip', 'x')).ok).toBe(false);
  });
});

describe('refusal summary', () => {
  const entry = (ip: string, errorCode = 'rate_limited'): AuditEntry => ({ event: 'security.rate_limited', result: 'failure', errorCode, ip, details: { limit: 'x' } });

  it('writes the first of a kind at once and the rest as one counted entry', async () => {
    const written: AuditEntry[] = [];
    const summary = createRefusalSummary(async (e) => void written.push(e));
    for (let i = 0; i < 50; i++) await summary.record(entry('192.0.2.1'));
    await summary.record(entry('192.0.2.2'));
    await summary.record(entry('192.0.2.1', 'other'));
    expect(written).toHaveLength(3);
    await summary.close();
    expect(written).toHaveLength(4);
    expect(written[3]).toMatchObject({ ip: '192.0.2.1', errorCode: 'rate_limited', details: { limit: 'x', repeated: 49 } });
  });
  it('a new minute starts a new first entry', async () => {
    const written: AuditEntry[] = [];
    const summary = createRefusalSummary(async (e) => void written.push(e), { windowMs: 50 });
    await summary.record(entry('192.0.2.9'));
    await summary.record(entry('192.0.2.9'));
    await new Promise((r) => setTimeout(r, 120));
    await summary.record(entry('192.0.2.9'));
    await summary.close();
    expect(written.filter((e) => !(e.details as { repeated?: number }).repeated)).toHaveLength(2);
    expect(written.filter((e) => (e.details as { repeated?: number }).repeated === 1)).toHaveLength(1);
  });
});
