/**
 * The daily window (issue 17 §5, seed 003: "本人認証（1日1回）", a token "1日程度有効"): one setting
 * from which both the SSO session's absolute end and the remote-signing authorisation's end are
 * computed, so one login opens one working day for both. Japan has no daylight saving time: JST is
 * always UTC+9, so plain millisecond arithmetic is exact.
 */
export type DailyWindow =
  /** A fixed length from the authentication ("18h"). */
  | { kind: 'hours'; hours: number }
  /** Until the next fixed time of day in Japan after the authentication ("until 03:00"). */
  | { kind: 'until'; hour: number; minute: number };

/** Seed 001: after one authentication, signing works for 18 hours. */
export const DEFAULT_DAILY_WINDOW: DailyWindow = { kind: 'hours', hours: 18 };
/** Never longer than a day, whatever the setting (seed 003: once a day). */
export const MAX_WINDOW_HOURS = 24;
/**
 * A login shortly before the cut-off still gets this long (a login at 02:50 with "until 03:00"
 * ends at 06:50, not ten minutes later); the window never exceeds 24 hours either way.
 */
export const UNTIL_MINIMUM_HOURS = 4;

const JST_OFFSET_MS = 9 * 3600 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** "18h", "18", "12.5h" or "until 03:00" / "until 3:00"; throws a sentence for the start error. */
export function parseDailyWindow(text: string): DailyWindow {
  const value = text.trim().toLowerCase();
  const until = /^until\s+([01]?\d|2[0-3]):([0-5]\d)$/.exec(value);
  if (until) return { kind: 'until', hour: Number(until[1]), minute: Number(until[2]) };
  const hours = /^(\d+(?:\.\d+)?)\s*h?$/.exec(value);
  if (hours) {
    const n = Number(hours[1]);
    if (n > 0 && n <= MAX_WINDOW_HOURS) return { kind: 'hours', hours: n };
  }
  throw new Error(`must be a number of hours up to ${MAX_WINDOW_HOURS} ("18h") or a time of day in Japan ("until 03:00")`);
}

/** The instant the window opened by an authentication at `authTime` ends. */
export function dailyWindowEnd(window: DailyWindow, authTime: Date | number): Date {
  const start = typeof authTime === 'number' ? authTime : authTime.getTime();
  if (window.kind === 'hours') return new Date(start + Math.round(window.hours * 3600) * 1000);
  const jst = start + JST_OFFSET_MS;
  let cutoff = Math.floor(jst / DAY_MS) * DAY_MS + (window.hour * 60 + window.minute) * 60_000;
  if (cutoff <= jst) cutoff += DAY_MS;
  return new Date(Math.max(cutoff - JST_OFFSET_MS, start + UNTIL_MINIMUM_HOURS * 3600 * 1000));
}

/** The longest the window can be, in seconds (a cap for lifetimes counted from now). */
export function dailyWindowMaxSeconds(window: DailyWindow): number {
  return window.kind === 'hours' ? Math.round(window.hours * 3600) : MAX_WINDOW_HOURS * 3600;
}

/** Seconds from `now` until the window opened at `authTime` (epoch seconds) ends; at least 1 (oidc-provider needs a positive lifetime). */
export function secondsUntilWindowEnd(window: DailyWindow, authTime: number, now = Date.now()): number {
  // Whole seconds from the current second, as oidc-provider counts exp = iat + ttl: exp lands on the end.
  return Math.max(1, Math.floor(dailyWindowEnd(window, authTime * 1000).getTime() / 1000) - Math.floor(now / 1000));
}

/** The setting as written back ("18h", "until 03:00"), for logs and start errors. */
export function formatDailyWindow(window: DailyWindow): string {
  return window.kind === 'hours' ? `${window.hours}h` : `until ${String(window.hour).padStart(2, '0')}:${String(window.minute).padStart(2, '0')}`;
}

/**
 * DAILY_WINDOW, or the deprecated SESSION_MAX_HOURS / SIGNING_AUTHORISATION_HOURS it replaces. The
 * old variables still work alone; set together with a different value they are refused, since the
 * session and the signing authorisation now end at the same instant.
 */
export function resolveDailyWindow(setting: string | undefined, sessionMaxHours: number | undefined, signingHours: number | undefined): DailyWindow {
  const legacy = [
    ['SESSION_MAX_HOURS', sessionMaxHours],
    ['SIGNING_AUTHORISATION_HOURS', signingHours],
  ].filter((e): e is [string, number] => e[1] !== undefined);
  let window: DailyWindow;
  try {
    window = setting !== undefined ? parseDailyWindow(setting) : legacy.length ? { kind: 'hours', hours: legacy[0][1] } : DEFAULT_DAILY_WINDOW;
  } catch (error) {
    throw new Error(`Invalid configuration: DAILY_WINDOW ${(error as Error).message}`);
  }
  for (const [name, hours] of legacy) {
    if (window.kind !== 'hours' || window.hours !== hours) {
      throw new Error(
        `Invalid configuration: ${name}=${hours} contradicts ${setting !== undefined ? `DAILY_WINDOW=${setting}` : `${legacy[0][0]}=${legacy[0][1]}`}: ` +
          'the SSO session and the signing authorisation now end together; set only DAILY_WINDOW',
      );
    }
  }
  return window;
}
