/**
 * The browser checks every e2e page gets (issue 16, points 15 and 16): no console error, no
 * uncaught page error, no React hydration warning, and no serious or critical axe-core finding.
 *
 * How every page is covered:
 * - {@link watchContext} attaches to a BrowserContext: console and page errors through the
 *   context's own `console`/`weberror` events (every page of the context, popups included), and a
 *   `load` listener on every page (`context.on('page')`) that runs axe once the document has
 *   loaded — whether it was reached by goto, a click, a form post or a redirect.
 * - The axe run is queued per page, and every Playwright action (Locator, Page and Frame: click,
 *   fill, goto, …) first waits for that queue, so a test cannot navigate away from a page before
 *   it has been checked. A page that leaves by itself (an auto-submitted form) before its check
 *   finishes is listed as transient in the log.
 * - At the end of the test the pages still open are checked once more in their final state
 *   (content rendered after `load`, e.g. an error shown by a client component).
 * Checks fail the test at its end with the whole list. Exceptions are per test
 * ({@link PageChecks.allowConsole}), never global.
 *
 * checked-test.ts wires this into the Playwright fixtures; specs that launch their own browser
 * call {@link watchContext} on it (bridge-browser.ts does for the extension's contexts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { expect, type BrowserContext, type Page } from '@playwright/test';

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Where every check is logged, one JSON line each: the run's record of which pages were checked.
 * One file per run (the worker's parent is the runner), outside test-results/, which is cleaned.
 */
export const checksLogFile = process.env.PAGE_CHECKS_LOG ?? path.resolve('tests/e2e/.tmp', `page-checks-${process.ppid}.jsonl`);

type Finding = { id: string; impact: string; targets: string[] };

/** The serious and critical axe-core findings on the page as it is now. */
export async function axeFindings(page: Page): Promise<Finding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    type Result = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
    const w = window as unknown as { axe: { run(context: Document, options: object): Promise<Result> }; __axeQueue?: Promise<unknown> };
    // One axe run at a time per document (an explicit check may meet the automatic one).
    const run = (w.__axeQueue ?? Promise.resolve()).then(() => w.axe.run(document, { resultTypes: ['violations'] }));
    w.__axeQueue = run.catch(() => undefined);
    const result = await run;
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/**
 * No serious or critical axe-core finding on the page as it is now. axe is evaluated through the
 * DevTools protocol, which the pages' content-security policy does not govern. Every loaded page
 * is already checked automatically; call this for a state reached without navigating.
 */
export async function expectAccessible(page: Page): Promise<void> {
  await settled(page);
  const serious = await axeFindings(page);
  current().record({ kind: 'axe', url: page.url(), when: 'explicit', findings: serious.length });
  expect(serious, `${page.url()}: ${JSON.stringify(serious)}`).toEqual([]);
}

/**
 * Console errors and uncaught page errors seen on a page from now on. Kept for specs that assert
 * on a page's console themselves; the automatic checks already fail on any of these.
 */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`${page.url()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`${page.url()}: ${error.message}`));
  return errors;
}

// React's hydration mismatch, whatever the console type: dev text or production error numbers.
const HYDRATION = /hydrat|Minified React error #(418|419|421|422|423|425)\b|react\.dev\/errors\/(418|419|421|422|423|425)\b/i;

type LogLine = { kind: 'axe' | 'transient' | 'console' | 'problem'; url: string; when?: string; findings?: number; text?: string };

/** What one test saw; the checks fixture makes one per test. */
export class PageChecks {
  readonly problems: string[] = [];
  readonly log: LogLine[] = [];
  /** Pages that loaded a document or were acted on in this test: the end-of-test check's pages. */
  readonly pages = new Set<Page>();
  private readonly allowed: RegExp[] = [];
  private readonly axeSkipped: RegExp[] = [];

  constructor(readonly title: string) {}

  /** Lets console errors matching `pattern` pass in this test only (an expected 4xx refusal). */
  allowConsole(pattern: RegExp): void {
    this.allowed.push(pattern);
  }

  /** No axe run on documents whose URL matches (a test's own stub page, not the portal's). */
  skipAxe(pattern: RegExp): void {
    this.axeSkipped.push(pattern);
  }

  axeApplies(url: string): boolean {
    return /^(https?|chrome-extension):/.test(url) && !this.axeSkipped.some((p) => p.test(url));
  }

  consoleError(url: string, text: string): void {
    const line = `${url}: ${text}`;
    this.record({ kind: 'console', url, text });
    if (!this.allowed.some((p) => p.test(line))) this.problems.push(`console: ${line}`);
  }

  axeResult(url: string, when: string, findings: Finding[]): void {
    this.record({ kind: 'axe', url, when, findings: findings.length });
    if (findings.length > 0) this.problems.push(`axe: ${url}: ${JSON.stringify(findings)}`);
  }

  record(line: LogLine): void {
    this.log.push(line);
    fs.mkdirSync(path.dirname(checksLogFile), { recursive: true });
    fs.appendFileSync(checksLogFile, JSON.stringify({ test: this.title, ...line }) + '\n');
  }
}

// Events outside a test (beforeAll, afterAll) go to the next test's checks.
let active: PageChecks | undefined;
let between = new PageChecks('(between tests)');
const current = () => active ?? between;

export function beginChecks(title: string): PageChecks {
  active = new PageChecks(title);
  active.problems.push(...between.problems.map((p) => `(before this test) ${p}`));
  for (const page of between.pages) active.pages.add(page);
  between = new PageChecks('(between tests)');
  return active;
}

export function endChecks(): void {
  active = undefined;
}

const watchedContexts = new WeakSet<BrowserContext>();
const pageQueues = new WeakMap<Page, Promise<void>>();
const openPages = new Set<Page>();

/** Attaches the console, hydration and axe checks to `context` and every page it opens. */
export function watchContext(context: BrowserContext): BrowserContext {
  if (watchedContexts.has(context)) return context;
  watchedContexts.add(context);
  context.on('console', (message) => {
    const type = message.type();
    if (type === 'error' || (HYDRATION.test(message.text()) && (type === 'warning' || type === 'log'))) {
      current().consoleError(message.page()?.url() ?? message.location().url, message.text());
    }
  });
  context.on('weberror', (webError) => current().consoleError(webError.page()?.url() ?? '(page)', `uncaught ${webError.error().message}`));
  for (const page of context.pages()) watchPage(page);
  context.on('page', watchPage);
  return context;
}

function watchPage(page: Page): void {
  gateActions(page);
  openPages.add(page);
  page.on('close', () => openPages.delete(page));
  page.on('load', () => {
    current().pages.add(page);
    const url = page.url();
    if (!current().axeApplies(url)) return;
    enqueue(page, async () => {
      if (page.isClosed()) return;
      try {
        current().axeResult(url, 'load', await axeFindings(page));
      } catch (error) {
        // The document went away by itself (a form that posts on load, a script redirect).
        if (page.isClosed() || page.url() !== url || /context was destroyed|navigat|closed/i.test(String(error))) {
          current().record({ kind: 'transient', url, text: String(error).split('\n')[0] });
        } else throw error;
      }
    });
  });
}

function enqueue(page: Page, check: () => Promise<void>): void {
  const queue = (pageQueues.get(page) ?? Promise.resolve()).then(check).catch((error) => {
    const text = String(error).split('\n')[0];
    current().record({ kind: 'problem', url: page.url(), text });
    current().problems.push(`axe could not run on ${page.url()}: ${text}`);
  });
  pageQueues.set(page, queue);
}

/** Waits for the pending checks of `page`. */
export async function settled(page: Page): Promise<void> {
  await pageQueues.get(page);
}

/**
 * Waits for every queued check, then checks once more, as they are now, the pages still open that
 * loaded a document or were acted on during this test (pages another spec left open are not its).
 */
export async function checkOpenPages(): Promise<void> {
  for (const page of [...current().pages].filter((p) => openPages.has(p))) {
    await settled(page);
    if (page.isClosed() || !current().axeApplies(page.url())) continue;
    try {
      current().axeResult(page.url(), 'end of test', await axeFindings(page));
    } catch (error) {
      if (!page.isClosed()) current().record({ kind: 'transient', url: page.url(), text: String(error).split('\n')[0] });
    }
  }
}

// Every action a test can take on a page waits until that page's load check has run, so the
// check sees the page the test saw. The prototypes are shared by all pages; patched once.
const ACTIONS: Record<'locator' | 'page' | 'frame', string[]> = {
  locator: ['click', 'dblclick', 'fill', 'press', 'pressSequentially', 'check', 'uncheck', 'setChecked', 'selectOption', 'tap', 'type', 'setInputFiles', 'dispatchEvent', 'clear', 'dragTo'],
  page: ['goto', 'reload', 'goBack', 'goForward', 'click', 'dblclick', 'fill', 'press', 'check', 'uncheck', 'selectOption', 'tap', 'type', 'setInputFiles', 'dispatchEvent'],
  frame: ['goto', 'click', 'dblclick', 'fill', 'press', 'check', 'uncheck', 'selectOption', 'tap', 'type', 'setInputFiles', 'dispatchEvent'],
};
const patched = new WeakSet<object>();

function gateActions(page: Page): void {
  const targets: [keyof typeof ACTIONS, object, (self: unknown) => Page][] = [
    ['locator', Object.getPrototypeOf(page.locator('html')), (self) => (self as { page(): Page }).page()],
    ['page', Object.getPrototypeOf(page), (self) => self as Page],
    ['frame', Object.getPrototypeOf(page.mainFrame()), (self) => (self as { page(): Page }).page()],
  ];
  for (const [kind, proto, pageOf] of targets) {
    if (patched.has(proto)) continue;
    patched.add(proto);
    for (const name of ACTIONS[kind]) {
      const original = (proto as Record<string, unknown>)[name];
      if (typeof original !== 'function') continue;
      Object.defineProperty(proto, name, {
        configurable: true,
        writable: true,
        value: async function (this: unknown, ...args: unknown[]) {
          const page = pageOf(this);
          // A page the test acts on is this test's, for the end-of-test check too.
          current().pages.add(page);
          await pageQueues.get(page);
          return (original as (...a: unknown[]) => unknown).apply(this, args);
        },
      });
    }
  }
}
