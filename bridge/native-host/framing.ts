import { MAX_MESSAGE_BYTES } from '../protocol.ts';

/**
 * Native messaging framing (Chrome and Firefox): a 4-byte little-endian length, then that many
 * bytes of UTF-8 JSON, both ways. A frame over MAX_MESSAGE_BYTES is reported and its body skipped,
 * so one bad frame does not desynchronise the stream.
 */
export type Frame = { kind: 'message'; text: string } | { kind: 'too_large'; length: number };

export class FrameReader {
  private buffer = Buffer.alloc(0);
  private skip = 0;

  /** Feeds bytes; returns the complete frames they finish. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    if (this.skip > 0) {
      const dropped = Math.min(this.skip, chunk.length);
      this.skip -= dropped;
      chunk = chunk.subarray(dropped);
    }
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.skip > 0) {
        const dropped = Math.min(this.skip, this.buffer.length);
        this.skip -= dropped;
        this.buffer = this.buffer.subarray(dropped);
        if (this.skip > 0) break;
      }
      if (this.buffer.length < 4) break;
      const length = this.buffer.readUInt32LE(0);
      if (length > MAX_MESSAGE_BYTES) {
        frames.push({ kind: 'too_large', length });
        this.buffer = this.buffer.subarray(4);
        this.skip = length;
        continue;
      }
      if (this.buffer.length < 4 + length) break;
      frames.push({ kind: 'message', text: this.buffer.subarray(4, 4 + length).toString('utf8') });
      this.buffer = this.buffer.subarray(4 + length);
    }
    return frames;
  }
}

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  const header = Buffer.alloc(4);
  header.writeUInt32LE(body.length, 0);
  return Buffer.concat([header, body]);
}
