import { describe, expect, it } from 'vitest';
import { formatJapanDate, formatJapanTime, japanTimeAttribute } from '@/src/i18n/format-time';

// 02:40 UTC is 11:40 in Japan; 20:30 UTC is already the next day in Japan.
const MORNING = new Date('2026-12-07T02:40:05Z');
const EVENING_UTC = '2026-12-31T20:30:00Z';

describe('formatJapanTime', () => {
  it('shows Japan time with the zone named, in Japanese and English', () => {
    expect(formatJapanTime(MORNING, 'ja')).toBe('2026年12月7日 11:40 (JST)');
    expect(formatJapanTime(MORNING, 'en')).toBe('7 Dec 2026, 11:40 (JST)');
  });

  it('rolls the day, month and year over at midnight Japan time, not UTC', () => {
    expect(formatJapanTime(EVENING_UTC, 'ja')).toBe('2027年1月1日 05:30 (JST)');
    expect(formatJapanDate(EVENING_UTC, 'en')).toBe('1 Jan 2027');
  });

  it('accepts ISO strings and epoch milliseconds as well as Dates', () => {
    expect(formatJapanTime(MORNING.toISOString(), 'ja')).toBe(formatJapanTime(MORNING.getTime(), 'ja'));
  });

  it('adds seconds when asked', () => {
    expect(formatJapanTime(MORNING, 'ja', { seconds: true })).toBe('2026年12月7日 11:40:05 (JST)');
  });

  it('treats unknown locales as Japanese and en-* as English', () => {
    expect(formatJapanDate(MORNING, undefined)).toBe('2026年12月7日');
    expect(formatJapanDate(MORNING, 'en-GB')).toBe('7 Dec 2026');
  });

  it('does not depend on the process time zone', () => {
    const before = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles';
    try {
      expect(formatJapanTime(MORNING, 'ja')).toBe('2026年12月7日 11:40 (JST)');
    } finally {
      process.env.TZ = before;
    }
  });

  it('refuses an invalid time instead of printing "Invalid Date"', () => {
    expect(() => formatJapanTime('not a date', 'ja')).toThrow(RangeError);
  });
});

describe('japanTimeAttribute', () => {
  it('is ISO 8601 with the +09:00 offset', () => {
    expect(japanTimeAttribute(MORNING)).toBe('2026-12-07T11:40:05+09:00');
  });
});
