import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

const NEWLINE = 0x0a;
const TAIL_CHUNK = 64 * 1024;

/**
 * Appends lines to the checkpoint file and forces them to disk before returning. The file is only
 * ever opened for appending (so `chattr +a` can forbid anything else); a line torn by a crash is
 * closed first, so it cannot swallow the next one.
 */
export async function appendCheckpointLines(file: string, lines: string[]): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  const lastByte = await readLastByte(file);
  const handle = await fsp.open(file, 'a', 0o600);
  try {
    await handle.write(`${lastByte !== undefined && lastByte !== NEWLINE ? '\n' : ''}${lines.map((l) => `${l}\n`).join('')}`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // A new file's name must survive a crash too.
  if (lastByte === undefined) await syncDirectory(dir);
}

/** Every complete line with its number (from 1); a last line still being written is left out. */
export async function* readCheckpointFile(file: string): AsyncGenerator<{ line: string; number: number }> {
  let carry = '';
  let number = 0;
  for await (const chunk of fs.createReadStream(file, { encoding: 'utf8' })) {
    const parts = (carry + (chunk as string)).split('\n');
    carry = parts.pop()!;
    for (const line of parts) yield { line, number: ++number };
  }
}

/**
 * Reads the file backwards, line by line, until `accept` returns something for a complete line:
 * the writer needs only the newest checkpoint, however long the file has grown.
 */
export async function findLastLine<T>(file: string, accept: (line: string) => T | undefined): Promise<T | undefined> {
  const handle = await openIfExists(file);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    let end = size;
    let carry: Buffer = Buffer.alloc(0);
    // What follows the file's last newline is empty, or a line still being written: skipped.
    let skipLast = true;
    while (end > 0) {
      const start = Math.max(0, end - TAIL_CHUNK);
      const chunk = Buffer.alloc(end - start);
      await handle.read(chunk, 0, chunk.length, start);
      const buffer = Buffer.concat([chunk, carry]);
      end = start;
      const lines = splitLines(buffer);
      if (skipLast) {
        if (lines.length === 1) {
          carry = buffer;
          continue;
        }
        lines.pop();
        skipLast = false;
      }
      // The first piece may begin in the chunk before this one.
      carry = start > 0 ? lines.shift()! : Buffer.alloc(0);
      for (let i = lines.length - 1; i >= 0; i--) {
        const found = accept(lines[i]!.toString('utf8'));
        if (found !== undefined) return found;
      }
    }
    return undefined;
  } finally {
    await handle.close();
  }
}

function splitLines(buffer: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let from = 0;
  for (let nl = buffer.indexOf(NEWLINE); nl !== -1; nl = buffer.indexOf(NEWLINE, from)) {
    lines.push(buffer.subarray(from, nl));
    from = nl + 1;
  }
  lines.push(buffer.subarray(from));
  return lines;
}

async function openIfExists(file: string): Promise<fsp.FileHandle | undefined> {
  try {
    return await fsp.open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function readLastByte(file: string): Promise<number | undefined> {
  const handle = await openIfExists(file);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    if (size === 0) return NEWLINE;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, size - 1);
    return byte[0];
  } finally {
    await handle.close();
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
