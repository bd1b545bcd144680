import type { Command } from 'commander';
import type { AuditEvent, AuditFilter } from '../../client/types';
import { CliError, EXIT, UsageError } from '../exit-codes';
import { collect, integer, timestamp } from '../input';
import { orDash, printFields, printJson, printLine, printTable } from '../output';
import type { RuntimeFactory } from '../runtime';

/** `locksmith audit list | verify`: the calling developer's audit log (needs audit:read). */
export function registerAudit(program: Command, runtime: RuntimeFactory): void {
  const audit = program.command('audit').description('read and verify the audit log');

  audit
    .command('list')
    .description('audit events, newest first')
    .option('--action <action>', 'only this action (e.g. secret.reveal); repeatable', collect)
    .option('--secret <name>', 'only events about this secret')
    .option('--since <time>', 'from this time: ISO 8601, or a duration back from now like 24h', past)
    .option('--until <time>', 'up to this time (ISO 8601)', timestamp)
    .option('--limit <n>', 'stop after n events', integer(1), 100)
    .action(async (opts: { action?: string[]; secret?: string; since?: string; until?: string; limit: number }, cmd: Command) => {
      const rt = runtime(cmd);
      const filter: AuditFilter = { actions: opts.action, secretName: opts.secret, since: opts.since, until: opts.until };
      const events: AuditEvent[] = [];
      for await (const event of rt.client().audit.listAll({ filter, pageSize: Math.min(opts.limit, 500) })) {
        events.push(event);
        if (events.length >= opts.limit) break;
      }
      if (rt.json) return printJson(rt.io, events);
      if (events.length === 0) return printLine(rt.io, 'no audit events');
      printTable(
        rt.io,
        ['SEQ', 'AT', 'ACTION', 'SECRET', 'VERSION', 'ACTOR', 'REQUEST ID'],
        events.map((e) => [String(e.seq), e.at, e.action, orDash(e.secretName), orDash(e.version), orDash(e.actor), orDash(e.requestId)]),
      );
    });

  audit
    .command('export')
    .description('the audit log as JSON lines, oldest first, in the shape LOCKSMITH_AUDIT_LOG streams (chain hashes included; never a value)')
    .option('--since <time>', 'from this time: ISO 8601, or a duration back from now like 24h', past)
    .option('--until <time>', 'up to this time (ISO 8601)', timestamp)
    .option('--action <action>', 'only this action; repeatable', collect)
    .option('--format <format>', 'jsonl (one JSON object per line)', 'jsonl')
    .action(async (opts: { since?: string; until?: string; action?: string[]; format: string }, cmd: Command) => {
      if (opts.format !== 'jsonl') throw new UsageError(`--format ${opts.format}: only jsonl is supported`);
      const rt = runtime(cmd);
      const client = rt.client();
      const developerId = (await client.me()).id;
      const events: AuditEvent[] = [];
      const filter: AuditFilter = { actions: opts.action, since: opts.since, until: opts.until };
      for await (const event of client.audit.listAll({ filter, pageSize: 500 })) events.push(event);
      // The API pages newest first; an export reads like the stream, in the order things happened.
      for (const e of events.reverse()) {
        rt.io.stdout.write(
          JSON.stringify({
            type: 'audit',
            id: e.id,
            developerId,
            chain: e.chain,
            seq: e.seq,
            action: e.action,
            secretName: e.secretName ?? null,
            version: e.version ?? null,
            actor: e.actor ?? null,
            requestId: e.requestId ?? null,
            at: e.at,
            detail: e.detail ?? null,
            prevHash: e.prevHash,
            hash: e.hash,
          }) + '\n',
        );
      }
    });

  audit
    .command('verify')
    .description(`recompute the audit log's hash chain; exit ${EXIT.INTEGRITY} when an event was edited, removed or reordered`)
    .action(async (_opts: unknown, cmd: Command) => {
      const rt = runtime(cmd);
      const result = await rt.client().audit.verify();
      if (rt.json) printJson(rt.io, result);
      else {
        printFields(rt.io, [
          ['status', result.ok ? 'ok' : 'BROKEN'],
          ['checked events', String(result.checkedEvents)],
          ['chains', String(result.checkedChains)],
          ...(result.ok
            ? []
            : ([
                ['first broken chain', orDash(result.firstBrokenChain)],
                ['first broken seq', orDash(result.firstBrokenSeq)],
                ['reason', result.reason],
              ] as const)),
        ]);
      }
      if (!result.ok) throw new CliError(`audit log verification failed at event ${orDash(result.firstBrokenSeq)}`, EXIT.INTEGRITY);
    });
}

/** `--since 24h` means 24 hours ago (timestamp() reads durations forwards, for expiries). */
function past(raw: string): string {
  const duration = /^(\d+)([mhdw])$/.exec(raw);
  if (!duration) return timestamp(raw);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[duration[2] as 'm' | 'h' | 'd' | 'w'];
  return new Date(Date.now() - Number(duration[1]) * unit).toISOString();
}
