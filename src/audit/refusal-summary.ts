import type { AuditEntry } from './audit-log.ts';

export interface RefusalSummary {
  /**
   * Records a refusal: the first of its kind (same event, code, address and `kind`) in a minute is
   * written in full at once; the rest of that minute only counted, and written as one entry with
   * `details.repeated` when the minute is over. So a flood leaves two rows a minute, not one a request.
   */
  record(entry: AuditEntry, kind?: string): Promise<void>;
  /** Writes every pending count now (shutdown, tests). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Bucket {
  entry: AuditEntry;
  windowStart: number;
  repeated: number;
}

/** Distinct kinds tracked at once: beyond it (addresses rotated by the thousand) kinds drop the address. */
const MAX_BUCKETS = 10_000;

export function createRefusalSummary(audit: (entry: AuditEntry) => Promise<void>, options: { windowMs?: number; onError?: (e: unknown) => void } = {}): RefusalSummary {
  const windowMs = options.windowMs ?? 60_000;
  const buckets = new Map<string, Bucket>();
  const onError = options.onError ?? (() => {});

  const summaryOf = (b: Bucket): AuditEntry => ({
    ...b.entry,
    details: {
      ...b.entry.details,
      repeated: b.repeated,
      from: new Date(b.windowStart).toISOString(),
      to: new Date(Math.min(Date.now(), b.windowStart + windowMs)).toISOString(),
    },
  });

  async function flushOlderThan(cutoff: number) {
    const due: Bucket[] = [];
    for (const [key, b] of buckets) {
      if (b.windowStart + windowMs > cutoff) continue;
      buckets.delete(key);
      if (b.repeated > 0) due.push(b);
    }
    await Promise.all(due.map((b) => audit(summaryOf(b)).catch(onError)));
  }

  const timer = setInterval(() => void flushOlderThan(Date.now()), Math.min(windowMs, 10_000));
  timer.unref();

  return {
    async record(entry, kind = '') {
      const now = Date.now();
      const window = Math.floor(now / windowMs) * windowMs;
      let key = [entry.event, entry.errorCode ?? '', entry.method ?? '', entry.clientId ?? '', kind, entry.ip ?? ''].join('|');
      if (!buckets.has(`${key}|${window}`) && buckets.size >= MAX_BUCKETS) {
        // Too many addresses at once: count them together, still one row a minute per kind.
        key = [entry.event, entry.errorCode ?? '', entry.method ?? '', entry.clientId ?? '', kind, 'many-addresses'].join('|');
        entry = { ...entry, ip: null, details: { ...entry.details, manyAddresses: true } };
      }
      const id = `${key}|${window}`;
      const bucket = buckets.get(id);
      if (bucket) {
        bucket.repeated++;
        return;
      }
      buckets.set(id, { entry, windowStart: window, repeated: 0 });
      await audit(entry);
    },
    flush: () => flushOlderThan(Number.POSITIVE_INFINITY),
    async close() {
      clearInterval(timer);
      await flushOlderThan(Number.POSITIVE_INFINITY);
    },
  };
}
