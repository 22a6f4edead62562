import { DerError } from './read-tlv.ts';
import type { Tlv } from './read-tlv.ts';

export const UTC_TIME = 0x17;
export const GENERALIZED_TIME = 0x18;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Milliseconds since the epoch of a UTCTime or GeneralizedTime in the one form RFC 5280 §4.1.2.5
 * allows in certificates and CRLs: UTC ("Z"), with seconds, without fractions.
 */
export function readTime(bytes: Uint8Array, element: Tlv): number {
  const utc = element.tag === UTC_TIME;
  if (!utc && element.tag !== GENERALIZED_TIME) throw new DerError('expected UTCTime or GeneralizedTime', element.start);
  const at = element.contentStart;
  if (element.end - at !== (utc ? 13 : 15) || bytes[element.end - 1] !== 0x5a /* Z */) {
    throw new DerError('time is not in the form YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ', element.start);
  }
  let year: number;
  let offset: number;
  if (utc) {
    const yy = twoDigits(bytes, at, element.start);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
    offset = at + 2;
  } else {
    year = twoDigits(bytes, at, element.start) * 100 + twoDigits(bytes, at + 2, element.start);
    offset = at + 4;
  }
  const month = twoDigits(bytes, offset, element.start);
  const day = twoDigits(bytes, offset + 2, element.start);
  const hour = twoDigits(bytes, offset + 4, element.start);
  const minute = twoDigits(bytes, offset + 6, element.start);
  const second = twoDigits(bytes, offset + 8, element.start);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0) || hour > 23 || minute > 59 || second > 59) {
    throw new DerError('time has a field out of range', element.start);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC reads the years 0–99 as 1900–1999; only a GeneralizedTime can spell them.
  return year < 100 ? new Date(ms).setUTCFullYear(year) : ms;
}

function twoDigits(bytes: Uint8Array, offset: number, elementStart: number): number {
  const high = bytes[offset]! - 0x30;
  const low = bytes[offset + 1]! - 0x30;
  if (high < 0 || high > 9 || low < 0 || low > 9) throw new DerError('time has a non-digit', elementStart);
  return high * 10 + low;
}
