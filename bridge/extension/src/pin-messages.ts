/** What the PIN window and the service worker say to each other (extension-internal). */
import type { CardType } from '../../protocol.ts';

/** How long the PIN window waits (web-eid.js's default user-interaction timeout is 2 minutes). */
export const PIN_PROMPT_TIMEOUT_MS = 2 * 60 * 1000;

export interface PinInfo {
  /** The requesting page's origin, as the browser reported it. */
  origin: string;
  card: CardType;
  triesLeft: number;
}

export type PinResult =
  | { status: 'done' }
  | { status: 'retry'; triesLeft: number }
  | { status: 'failed'; code: string };
