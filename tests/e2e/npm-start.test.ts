import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../support/built-server';

/**
 * `npm start` as an operator runs it: npm -> node (scripts/start.js, which loads the compiled
 * server into itself). SIGTERM and SIGINT end every process of the tree gracefully within
 * LOCKSMITH_SHUTDOWN_TIMEOUT_MS whether sent to npm, to the process group or to node, and
 * also after npm itself is gone. Linux: the process tree is read from /proc.
 */

const ROOT = join(__dirname, '..', '..');
const SHUTDOWN_TIMEOUT_MS = 4000;
// A guard against a hung test, not a measure (a loaded machine is slow, not wrong): whether a
// stop was graceful is read from the server's own log, since past SHUTDOWN_TIMEOUT_MS it gives up
// on in-flight work, logs "shutdown timed out" and exits 1 without its "stopped" line.
const GONE_GUARD_MS = 60_000;

function npmCommand(): [string, string[]] {
  // Under `npm test`, npm_execpath is npm's own CLI; run the same npm.
  const npm = process.env.npm_execpath;
  return npm && /npm-cli\.js$/.test(npm) ? [process.execPath, [npm]] : ['npm', []];
}

/** Pid -> parent pid for every live (non-zombie) process. */
function processTable(): Map<number, { ppid: number; cmdline: string }> {
  const table = new Map<number, { ppid: number; cmdline: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
      table.set(Number(entry), { ppid: Number(fields[1]), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

function descendants(pid: number): number[] {
  const table = processTable();
  const out: number[] = [];
  const walk = (parent: number) => {
    for (const [child, { ppid }] of table) {
      if (ppid === parent) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}

function isAlive(pid: number): boolean {
  return processTable().has(pid);
}

interface Started {
  /** What the test spawned: npm itself, or `script` holding the terminal npm runs in. */
  launcherPid: number;
  npmPid: number;
  nodePid: number;
  output(): string;
  /** Resolves once the launcher's stdout and stderr are closed: every process holding them has exited and its output has been read. */
  closed: Promise<void>;
  dataDir: string;
}

/**
 * `npm start` in its own process group, as a service manager would start it, or with
 * `terminal`, in a new session on a pseudo-terminal (util-linux `script`), as a developer runs
 * it in a terminal window: killing `script` then closes the terminal, as closing the window does.
 */
async function npmStart(options: { terminal?: boolean } = {}): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'locksmith-npm-start-'));
  const [command, prefix] = npmCommand();
  const npmArgv = [command, ...prefix, 'start', '--silent'];
  const [file, args] = options.terminal
    ? ['script', ['-qfec', npmArgv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null']]
    : [command, npmArgv.slice(1)];
  const launcher = spawn(file, args, {
    cwd: ROOT,
    detached: true, // its own process group (and with script, its own session and terminal)
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      NODE_ENV: 'development',
      LOCKSMITH_DATA_DIR: dataDir,
      LOCKSMITH_PORT: '0',
      LOCKSMITH_GRAPHIQL: 'false',
      LOCKSMITH_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  launcher.stdout!.on('data', (chunk) => (out += String(chunk)));
  launcher.stderr!.on('data', (chunk) => (out += String(chunk)));
  const closed = new Promise<void>((resolve) => launcher.once('close', () => resolve()));
  const deadline = Date.now() + 90_000;
  let url: string | undefined;
  while (!url) {
    const match = /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(out);
    if (match) url = match[1];
    else if (launcher.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    else if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  const table = processTable();
  const nodePid = descendants(launcher.pid!).find((pid) => / scripts\/start\.js$/.test(table.get(pid)!.cmdline))!;
  expect(nodePid).toBeDefined();
  const npmPid = options.terminal ? table.get(nodePid)!.ppid : launcher.pid!;
  // npm's only descendant is the server itself: no sh, no second node in between.
  expect(descendants(npmPid)).toEqual([nodePid]);
  expect(table.get(nodePid)!.cmdline).toMatch(/node.* scripts\/start\.js$/);
  return { launcherPid: launcher.pid!, npmPid, nodePid, output: () => out, closed, dataDir };
}

/** Resolves once none of `pids` is alive; rejects if one still is after GONE_GUARD_MS. */
async function waitGone(pids: number[]): Promise<void> {
  const started = Date.now();
  while (pids.some(isAlive)) {
    if (Date.now() - started > GONE_GUARD_MS) throw new Error(`still running after ${GONE_GUARD_MS} ms: ${pids.filter(isAlive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start and signals', () => {
  const started: Started[] = [];
  // Build once up front so each case measures a start, not a compile.
  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(() => {
    for (const s of started) {
      for (const pid of [s.nodePid, s.npmPid, s.launcherPid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(s.dataDir, { recursive: true, force: true });
    }
  });

  const cases: Array<[string, (s: Started) => void]> = [
    ['SIGTERM to npm', (s) => process.kill(s.npmPid, 'SIGTERM')],
    ['SIGTERM to the process group', (s) => process.kill(-s.npmPid, 'SIGTERM')],
    ['SIGTERM to node', (s) => process.kill(s.nodePid, 'SIGTERM')],
    ['SIGINT to the process group (Ctrl-C)', (s) => process.kill(-s.npmPid, 'SIGINT')],
    ['SIGINT to npm', (s) => process.kill(s.npmPid, 'SIGINT')],
  ];

  it.each(cases)('%s ends npm and the server gracefully within the shutdown timeout', async (_name, send) => {
    const s = await npmStart();
    started.push(s);
    send(s);
    await waitGone([s.npmPid, s.nodePid]);
    // Graceful: the server finished its shutdown, not the forced exit after the timeout. The
    // processes are gone; their last lines may still be in the pipe until it closes.
    await s.closed;
    expect(s.output()).toContain('"msg":"stopped"');
    expect(s.output()).not.toContain('shutdown timed out');
  }, 120_000);

  it('SIGTERM to the server still ends it after npm, its parent, is gone', async () => {
    const s = await npmStart();
    started.push(s);
    process.kill(s.npmPid, 'SIGKILL');
    await waitGone([s.npmPid]);
    expect(isAlive(s.nodePid)).toBe(true); // orphaned, still serving
    // Without a terminal, SIGHUP is the reload signal (log rotation), not a stop.
    process.kill(s.nodePid, 'SIGHUP');
    await new Promise((r) => setTimeout(r, 500));
    expect(isAlive(s.nodePid)).toBe(true);
    process.kill(s.nodePid, 'SIGTERM');
    await waitGone([s.nodePid]);
    await s.closed;
    expect(s.output()).toContain('"msg":"stopped"');
    expect(s.output()).not.toContain('shutdown timed out');
  }, 120_000);

  it('closing the terminal that runs npm start (a hangup) ends npm and the server gracefully', async () => {
    const s = await npmStart({ terminal: true });
    started.push(s);
    const wal = join(s.dataDir, 'locksmith.db-wal');
    expect(existsSync(wal)).toBe(true);
    process.kill(s.launcherPid, 'SIGKILL'); // the terminal window goes away: its session gets SIGHUP
    await waitGone([s.npmPid, s.nodePid]);
    // Graceful, although its log has nowhere to go now: the server closed its database (SQLite
    // removes the write-ahead log when the last connection closes; a killed process leaves it).
    expect(existsSync(wal)).toBe(false);
  }, 120_000);
});
