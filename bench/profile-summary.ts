/**
 * Where a server's CPU goes, per request: reads a V8 CPU profile written by `npm run bench --
 * --profile` and splits the measured CPU time per request (the results' "server CPU ms/req")
 * over packages by their share of the profile's busy samples (idle and module loading left out).
 *
 *   npx tsx bench/profile-summary.ts bench/profiles/mysql-<stamp>-locksmith/CPU.<...>.0.001.cpuprofile 1.39 [rows] [from] [to]
 *
 * `from` and `to` (seconds before the profile's end) keep only that window: with `--only
 * reveal --duration 6`, `7.5 1.2` is the measured run without the seeding before it.
 *
 * Shares are of sampled wall time while busy, so time a thread spent preempted inside a syscall
 * (a socket write that wakes the database) counts too; compare two servers from the same run.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const MODULE_LOADING = /modules\/(cjs|esm)|\/tsx\/|esbuild|readFileUtf8|wrapSafe|compileFunction|internalModuleStat/;

function category(frame: ProfileNode['callFrame']): string | null {
  const { url, functionName } = frame;
  if (functionName === '(idle)' || MODULE_LOADING.test(`${url} ${functionName}`)) return null;
  const pkg = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.includes('/src/')) return `src/${url.split('/src/')[1]!.split('/')[0]}`;
  if (url.includes('/bench/')) return 'bench (ceiling code)';
  if (url.startsWith('node:')) return url.includes('http') ? 'node:http' : url.includes('stream') ? 'node:streams' : 'node: other';
  return `(native) ${functionName}`;
}

function main(): void {
  const [file, msArg, topArg, fromArg, toArg] = process.argv.slice(2);
  if (!file || !msArg) throw new Error('usage: profile-summary <file.cpuprofile> <cpu ms per request> [rows]');
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const msPerRequest = Number(msArg);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const time = new Map<string, number>();
  const from = fromArg ? profile.endTime - Number(fromArg) * 1e6 : -Infinity;
  const to = toArg ? profile.endTime - Number(toArg) * 1e6 : Infinity;
  let busy = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    const c = category(byId.get(id)!.callFrame);
    if (c === null || at < from || at > to) return;
    busy += dt;
    time.set(c, (time.get(c) ?? 0) + dt);
  });
  const rows = [...time].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25));
  for (const [c, t] of rows) console.log(`${((msPerRequest * t) / busy).toFixed(3).padStart(7)} ms  ${c}`);
}

main();
