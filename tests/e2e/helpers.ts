import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * End-to-end helpers: a REAL server process (`src/server.ts` in development mode, SQLite in a
 * temp dir, port chosen by the OS and read from the start-up banner) and the REAL CLI binary
 * (`node bin/locksmith.js`) run as child processes with a scrubbed environment.
 */

export const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'locksmith.js');
const START_TIMEOUT_MS = 30_000;

export interface ServerProcess {
  /** Origin, e.g. http://127.0.0.1:43123 (the CLI adds /graphql). */
  readonly url: string;
  readonly adminToken: string;
  /** The default developer's full-scope API key. */
  readonly apiKey: string;
  readonly dataDir: string;
  /** Everything the server wrote, to assert no value ever reached its output. */
  output(): string;
  stop(): Promise<void>;
}

export async function startServer(): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'locksmith-e2e-server-'));
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      NODE_ENV: 'development',
      LOCKSMITH_DATA_DIR: dataDir,
      LOCKSMITH_PORT: '0',
      LOCKSMITH_LOG_LEVEL: 'info',
      LOCKSMITH_GRAPHIQL: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`server did not start within ${START_TIMEOUT_MS} ms:\n${output}`)), START_TIMEOUT_MS);
    const onData = () => {
      // The dev banner: "GraphQL + GraphiQL  http://127.0.0.1:PORT/graphql" with the real port.
      const match = /(http:\/\/[^\s]+):(\d+)\/graphql/.exec(output);
      if (match && match[2] !== '0') {
        cleanup();
        resolve(`${match[1]}:${match[2]}`);
      }
    };
    const onExit = (code: number | null) => fail(new Error(`server exited with ${code}:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (error: Error) => {
      cleanup();
      child.kill('SIGKILL');
      reject(error);
    };
    child.stdout!.on('data', onData);
    child.on('exit', onExit);
  });

  const credentials = JSON.parse(readFileSync(join(dataDir, 'dev-credentials.json'), 'utf8')) as { adminToken: string; apiKey: string };
  return {
    url,
    adminToken: credentials.adminToken,
    apiKey: credentials.apiKey,
    dataDir,
    output: () => output,
    stop: async () => {
      await stopProcess(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Added to the scrubbed environment (PATH, HOME, XDG_CONFIG_HOME only). */
  readonly env?: Record<string, string>;
  readonly input?: string | Buffer;
  readonly cwd?: string;
}

/** A sandbox for CLI runs: its own HOME / XDG_CONFIG_HOME / cwd, so no real config or dev credentials leak in. */
export class CliSandbox {
  readonly home = mkdtempSync(join(tmpdir(), 'locksmith-e2e-home-'));
  readonly xdgConfigHome = join(this.home, '.config');

  constructor(private readonly defaults: Record<string, string> = {}) {}

  run(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? this.home,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: this.home,
        XDG_CONFIG_HOME: this.xdgConfigHome,
        // Test the source, not a dist/ a previous `npm run build` may have left behind.
        LOCKSMITH_CLI_FROM_SOURCE: '1',
        ...this.defaults,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.stdin.end(options.input ?? '');
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
