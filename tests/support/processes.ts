/**
 * Real processes for end-to-end tests: the server (what `npm start` runs) and
 * the `locksmith` CLI binary, each started with a clean environment (nothing from the test
 * runner's own LOCKSMITH_*, AWS_* or VAULT_* leaks in), the server on a port the OS picks (read
 * back from its "listening" log line, so there is no free-port race).
 */
import { randomBytes } from 'node:crypto';
import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BUILT_SERVER, useBuiltDist } from './built-server';

export const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'locksmith.js');
/**
 * Every server and CLI these helpers start is the compiled one, what `npm start` and an installed
 * package run: a file that imports this builds dist/ first when it is stale (or waits for the
 * build `npm test` has under way), in a beforeAll hook of its own with the time a cold build
 * needs. Compiled starts also cost a fraction of the CPU of compiling every source through tsx.
 */
useBuiltDist();
// A guard against a hung start, not a measure: a loaded 2-core machine may take many seconds.
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Node's on-disk compile cache for every server and CLI process a test starts: a run starts about
 * two hundred of them, each compiling the same dist/ modules, and reusing V8's code cuts several
 * CPU-seconds from a run that keeps both cores busy. Node checks each entry against the source it
 * was made from (and its own version), so an edit or another checkout never runs stale code.
 */
const COMPILE_CACHE = join(tmpdir(), 'locksmith-test-compile-cache');

/** The only variables a child gets from the runner: enough to find node, nothing that configures locksmith. */
function baseEnv(home: string): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: home, NODE_COMPILE_CACHE: COMPILE_CACHE };
}

/** The server's environment: development mode, the data dir, port 0, info logs (the "listening" line), then `env`. */
export function serverEnv(dataDir: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    ...baseEnv(dataDir),
    NODE_ENV: 'development',
    LOCKSMITH_DATA_DIR: dataDir,
    LOCKSMITH_PORT: '0',
    LOCKSMITH_LOG_LEVEL: 'info',
    ...env,
  };
}

/** What a production-mode server needs to start: a fresh admin token and master key. */
export function productionEnv(): { NODE_ENV: 'production'; LOCKSMITH_ADMIN_TOKEN: string; LOCKSMITH_MASTER_KEYS: string } {
  return {
    NODE_ENV: 'production',
    LOCKSMITH_ADMIN_TOKEN: `lsa_${randomBytes(24).toString('hex')}`,
    LOCKSMITH_MASTER_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };
}

export interface DevCredentials {
  readonly adminToken: string;
  readonly developerId: string;
  readonly apiKey: string;
}

export interface ServerProcess {
  /** Origin, e.g. http://127.0.0.1:43123 (https:// with LOCKSMITH_TLS_CERT; the CLI adds /graphql). */
  readonly url: string;
  readonly dataDir: string;
  /** The server's own pid (for signals such as SIGHUP). */
  readonly pid: number;
  /** The development-mode credentials from the data dir (a production server has none: reading them throws). */
  readonly credentials: DevCredentials;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` (SIGKILL after 5 s) and resolves with the exit code; removes a data dir it created. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServerProcessOptions {
  /** Default: a fresh temp dir, removed by stop(). */
  readonly dataDir?: string;
  readonly env?: Record<string, string>;
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/**
 * Servers of the current test file still running. A failed assertion before a test's own
 * stop() would leave its server holding the worker's pipes open, and jest would then never
 * exit; so every test file that starts servers kills what is left once it is done.
 */
const liveServers = new Set<ChildProcess>();
if (typeof afterAll === 'function') {
  afterAll(async () => {
    const left = [...liveServers];
    await Promise.all(
      left.map((child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      })),
    );
  });
}

/** The compiled server on `dataDir` with serverEnv's environment; killed when the test file ends if still running. */
function spawnServer(dataDir: string, env: Record<string, string> | undefined): ChildProcessByStdio<null, Readable, Readable> {
  const child = spawn(process.execPath, [BUILT_SERVER], { cwd: ROOT, env: serverEnv(dataDir, env), stdio: ['ignore', 'pipe', 'pipe'] });
  liveServers.add(child);
  child.once('exit', () => liveServers.delete(child));
  return child;
}

export async function startServerProcess(options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'locksmith-e2e-server-'));
  const child = spawnServer(dataDir, options.env);
  let out = '';
  child.stdout.on('data', (chunk) => (out += String(chunk)));
  child.stderr.on('data', (chunk) => (out += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start within ${START_TIMEOUT_MS} ms:\n${out}`)), START_TIMEOUT_MS);
      const onData = () => {
        const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
        if (!line) return;
        cleanup();
        const listening = JSON.parse(line) as { port: number; url?: string };
        resolve(listening.url ?? `http://127.0.0.1:${listening.port}`);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        cleanup();
        reject(new Error(`server ${describeExit(code, signal)} before listening:\n${out}`));
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.off('exit', onExit);
      };
      child.stdout.on('data', onData);
      child.on('exit', onExit);
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  const credentialsFile = join(dataDir, 'dev-credentials.json');
  const credentials = existsSync(credentialsFile) ? (JSON.parse(readFileSync(credentialsFile, 'utf8')) as DevCredentials) : undefined;
  return {
    url,
    dataDir,
    pid: child.pid!,
    get credentials(): DevCredentials {
      if (!credentials) throw new Error('this server wrote no development credentials (production mode)');
      return credentials;
    },
    output: () => out,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited.finally(() => clearTimeout(force));
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      return exited;
    },
  };
}

/**
 * A port free at the time of asking, for child programs that cannot listen on 0 and report the
 * port they got (MariaDB nodes of a test cluster, which must bind theirs again when restarted).
 * Our own server never needs it: it listens on port 0 and says where.
 *
 * Taken below the kernel's ephemeral range (ip_local_port_range), never from it: the machine's
 * outgoing connections (four jest workers' database clients, for one) take their local ports from
 * that range, and one of them held a Galera node's SST port by the time the node restarted.
 */
export async function freePort(): Promise<number> {
  const below = ephemeralLow();
  for (let tries = 0; tries < 200; tries++) {
    const port = FIXED_PORTS_FROM + Math.floor(Math.random() * (below - FIXED_PORTS_FROM));
    if (handedOut.has(port) || !(await canListen(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port between ${FIXED_PORTS_FROM} and ${below}`);
}

const FIXED_PORTS_FROM = 10_000;
/** Ports this process handed out: a cluster asks for a dozen before any is bound. */
const handedOut = new Set<number>();

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > FIXED_PORTS_FROM + 1000) return low;
  } catch {
    // not Linux: the IANA dynamic range starts at 49152
  }
  return 49_152;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export interface ServerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The server run to completion (start-up refusals): how it exited and what it wrote. One that
 * starts after all is killed once START_TIMEOUT_MS has passed, and its exit then says so.
 */
export function runServerToExit(dataDir: string, env: Record<string, string>): Promise<ServerExit> {
  const child = spawnServer(dataDir, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Added to the sandbox's environment. */
  readonly env?: Record<string, string>;
  readonly input?: string | Buffer;
  readonly cwd?: string;
  /** Ctrl-C at a chosen moment: SIGINT once, when stderr first matches (a second one would kill it outright). */
  readonly interruptWhen?: RegExp;
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
        ...baseEnv(this.home),
        XDG_CONFIG_HOME: this.xdgConfigHome,
        ...this.defaults,
        ...options.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
      if (options.interruptWhen && !interrupted && options.interruptWhen.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.stdin.end(options.input ?? '');
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code, signal) => {
        if (code === null) reject(new Error(`locksmith ${args.join(' ')} ${describeExit(code, signal)}:\n${stdout}${stderr}`));
        else resolve({ code, stdout, stderr });
      });
    });
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
