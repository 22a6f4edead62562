'use client';
import { useSyncExternalStore } from 'react';

const subscribe = () => () => {};

/**
 * False in the server-rendered HTML and until React has hydrated the page, true after: a button
 * whose action needs JavaScript stays disabled until a click can do something (no lost clicks on a
 * slow terminal).
 */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
}
