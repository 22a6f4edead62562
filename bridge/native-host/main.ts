/**
 * The card bridge's native messaging host: started by the browser (Chrome/Chromium/Edge/Firefox)
 * for the extension, speaks native messaging on stdin/stdout, one request at a time. Logs go to
 * stderr only (stdout is the protocol). Run: `npm run bridge:host` (or through the host manifest).
 */
import { MAX_MESSAGE_BYTES } from '../protocol.ts';
import { loadConfig } from './config.ts';
import { encodeFrame, FrameReader } from './framing.ts';
import { CardBridgeHost, failure } from './host.ts';
import { BridgeError } from './errors.ts';

const { config, problem } = loadConfig();
if (problem) process.stderr.write(`card-bridge: no usable config (${problem}); no origin is allowed\n`);
const host = new CardBridgeHost(config);
const reader = new FrameReader();

process.on('uncaughtException', (error) => process.stderr.write(`card-bridge: uncaught ${error?.stack ?? error}\n`));
process.on('unhandledRejection', (error) => process.stderr.write(`card-bridge: unhandled ${(error as Error)?.stack ?? error}\n`));

function send(message: unknown) {
  let frame = encodeFrame(message);
  if (frame.length - 4 > MAX_MESSAGE_BYTES) frame = encodeFrame(failure('', new BridgeError('message_too_large', 'the answer is over 1 MB')));
  process.stdout.write(frame);
}

let queue: Promise<void> = Promise.resolve();
process.stdin.on('data', (chunk: Buffer) => {
  for (const frame of reader.push(chunk)) {
    if (frame.kind === 'too_large') {
      const answer = failure('', new BridgeError('message_too_large', `a message of ${frame.length} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`));
      queue = queue.then(() => send(answer));
      continue;
    }
    queue = queue.then(async () => send(await host.handleText(frame.text)));
  }
});
process.stdin.on('end', () => {
  // The browser closed the port: finish what was asked, then leave.
  void queue.then(() => {
    host.dispose();
    process.exit(0);
  });
});
