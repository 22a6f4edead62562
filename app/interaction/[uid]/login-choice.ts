/**
 * How the login page picks its main method (issue 16 §1): the methods grouped as a person sees
 * them, the method used last in this browser, and whether this is a phone.
 */

/** What the chooser shows as one entry: the phone approving a terminal login and this device's passkey are one "smartphone" entry. */
export type LoginGroup = 'hpki-card' | 'hpki-cert' | 'my-number-card' | 'smartphone';

const GROUP_OF: Record<string, LoginGroup> = {
  // by panel (the view's entries) …
  'hpki-card': 'hpki-card',
  'hpki-cert': 'hpki-cert',
  'my-number-card': 'my-number-card',
  'cross-device': 'smartphone',
  passkey: 'smartphone',
  // … and by method id (what is remembered)
  jpki: 'my-number-card',
  'passkey-cross-device': 'smartphone',
};

export function groupOf(panelOrMethod: string): LoginGroup | null {
  return Object.hasOwn(GROUP_OF, panelOrMethod) ? GROUP_OF[panelOrMethod]! : null;
}

/** The remembered method, else the first that works here (the registry's order). */
export function choosePrimary(groups: LoginGroup[], remembered: LoginGroup | null): LoginGroup | null {
  if (remembered && groups.includes(remembered)) return remembered;
  return groups[0] ?? null;
}

/**
 * localStorage key of the method used last in this browser: only a method id, nothing about the
 * person (a shared terminal remembers how its people log in, not who).
 */
export const LAST_METHOD_KEY = 'hpki-sso:last-login-method';

export function readLastMethod(): string | null {
  try {
    const value = window.localStorage.getItem(LAST_METHOD_KEY);
    return value && groupOf(value) ? value : null;
  } catch {
    return null; // storage disabled: no memory, the default order
  }
}

/** Called when a method logged in (or, for a navigation, when it was chosen). */
export function rememberMethod(methodId: string): void {
  try {
    window.localStorage.setItem(LAST_METHOD_KEY, methodId);
  } catch {
    // storage disabled or full: the page works without the memory
  }
}

/**
 * A phone, for choosing methods: Chromium's UA client hint `mobile` when the browser sends it;
 * elsewhere (Safari, Firefox) a touch-only device — a coarse primary pointer and no fine pointer at
 * all. The chooser overrides it when the card bridge answers: a reader means a terminal, even a
 * touch-screen kiosk. Screen width alone is not used: a terminal's window may be narrow.
 */
export function looksLikePhone(): boolean {
  const hint = (navigator as Navigator & { userAgentData?: { mobile?: boolean } }).userAgentData?.mobile;
  if (typeof hint === 'boolean') return hint;
  return window.matchMedia('(pointer: coarse)').matches && !window.matchMedia('(any-pointer: fine)').matches;
}

/** Refusals of the service's policy after a successful identification: a page of their own (§2). */
export const REFUSAL_CODES = new Set(['service_hcrole_required', 'service_acr_too_low']);

export interface Refusal {
  code: string;
  message: string;
}

/** The button of a method in the "other ways" list: smaller than the main one, still a large target. */
export const rowButtonClass =
  'inline-flex min-h-11 items-center justify-center rounded-lg border border-sky-700 bg-white px-4 py-2 font-semibold text-sky-800 hover:bg-sky-50 disabled:opacity-50 w-full sm:w-auto';
