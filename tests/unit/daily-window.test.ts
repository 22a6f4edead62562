import { describe, expect, it } from 'vitest';
import {
  dailyWindowEnd,
  dailyWindowMaxSeconds,
  formatDailyWindow,
  parseDailyWindow,
  resolveDailyWindow,
  secondsUntilWindowEnd,
  UNTIL_MINIMUM_HOURS,
} from '../../src/config/daily-window.ts';
import { readEnvironment } from '../../src/config/environment.ts';

/** An instant written in Japan time (UTC+9, no daylight saving time). */
const jst = (text: string) => new Date(`${text}+09:00`);
const until3 = parseDailyWindow('until 03:00');

describe('DAILY_WINDOW parsing', () => {
  it('reads hours and a time of day in Japan', () => {
    expect(parseDailyWindow('18h')).toEqual({ kind: 'hours', hours: 18 });
    expect(parseDailyWindow('12')).toEqual({ kind: 'hours', hours: 12 });
    expect(parseDailyWindow(' 7.5h ')).toEqual({ kind: 'hours', hours: 7.5 });
    expect(parseDailyWindow('until 03:00')).toEqual({ kind: 'until', hour: 3, minute: 0 });
    expect(parseDailyWindow('Until 3:30')).toEqual({ kind: 'until', hour: 3, minute: 30 });
    expect(formatDailyWindow(parseDailyWindow('until 3:05'))).toBe('until 03:05');
  });
  it('refuses what is not a window of at most a day', () => {
    for (const bad of ['0h', '25h', '-1', 'until 24:00', 'until 03:60', 'until', 'tomorrow', '']) {
      expect(() => parseDailyWindow(bad), bad).toThrow(/hours up to 24/);
    }
  });
});

describe('the end of the window', () => {
  it('"18h" ends 18 hours after the authentication', () => {
    expect(dailyWindowEnd({ kind: 'hours', hours: 18 }, jst('2026-12-07T08:15:00')).toISOString()).toBe(jst('2026-12-08T02:15:00').toISOString());
  });

  it('"until 03:00" ends at the next 03:00 in Japan after the authentication', () => {
    expect(dailyWindowEnd(until3, jst('2026-12-07T08:15:00'))).toEqual(jst('2026-12-08T03:00:00'));
    // Late evening: still the next morning.
    expect(dailyWindowEnd(until3, jst('2026-12-07T22:59:00'))).toEqual(jst('2026-12-08T03:00:00'));
    // Just after the cut-off: the following morning (just under 24 h).
    expect(dailyWindowEnd(until3, jst('2026-12-07T03:00:01'))).toEqual(jst('2026-12-08T03:00:00'));
    // Exactly at the cut-off: the next one, never a window of zero.
    expect(dailyWindowEnd(until3, jst('2026-12-07T03:00:00'))).toEqual(jst('2026-12-08T03:00:00'));
  });

  it(`a login shortly before the cut-off still gets ${UNTIL_MINIMUM_HOURS} hours (02:50 → 06:50)`, () => {
    expect(dailyWindowEnd(until3, jst('2026-12-07T02:50:00'))).toEqual(jst('2026-12-07T06:50:00'));
    expect(dailyWindowEnd(until3, jst('2026-12-06T23:30:00'))).toEqual(jst('2026-12-07T03:30:00'));
    // Exactly the minimum before the cut-off: the cut-off itself.
    expect(dailyWindowEnd(until3, jst('2026-12-06T23:00:00'))).toEqual(jst('2026-12-07T03:00:00'));
  });

  it('is computed in Japan time whatever the UTC date (no daylight saving time, across month and year ends)', () => {
    // 2026-12-31 20:00 UTC is 2027-01-01 05:00 JST: the next 03:00 JST is on 2 January.
    expect(dailyWindowEnd(until3, new Date('2026-12-31T20:00:00Z'))).toEqual(jst('2027-01-02T03:00:00'));
    // 2026-03-29 is a DST change in Europe, not in Japan: still exactly 03:00 JST.
    expect(dailyWindowEnd(until3, new Date('2026-03-29T01:00:00Z')).toISOString()).toBe('2026-03-29T18:00:00.000Z');
    // Midnight cut-off.
    expect(dailyWindowEnd(parseDailyWindow('until 00:00'), jst('2026-02-28T09:00:00'))).toEqual(jst('2026-03-01T00:00:00'));
  });

  it('never lasts more than 24 hours', () => {
    for (let minute = 0; minute < 24 * 60; minute += 7) {
      const start = jst('2026-12-07T00:00:00').getTime() + minute * 60_000;
      const length = dailyWindowEnd(until3, start).getTime() - start;
      expect(length).toBeGreaterThanOrEqual(UNTIL_MINIMUM_HOURS * 3600_000);
      expect(length).toBeLessThanOrEqual(24 * 3600_000);
    }
    expect(dailyWindowMaxSeconds(until3)).toBe(24 * 3600);
    expect(dailyWindowMaxSeconds({ kind: 'hours', hours: 18 })).toBe(18 * 3600);
  });

  it('counts whole seconds so that iat + lifetime is the end itself, and at least one second', () => {
    const authTime = Math.floor(jst('2026-12-07T08:15:00').getTime() / 1000);
    const now = jst('2026-12-07T09:00:00').getTime() + 999;
    const end = dailyWindowEnd(until3, authTime * 1000).getTime() / 1000;
    expect(Math.floor(now / 1000) + secondsUntilWindowEnd(until3, authTime, now)).toBe(end);
    expect(secondsUntilWindowEnd(until3, authTime, jst('2026-12-09T00:00:00').getTime())).toBe(1);
  });
});

describe('DAILY_WINDOW and its deprecated aliases', () => {
  it('defaults to 18 hours (seed 001) for both the session and signing', () => {
    const env = readEnvironment({});
    expect(env.dailyWindow).toEqual({ kind: 'hours', hours: 18 });
    expect(env.sessionMaxSeconds).toBe(18 * 3600);
  });
  it('reads DAILY_WINDOW', () => {
    expect(readEnvironment({ DAILY_WINDOW: 'until 03:00' }).dailyWindow).toEqual(until3);
    expect(() => readEnvironment({ DAILY_WINDOW: 'until noon' })).toThrow(/DAILY_WINDOW must be/);
  });
  it('keeps SESSION_MAX_HOURS or SIGNING_AUTHORISATION_HOURS working alone or when they agree', () => {
    expect(resolveDailyWindow(undefined, 8, undefined)).toEqual({ kind: 'hours', hours: 8 });
    expect(resolveDailyWindow(undefined, undefined, 20)).toEqual({ kind: 'hours', hours: 20 });
    expect(resolveDailyWindow(undefined, 12, 12)).toEqual({ kind: 'hours', hours: 12 });
    expect(resolveDailyWindow('12h', 12, undefined)).toEqual({ kind: 'hours', hours: 12 });
    expect(readEnvironment({ SESSION_MAX_HOURS: '8' }).sessionMaxSeconds).toBe(8 * 3600);
  });
  it('refuses contradictory combinations with a start error naming them', () => {
    expect(() => readEnvironment({ SESSION_MAX_HOURS: '12', SIGNING_AUTHORISATION_HOURS: '18' })).toThrow(
      /SIGNING_AUTHORISATION_HOURS=18 contradicts SESSION_MAX_HOURS=12.*set only DAILY_WINDOW/,
    );
    expect(() => readEnvironment({ DAILY_WINDOW: 'until 03:00', SIGNING_AUTHORISATION_HOURS: '18' })).toThrow(/contradicts DAILY_WINDOW=until 03:00/);
    expect(() => readEnvironment({ DAILY_WINDOW: '18h', SESSION_MAX_HOURS: '12' })).toThrow(/SESSION_MAX_HOURS=12 contradicts DAILY_WINDOW=18h/);
  });
});
