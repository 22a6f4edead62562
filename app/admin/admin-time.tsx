import { formatJapanTime, japanTimeAttribute } from '@/src/i18n/format-time';

/** A moment as the console shows it, machine-readable in dateTime. */
export function AdminTime({ value, locale }: { value: Date | string; locale: string }) {
  return <time dateTime={japanTimeAttribute(value)}>{formatJapanTime(value, locale)}</time>;
}
