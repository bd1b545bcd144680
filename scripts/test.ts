/**
 * `npm test`: the whole suite, its independent parts side by side, since much of each is spent
 * waiting (on durable commits, process starts, a Galera cluster forming, signals) rather than
 * computing:
 *
 * - jest: every test file once (the workers of jest.config.js, slowest files first:
 *   tests/support/slow-first-sequencer.js), its output live;
 * - build: dist/ and the web console, as `npm start` builds them, started at once because every
 *   test that runs a server or the CLI waits for it (tests/support/built-server.ts);
 * - typecheck: `tsc --noEmit` over the project, then over web/;
 * - providers: the provider-dependent integration files over each remote key provider
 *   (scripts/test-providers.ts).
 *
 * The typecheck and provider lanes run at a lower CPU priority: they fill the time the jest
 * workers wait and do not slow them. Their output is printed when they end; the run fails if any
 * lane fails, and ends with each lane's time. Extra arguments go to the main jest run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collect, type LaneResult, runProviderPasses } from './test-providers';

const ROOT = join(__dirname, '..');
const JEST = join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const BACKGROUND = 10;
/** Every jest process of the run writes its counts here (tests/support/count-reporter.js). */
const COUNTS_DIR = mkdtempSync(join(tmpdir(), 'locksmith-test-counts-'));
process.env.LOCKSMITH_TEST_COUNTS_DIR = COUNTS_DIR;

/** The counts of every jest process of this run, summed. */
function totals(): { passed: number; failed: number; skipped: number } {
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const file of readdirSync(COUNTS_DIR)) {
    const counts = JSON.parse(readFileSync(join(COUNTS_DIR, file), 'utf8')) as typeof sum;
    sum.passed += counts.passed;
    sum.failed += counts.failed;
    sum.skipped += counts.skipped;
  }
  rmSync(COUNTS_DIR, { recursive: true, force: true });
  return sum;
}

interface Lane {
  readonly name: string;
  readonly run: () => Promise<LaneResult>;
}

/** node with `args`, its output passed straight through (the main jest run). */
function live(args: string[]): Promise<LaneResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
    child.on('close', (code) => resolve({ code, output: '' }));
  });
}

async function sequence(...steps: Array<() => Promise<LaneResult>>): Promise<LaneResult> {
  let output = '';
  for (const step of steps) {
    const result = await step();
    output += result.output;
    if (result.code !== 0) return { code: result.code, output };
  }
  return { code: 0, output };
}

const lanes: Lane[] = [
  { name: 'jest', run: () => live([JEST, ...process.argv.slice(2)]) },
  { name: 'build', run: () => collect(['-e', `require(${JSON.stringify(join(ROOT, 'scripts', 'start.js'))}).ensureBuilt()`]) },
  {
    name: 'typecheck',
    run: () =>
      sequence(
        () => collect([TSC, '--noEmit'], {}, BACKGROUND),
        () => collect([TSC, '--noEmit', '-p', 'web'], {}, BACKGROUND),
      ),
  },
  { name: 'providers', run: () => runProviderPasses([], BACKGROUND) },
];

async function main(): Promise<void> {
  const started = Date.now();
  const results = await Promise.all(
    lanes.map(async (lane) => {
      const result = await lane.run();
      return { ...lane, ...result, seconds: (Date.now() - started) / 1000 };
    }),
  );
  for (const lane of results.filter((r) => r.name !== 'jest')) {
    process.stdout.write(`\n== ${lane.name}${lane.code === 0 ? '' : ` FAILED (exit ${lane.code})`}\n${lane.output}`);
  }
  const failed = results.filter((r) => r.code !== 0);
  process.stdout.write(
    `\nnpm test: ${results.map((r) => `${r.name} ${r.seconds.toFixed(0)} s`).join(', ')} (each from the start); ` +
      `${failed.length === 0 ? 'all passed' : `FAILED: ${failed.map((r) => r.name).join(', ')}`}\n`,
  );
  const { passed, failed: failedTests, skipped } = totals();
  // The plain closing line CI reads, over the main run and the provider passes together.
  process.stdout.write(`tests: ${passed} passed, ${failedTests} failed, ${skipped} skipped\n`);
  process.exit(failed.length === 0 ? 0 : 1);
}

void main();
