/** Dates in the console: Japan time, the person's language. */
export function formatDateTime(date: Date | string | null | undefined, locale: string): string {
  if (!date) return '—';
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'ja-JP', { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle: 'short' }).format(new Date(date));
}
