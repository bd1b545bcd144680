import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
// Starting takes a while on a busy machine; stopping must fit the configured grace period
// (plus process exit and our polling).
const STOP_DEADLINE_MS = SHUTDOWN_TIMEOUT_MS + 3000;

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
  npm: ChildProcess;
  npmPid: number;
  nodePid: number;
  output(): string;
  dataDir: string;
}

async function npmStart(): Promise<Started> {
  const dataDir = mkdtempSync(join(tmpdir(), 'locksmith-npm-start-'));
  const [command, prefix] = npmCommand();
  const npm = spawn(command, [...prefix, 'start', '--silent'], {
    cwd: ROOT,
    detached: true, // its own process group, as a terminal or service manager would start it
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
  npm.stdout!.on('data', (chunk) => (out += String(chunk)));
  npm.stderr!.on('data', (chunk) => (out += String(chunk)));
  const deadline = Date.now() + 90_000;
  let url: string | undefined;
  while (!url) {
    const match = /(http:\/\/127\.0\.0\.1:\d+)\/graphql/.exec(out);
    if (match) url = match[1];
    else if (npm.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
    else if (Date.now() > deadline) throw new Error(`npm start did not come up:\n${out}`);
    else await new Promise((r) => setTimeout(r, 100));
  }
  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  const tree = descendants(npm.pid!);
  // npm's only descendant is the server itself: no sh, no second node in between.
  expect(tree).toHaveLength(1);
  const nodePid = tree[0]!;
  expect(processTable().get(nodePid)!.cmdline).toMatch(/node.* scripts\/start\.js$/);
  return { npm, npmPid: npm.pid!, nodePid, output: () => out, dataDir };
}

async function waitGone(pids: number[]): Promise<number> {
  const started = Date.now();
  while (pids.some(isAlive)) {
    if (Date.now() - started > STOP_DEADLINE_MS) return Date.now() - started;
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

describe('npm start and signals', () => {
  const started: Started[] = [];
  // Build once up front so each case measures a start, not a compile.
  beforeAll(() => ensureBuilt(), 300_000);
  afterAll(() => {
    for (const s of started) {
      for (const pid of [s.nodePid, s.npmPid]) {
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
    const took = await waitGone([s.npmPid, s.nodePid]);
    expect({ npm: isAlive(s.npmPid), node: isAlive(s.nodePid) }).toEqual({ npm: false, node: false });
    expect(took).toBeLessThan(STOP_DEADLINE_MS);
    // Graceful: the server finished its shutdown (not the forced exit after the timeout).
    expect(s.output()).toContain('"msg":"stopped"');
  }, 120_000);

  it('SIGTERM to the server still ends it after npm, its parent, is gone', async () => {
    const s = await npmStart();
    started.push(s);
    process.kill(s.npmPid, 'SIGKILL');
    await waitGone([s.npmPid]);
    expect(isAlive(s.nodePid)).toBe(true); // orphaned, still serving
    process.kill(s.nodePid, 'SIGTERM');
    const took = await waitGone([s.nodePid]);
    expect(isAlive(s.nodePid)).toBe(false);
    expect(took).toBeLessThan(STOP_DEADLINE_MS);
  }, 120_000);
});
