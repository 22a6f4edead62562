import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendCheckpointLines, findLastLine, readCheckpointFile } from '../../../src/audit/checkpoint-file.ts';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-checkpoints-'));
  dirs.push(dir);
  return path.join(dir, 'audit', 'checkpoints.jsonl');
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

async function allLines(file: string) {
  const lines: { line: string; number: number }[] = [];
  for await (const l of readCheckpointFile(file)) lines.push(l);
  return lines;
}

describe('the checkpoint file', () => {
  it('is created private (directory 0700, file 0600) and only appended to', async () => {
    const file = tempFile();
    await appendCheckpointLines(file, ['{"a":1}']);
    await appendCheckpointLines(file, ['{"a":2}', '{"a":3}']);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
  });

  it('a line torn by a crash is closed before the next one, and a line still being written is not read', async () => {
    const file = tempFile();
    await appendCheckpointLines(file, ['{"a":1}']);
    fs.appendFileSync(file, '{"a":2, "torn');
    expect(await allLines(file)).toEqual([{ line: '{"a":1}', number: 1 }]);
    expect(await findLastLine(file, (l) => l)).toBe('{"a":1}');
    await appendCheckpointLines(file, ['{"a":3}']);
    expect(await allLines(file)).toEqual([
      { line: '{"a":1}', number: 1 },
      { line: '{"a":2, "torn', number: 2 },
      { line: '{"a":3}', number: 3 },
    ]);
  });

  it('is read backwards to the newest line accepted, across chunks and lines longer than a chunk', async () => {
    const file = tempFile();
    const long = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(100_000 + n) });
    await appendCheckpointLines(file, [long(1), 'short', long(2), long(3), 'garbage']);
    expect(await findLastLine(file, (l) => (l.startsWith('{') ? (JSON.parse(l) as { n: number }).n : undefined))).toBe(3);
    expect(await findLastLine(file, (l) => (l === 'short' ? l : undefined))).toBe('short');
    expect(await findLastLine(file, (l) => (l.includes('"n":1,') ? (JSON.parse(l) as { n: number }).n : undefined))).toBe(1);
    expect(await findLastLine(file, () => undefined)).toBeUndefined();
    expect(await findLastLine(path.join(path.dirname(file), 'missing.jsonl'), (l) => l)).toBeUndefined();
  });
});
