import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A server process the benchmark started (locksmith or a ceiling), stopped by its own pid. */
export interface BenchProcess {
  readonly url: string;
  output(): string;
  /** CPU time (user + system) the process has used so far, in ms; null where /proc is not readable. */
  cpuMs(): number | null;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..');

/**
 * How production starts the server (`npm start`): scripts/start.js loads the compiled
 * dist/src/server.js into its own process, so a --cpu-prof profiles the server itself.
 */
export const START_SCRIPT = join(ROOT, 'scripts', 'start.js');

/**
 * Rate limits for a benchmarked server: one key drives thousands of requests a second from one
 * address, far past the defaults (which would answer 429). The limiter still runs on every request.
 */
export const BENCH_RATE_LIMITS = {
  LOCKSMITH_RATE_LIMIT_PER_KEY: String(1_000_000_000),
  LOCKSMITH_RATE_LIMIT_PER_ADDRESS: String(1_000_000_000),
};

/**
 * What `npm start` does before it loads the server: compile dist/ (and the console) when the
 * sources changed. Done once before any timing, so a server start only checks the stamp.
 */
export async function buildLikeNpmStart(): Promise<void> {
  const started = Date.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script of the repo
  const { ensureBuilt } = require(START_SCRIPT) as { ensureBuilt: () => Promise<void> };
  await ensureBuilt();
  console.log(`dist/ is current (${Math.round((Date.now() - started) / 1000)} s)`);
}

/**
 * Starts `script` (a TypeScript file, through tsx, or a compiled .js file) with `env`, waits until
 * GET /healthz answers 200. Each server runs in its own process so the load generator and the
 * server under test do not share an event loop.
 */
export async function startProcess(script: string, port: number, env: Record<string, string>, nodeArgs: string[] = []): Promise<BenchProcess> {
  let out = '';
  // `--import tsx` runs the TypeScript in this very process (tsx's CLI would fork another one,
  // and a --cpu-prof would then profile the wrapper).
  const args = script.endsWith('.ts') ? [...nodeArgs, '--import', 'tsx', script] : [...nodeArgs, script];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk) => (out = (out + String(chunk)).slice(-20_000)));
  child.stderr!.on('data', (chunk) => (out = (out + String(chunk)).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited early:\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not start in time:\n${out}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => out,
    cpuMs: () => processCpuMs(child.pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

let nextPort = Number(process.env.BENCH_PORT_BASE ?? 43000);

/**
 * A free port from the benchmark's range (BENCH_PORT_BASE and up). The range overlaps the
 * kernel's ephemeral ports, so an outgoing connection may hold any one of them: try, skip on use.
 */
export async function pickPort(): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const port = nextPort++;
    const free = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port in the benchmark range');
}

/** utime + stime of a process from /proc/<pid>/stat (Linux), in ms. */
function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;
