/**
 * The enterprise policy's allow-list (`chrome.storage.managed`, key `allowedOrigins`) as the service
 * worker knows it.
 *
 * Chromium's managed storage is not ready when the browser starts: the first `get` takes seconds
 * (it waits for the policy service), and while the service is still starting it may answer `{}` —
 * the same as "no policy" — and then never fire `storage.onChanged` when the policy arrives
 * (w3c/webextensions#547). A "no policy" answer is therefore never final: it is asked again once
 * it is `recheckMs` old, so a policy that arrives late replaces the user's list within seconds,
 * not at the next browser start. A policy that was read is kept until `storage.onChanged` says
 * the managed area changed.
 */
import { originSchema } from '../../protocol.ts';

/** An allow-list's entries that are valid origins; anything else (and anything but a list) is dropped. */
export function validOrigins(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value.filter((o): o is string => typeof o === 'string' && originSchema.safeParse(o).success);
}

export interface ManagedPolicyOptions {
  /** `chrome.storage.managed.get`; rejects where there is no managed storage (Firefox without policy). */
  read(key: 'allowedOrigins'): Promise<Record<string, unknown>>;
  /** Keeps the valid origins of the policy's value; default validOrigins. */
  normalise?: (value: unknown[]) => string[];
  /** How old a "no policy" answer may be before it is asked again. */
  recheckMs: number;
  now?: () => number;
}

export interface ManagedPolicy {
  /** The policy's list, or null without one (as far as the browser has told so far). */
  origins(): Promise<string[] | null>;
  /** The managed area changed: the next `origins()` reads it again. */
  changed(): void;
}

export function managedPolicy(options: ManagedPolicyOptions): ManagedPolicy {
  const now = options.now ?? Date.now;
  const normalise = options.normalise ?? validOrigins;
  /** The latest read; `absentAt` once it answered "no policy". A read replaced by a newer one no longer counts. */
  let current: { result: Promise<string[] | null>; absentAt?: number } | null = null;

  function read() {
    const entry: { result: Promise<string[] | null>; absentAt?: number } = {
      result: options.read('allowedOrigins').then(
        (managed) => (Array.isArray(managed.allowedOrigins) ? normalise(managed.allowedOrigins) : null),
        () => null,
      ),
    };
    void entry.result.then((origins) => {
      if (origins === null) entry.absentAt = now();
    });
    return entry;
  }

  return {
    origins() {
      if (!current || (current.absentAt !== undefined && now() - current.absentAt >= options.recheckMs)) current = read();
      return current.result;
    },
    changed() {
      current = null;
    },
  };
}
