/**
 * A minimal `window` for running the software My Number Card script and web-eid.js 0.0.8 in
 * Node: postMessage delivers a structured clone asynchronously with `source` = the window,
 * like a page posting to itself.
 */
export class FakeWebEidWindow extends EventTarget {
  readonly atob = atob;
  readonly btoa = btoa;
  /** Every message posted on the window, as sent (test code inspects what an extension would see). */
  readonly posted: unknown[] = [];

  postMessage(data: unknown): void {
    const copy = structuredClone(data);
    this.posted.push(copy);
    setTimeout(() => {
      const event = new Event('message');
      Object.defineProperties(event, { data: { value: copy }, source: { value: this } });
      this.dispatchEvent(event);
    }, 0);
  }

  /** Runs browser script text with this object as its `window`. */
  run(script: string): void {
    new Function('window', script)(this);
  }

  /** Posts a web-eid request and resolves to the reply carrying the same id. */
  request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = `req-${Math.random().toString(36).slice(2)}`;
    return new Promise((resolve) => {
      const listener = (event: Event) => {
        const data = (event as MessageEvent).data as Record<string, unknown> | undefined;
        if (data && data.id === id && data.hwcrypto !== true) {
          this.removeEventListener('message', listener);
          resolve(data);
        }
      };
      this.addEventListener('message', listener);
      this.postMessage({ ...message, id, hwcrypto: true });
    });
  }
}
