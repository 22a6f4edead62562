/**
 * The one way the portal shows a moment to a person: Japan time, the zone named, one format.
 * Japan has no daylight saving, so the time is computed as UTC+9 by arithmetic instead of Intl:
 * the string is identical in Node and every browser (no hydration mismatch from ICU differences),
 * whatever the server's or the terminal's own time zone.
 */
export const JAPAN_TIME_ZONE = 'Asia/Tokyo';
export const JAPAN_ZONE_LABEL = 'JST';

const JST_OFFSET_MS = 9 * 60 * 60 * 1000;
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export type TimeInput = Date | string | number;
/** Any locale string is accepted; everything but English is shown in Japanese (the default). */
type LocaleLike = string | null | undefined;

interface JapanParts {
  year: number;
  month: number;
  day: number;
  hour: string;
  minute: string;
  second: string;
}

function japanParts(input: TimeInput): JapanParts {
  const date = input instanceof Date ? input : new Date(input);
  if (Number.isNaN(date.getTime())) throw new RangeError(`Not a time: ${String(input)}`);
  const jst = new Date(date.getTime() + JST_OFFSET_MS);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    year: jst.getUTCFullYear(),
    month: jst.getUTCMonth() + 1,
    day: jst.getUTCDate(),
    hour: pad(jst.getUTCHours()),
    minute: pad(jst.getUTCMinutes()),
    second: pad(jst.getUTCSeconds()),
  };
}

const isEnglish = (locale: LocaleLike) => locale === 'en' || (locale ?? '').startsWith('en-');

/** 「2026年12月7日」 / "7 Dec 2026" — the calendar day in Japan. */
export function formatJapanDate(input: TimeInput, locale: LocaleLike): string {
  const p = japanParts(input);
  return isEnglish(locale) ? `${p.day} ${EN_MONTHS[p.month - 1]} ${p.year}` : `${p.year}年${p.month}月${p.day}日`;
}

/** 「2026年12月7日 11:40 (JST)」 / "7 Dec 2026, 11:40 (JST)"; `seconds: true` adds :ss. */
export function formatJapanTime(input: TimeInput, locale: LocaleLike, options: { seconds?: boolean } = {}): string {
  const p = japanParts(input);
  const clock = `${p.hour}:${p.minute}${options.seconds ? `:${p.second}` : ''}`;
  return isEnglish(locale)
    ? `${formatJapanDate(input, locale)}, ${clock} (${JAPAN_ZONE_LABEL})`
    : `${formatJapanDate(input, locale)} ${clock} (${JAPAN_ZONE_LABEL})`;
}

/** ISO 8601 with the +09:00 offset, for <time dateTime>: machine-readable and the same moment. */
export function japanTimeAttribute(input: TimeInput): string {
  const p = japanParts(input);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}T${p.hour}:${p.minute}:${p.second}+09:00`;
}
