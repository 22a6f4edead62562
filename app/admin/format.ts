import { formatJapanDate, formatJapanTime } from '@/src/i18n/format-time';

/** Moments in the console: Japan time with the zone named, the portal's one format. */
export function formatDateTime(date: Date | string | null | undefined, locale: string): string {
  if (!date) return '—';
  return formatJapanTime(date, locale);
}

/** A calendar day in Japan (expiry dates). */
export function formatDate(date: Date | string | null | undefined, locale: string): string {
  if (!date) return '—';
  return formatJapanDate(date, locale);
}
