import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { portalEnv, portalNodeArgs } from '../../scripts/portal-node-args.mjs';

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
  /** Its audit checkpoint file (audit:verify beside it must read the same one). */
  readonly auditCheckpointFile = path.join(this.secretsDir, 'audit-checkpoints.jsonl');

  constructor(
    readonly port: number,
    readonly databaseUrl: string,
    private readonly extraEnv: Record<string, string> = {},
    /** The script the child runs (server.ts; tests may run a process without Next.js pages). */
    private readonly entry = 'server.ts',
    private readonly options: {
      /** Node/V8 flags for the child (e.g. --cpu-prof). */
      nodeArgs?: string[];
      /** Wraps the command, e.g. in `taskset -c 1` (which execs node: the pid stays the portal's). */
      wrap?: (command: string[]) => string[];
    } = {},
  ) {
    this.url = `http://localhost:${port}`;
  }

  get log(): string {
    return this.output;
  }

  /** The portal process's pid, while it runs. */
  get pid(): number {
    return this.child!.pid!;
  }

  async start(): Promise<void> {
    this.output = '';
    const command = [process.execPath, ...portalNodeArgs({ ...process.env, DATABASE_URL: this.databaseUrl }), ...(this.options.nodeArgs ?? []), '--import', 'tsx', this.entry];
    const [file, ...args] = this.options.wrap ? this.options.wrap(command) : command;
    const child = spawn(file!, args, {
      cwd: root,
      env: {
        ...process.env,
        ...portalEnv(),
        NODE_ENV: 'production',
        PORT: String(this.port),
        HOST: '127.0.0.1',
        PUBLIC_URL: this.url,
        DATABASE_URL: this.databaseUrl,
        KEY_ENCRYPTION_KEY_FILE: this.keyEncryptionKeyFile,
        AUDIT_CHECKPOINT_FILE: this.auditCheckpointFile,
        DEMO: 'false',
        PRIVATE_FETCH_HOSTS: 'localhost',
        NEXT_TELEMETRY_DISABLED: '1',
        ...this.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`portal not ready after 120 s:\n${this.output}`)), 120_000);
      const onData = (chunk: Buffer) => {
        this.output += chunk.toString();
        // A long run (the benchmark) keeps only the recent output.
        if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
        if (this.output.includes('ready on')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`portal exited with ${code} before it was ready:\n${this.output}`));
      });
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      // A process that ignores the signal for 30 s is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
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
