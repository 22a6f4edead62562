/**
 * Revocation at scale: a CRL with BENCH_CRL_SERIALS (default 1,000,000) revoked serials made by the
 * test CA (issueLargeCrl), loaded with CrlIndex.load (parse, signature check, index), then lookups
 * of present and absent serials. Run with a large --max-old-space-size. Prints `RESULT {…}`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { issueHpkiCaHierarchy, issueLargeCrl } from '../tests/fixtures/pki/index.ts';
import { CrlIndex } from '../src/pki/revocation/CrlIndex.ts';

const count = Number(process.env.BENCH_CRL_SERIALS ?? 1_000_000);
const heapMb = () => Math.round(process.memoryUsage().heapUsed / 1048576);
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
const hex = (b: Buffer) => {
  b[0]! &= 0x7f; // positive INTEGER
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
};

const { authCa } = await issueHpkiCaHierarchy({ now: new Date() });
const serials = Array.from({ length: count }, () => hex(crypto.randomBytes(16)));
const absent = Array.from({ length: 100_000 }, () => hex(crypto.randomBytes(16)));

let t = performance.now();
const crl = await issueLargeCrl({ issuer: authCa, thisUpdate: new Date(Date.now() - 3600_000), nextUpdate: new Date(Date.now() + 86400_000), revokedSerials: serials });
const issueSeconds = (performance.now() - t) / 1000;
const derBytes = crl.der.byteLength;
const der = crl.der;
(crl as { crl?: unknown }).crl = undefined;
global.gc?.();

const heapBefore = heapMb();
const rssBefore = rssMb();
const vmHwmMb = () => Math.round(Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024);
try {
  fs.writeFileSync('/proc/self/clear_refs', '5'); // reset the peak-RSS mark, so VmHWM covers the load only
} catch {}
t = performance.now();
const index = await CrlIndex.load(der, authCa.certificate);
const loadSeconds = (performance.now() - t) / 1000;
const peakRssDuringLoadMb = vmHwmMb();
const heapRightAfterLoad = heapMb();
global.gc?.();
const heapAfterLoad = heapMb();

function timeLookups(list: string[], expected: boolean) {
  // Batch timing (mean) and single-lookup timing (percentiles) over the same kind of serials.
  for (let i = 0; i < 10_000; i++) index.isRevoked(list[i % list.length]!);
  const n = 100_000;
  const start = process.hrtime.bigint();
  let hits = 0;
  for (let i = 0; i < n; i++) if (index.isRevoked(list[(i * 7919) % list.length]!)) hits++;
  const meanNs = Number(process.hrtime.bigint() - start) / n;
  if ((hits === n) !== expected || (expected === false && hits !== 0)) throw new Error(`lookup result wrong: ${hits}/${n}`);
  const single: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const s = list[(i * 104729) % list.length]!;
    const a = process.hrtime.bigint();
    index.lookup(s);
    single.push(Number(process.hrtime.bigint() - a));
  }
  single.sort((x, y) => x - y);
  return { meanNs, p50Ns: single[Math.floor(single.length * 0.5)]!, p99Ns: single[Math.floor(single.length * 0.99)]! };
}

const present = timeLookups(serials, true);
const missing = timeLookups(absent, false);
process.stdout.write(
  `RESULT ${JSON.stringify({
    revokedSerials: index.size,
    crlBytes: derBytes,
    issueSeconds,
    loadSeconds,
    heapBeforeLoadMb: heapBefore,
    rssBeforeLoadMb: rssBefore,
    peakRssDuringLoadMb,
    heapRightAfterLoadMb: heapRightAfterLoad,
    heapAfterLoadMb: heapAfterLoad,
    rssMb: rssMb(),
    lookupPresent: present,
    lookupAbsent: missing,
  })}\n`,
);
