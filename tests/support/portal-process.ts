import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * The real portal (server.ts, production build) as a child process, so a test can stop it, kill
 * it or restart it on the same database.
 */
export class PortalProcess {
  private child: ChildProcess | undefined;
  private output = '';
  readonly url: string;
  private readonly secretsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hpki-kek-'));
  /** The key-encryption key file this portal uses (a seed that seals keys must use the same one). */
  readonly keyEncryptionKeyFile = path.join(this.secretsDir, 'kek');

  constructor(
    readonly port: number,
    readonly databaseUrl: string,
    private readonly extraEnv: Record<string, string> = {},
    /** The script the child runs (server.ts; tests may run a process without Next.js pages). */
    private readonly entry = 'server.ts',
  ) {
    this.url = `http://localhost:${port}`;
  }

  get log(): string {
    return this.output;
  }

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', this.entry], {
      cwd: root,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(this.port),
        HOST: '127.0.0.1',
        PUBLIC_URL: this.url,
        DATABASE_URL: this.databaseUrl,
        KEY_ENCRYPTION_KEY_FILE: this.keyEncryptionKeyFile,
        DEMO: 'false',
        PRIVATE_FETCH_HOSTS: 'localhost',
        NEXT_TELEMETRY_DISABLED: '1',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('ready on')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`portal exited with ${code} before it was ready:\n${this.output}`)));
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
    this.child = undefined;
  }

  /** True while the child process has not exited (a crash shows here). */
  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  dispose(): void {
    fs.rmSync(this.secretsDir, { recursive: true, force: true });
  }
}
