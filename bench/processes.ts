import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A server process the benchmark started (locksmith or a ceiling), stopped by its own pid. */
export interface BenchProcess {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..');

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
