// A Node.js `--import` hook for tests that start the real portal process: it appends the URL of
// every module the process loads to the file named by LOADED_MODULES_FILE, and with STUB_NEXT=1 it
// answers `import next from 'next'` with a page-less stand-in (next-stub.mjs), so server.ts starts
// without a production build. Plain JavaScript: it loads before tsx.
import fs from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.LOADED_MODULES_FILE;
const nextStub = new URL('./next-stub.mjs', import.meta.url).href;

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (process.env.STUB_NEXT === '1' && specifier === 'next') return { url: nextStub, format: 'module', shortCircuit: true };
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (file) fs.appendFileSync(file, `${url}\n`);
    return nextLoad(url, context);
  },
});
