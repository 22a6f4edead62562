/**
 * Revocation at scale: a CRL with BENCH_CRL_SERIALS (default 1,000,000) revoked serials made by the
 * test CA (issueLargeCrl), loaded with CrlIndex.load (parse, signature check, index) as the portal
 * does it (in a worker thread for a CRL this size), then lookups of present and absent serials;
 * for comparison the same load inline on the main thread, and what handing the serial table from
 * a worker to the main thread costs. Run with a large --max-old-space-size. Prints `RESULT {…}`.
 *
 * Issuing the CRL leaves GBs of RSS behind (the fixture parses it with @peculiar/x509), so the
 * measurements run in a fresh child process that reads the CRL from a temporary directory.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MessageChannel } from 'node:worker_threads';
import { issueHpkiCaHierarchy, issueLargeCrl } from '../src/pki/test-pki/index.ts';
import { CrlIndex } from '../src/pki/revocation/crl-index.ts';
import { readCrl } from '../src/pki/revocation/read-crl.ts';
import type { RevokedSerialTableData } from '../src/pki/revocation/revoked-serial-table.ts';
import { x509 } from '../src/pki/x509.ts';

const heapMb = () => Math.round(process.memoryUsage().heapUsed / 1048576);
const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
const hex = (b: Buffer) => {
  b[0]! &= 0x7f; // positive INTEGER
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
};

const dir = process.env.BENCH_CRL_DIR;
if (dir) await measure(dir);
else await issueAndMeasure();

async function issueAndMeasure(): Promise<void> {
  const count = Number(process.env.BENCH_CRL_SERIALS ?? 1_000_000);
  const { authCa } = await issueHpkiCaHierarchy({ now: new Date() });
  const serials = Array.from({ length: count }, () => hex(crypto.randomBytes(16)));
  const t = performance.now();
  const crl = await issueLargeCrl({ issuer: authCa, thisUpdate: new Date(Date.now() - 3600_000), nextUpdate: new Date(Date.now() + 86400_000), revokedSerials: serials });
  const issueSeconds = (performance.now() - t) / 1000;

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-bench-crl-'));
  try {
    fs.writeFileSync(path.join(work, 'crl.der'), crl.der);
    fs.writeFileSync(path.join(work, 'ca.der'), authCa.der);
    fs.writeFileSync(path.join(work, 'serials.txt'), serials.join('\n'));
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename], {
      env: { ...process.env, BENCH_CRL_DIR: work },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (code !== 0 || !line) throw new Error(`measurement failed (${code}):\n${out.slice(-3000)}`);
    const result = { ...JSON.parse(line.slice(7)), issueSeconds };
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function measure(work: string): Promise<void> {
  const der = new Uint8Array(fs.readFileSync(path.join(work, 'crl.der')));
  const ca = new x509.X509Certificate(fs.readFileSync(path.join(work, 'ca.der')));
  global.gc?.();

  const heapBefore = heapMb();
  const rssBefore = rssMb();
  const offThread = await timedLoad(() => CrlIndex.load(der, ca));
  const index = offThread.result;
  const heapRightAfterLoad = heapMb();
  global.gc?.();
  const heapAfterLoad = heapMb();
  const arrayBuffersAfterLoadMb = Math.round(process.memoryUsage().arrayBuffers / 1048576);
  const rssAfterLoad = rssMb();
  // Read only now: a million strings on the heap would make the load's GCs the bench's, not the portal's.
  const serials = fs.readFileSync(path.join(work, 'serials.txt'), 'utf8').split('\n');
  const absent = Array.from({ length: 100_000 }, () => hex(crypto.randomBytes(16)));

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
  const revokedSerials = index.size;

  // The same load on the main thread, for comparison: the event loop waits for all of it.
  global.gc?.();
  const inline = await timedLoad(() => CrlIndex.load(der, ca, { offThread: false }));
  if (inline.result.size !== revokedSerials) throw new Error('inline and worker loads differ');

  // What the worker's answer costs the main thread: the serial table's arrays through a
  // MessageChannel (the mechanism of worker.postMessage), transferred and, for contrast, copied.
  const { revoked } = await readCrl(der, [ca]);
  const table = revoked.data;
  const tableBytes = [table.serials, table.offsets, table.revokedAt, table.reasons, table.slots].reduce((n, a) => n + a.byteLength, 0);
  const tableCopyMs = await postThroughChannel(table, false);
  const tableTransferMs = await postThroughChannel(table, true);

  process.stdout.write(
    `RESULT ${JSON.stringify({
      revokedSerials,
      crlBytes: der.byteLength,
      loadSeconds: offThread.seconds,
      loadOffThread: true,
      heapBeforeLoadMb: heapBefore,
      rssBeforeLoadMb: rssBefore,
      peakRssDuringLoadMb: offThread.peakRssMb,
      eventLoopMaxDelayMs: offThread.eventLoopMaxDelayMs,
      eventLoopP99DelayMs: offThread.eventLoopP99DelayMs,
      heapRightAfterLoadMb: heapRightAfterLoad,
      heapAfterLoadMb: heapAfterLoad,
      arrayBuffersAfterLoadMb,
      rssMb: rssAfterLoad,
      lookupPresent: present,
      lookupAbsent: missing,
      inlineLoadSeconds: inline.seconds,
      inlinePeakRssMb: inline.peakRssMb,
      inlineEventLoopMaxDelayMs: inline.eventLoopMaxDelayMs,
      tableMb: Math.round((tableBytes / 1048576) * 10) / 10,
      tableTransferMs,
      tableCopyMs,
    })}\n`,
  );
}

/** Runs a load while sampling the event loop; VmHWM is reset first so the peak covers the load only. */
async function timedLoad<T>(load: () => Promise<T>) {
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {}
  // The histogram samples on its own timer: it must be running before the load starts, and fire
  // once after the load ends, or a block at either end goes unrecorded.
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  delay.enable();
  await settle();
  const start = performance.now();
  const result = await load();
  const seconds = (performance.now() - start) / 1000;
  await settle();
  delay.disable();
  const vmHwmKb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
  return {
    result,
    seconds,
    peakRssMb: Math.round(vmHwmKb / 1024),
    eventLoopMaxDelayMs: Math.round((delay.max / 1e6) * 10) / 10,
    eventLoopP99DelayMs: Math.round((delay.percentile(99) / 1e6) * 10) / 10,
  };
}

async function postThroughChannel(table: RevokedSerialTableData, transfer: boolean): Promise<number> {
  const { port1, port2 } = new MessageChannel();
  const buffers = [table.serials.buffer, table.offsets.buffer, table.revokedAt.buffer, table.reasons.buffer, table.slots.buffer];
  const start = performance.now();
  const received = new Promise((resolve) => port2.once('message', resolve));
  port1.postMessage(table, transfer ? buffers : []);
  await received;
  const ms = performance.now() - start;
  port1.close();
  return Math.round(ms * 100) / 100;
}
