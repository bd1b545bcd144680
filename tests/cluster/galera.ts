/**
 * A real 3-node MariaDB Galera cluster on loopback, from Debian's mariadb-server, galera-4 and
 * rsync: each node its own datadir, socket, ports and config file; the first bootstraps the
 * cluster (--wsrep-new-cluster), the others join it by rsync SST. Every process is started and
 * stopped by its PID; stop() removes everything, and runs also when a test fails.
 *
 * Traps this works around (seen on this machine kind): as root, rsync SST fails ("Permission
 * denied") and the joiner aborts, so mariadbd runs as user=mysql with the node folders owned by
 * mysql; mariadbd ignores a world-writable config file, so configs are 0644. Each node (and its
 * mariadb-install-db bootstrap) has a tmpdir of its own: a starting mariadbd deletes every
 * `#sql*` file in its tmpdir as a crash leftover, and in the shared /tmp those are the live
 * temporary tables of the MariaDB the rest of the suite uses, whose queries then fail with
 * "Error on delete of '/tmp/#sql-temptable-...'".
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from '../support/processes';

export const GALERA_PROVIDER = '/usr/lib/libgalera_smm.so';

/** Why the cluster suite cannot run here, or undefined when it can. */
export function galeraUnavailable(): string | undefined {
  if (!existsSync(GALERA_PROVIDER)) return `${GALERA_PROVIDER} is missing (apt-get install galera-4)`;
  if (!existsSync('/usr/bin/rsync')) return 'rsync is missing (apt-get install rsync)';
  if (!existsSync('/usr/sbin/mariadbd')) return 'mariadbd is missing (apt-get install mariadb-server)';
  if (userInfo().uid !== 0) return 'the cluster suite starts mariadbd as user mysql, which needs root';
  return undefined;
}

export interface GaleraNode {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  readonly running: boolean;
}

export interface GaleraCluster {
  readonly nodes: readonly GaleraNode[];
  /** mysql:// URL of a database on node i (the database replicates to every node). */
  databaseUrl(i: number, database: string): string;
  createDatabase(name: string): Promise<void>;
  /** SIGKILL node i's mariadbd: a crashed machine, as far as the others can tell. */
  kill(i: number): Promise<void>;
  /** Starts node i again; it rejoins the cluster (IST) and is synced when this resolves. */
  restart(i: number): Promise<void>;
  /** The node's view: wsrep_cluster_size and wsrep_local_state_comment. */
  status(i: number): Promise<{ size: number; state: string; ready: boolean }>;
  /** Runs a statement on node i (root), for looking at stored rows. */
  query(i: number, statement: string): Promise<Array<Record<string, unknown>>>;
  /** Everything mariadbd wrote for node i (its error log), for failure messages. */
  log(i: number): string;
  stop(): Promise<void>;
}

interface NodeState {
  index: number;
  port: number;
  gcommPort: number;
  istPort: number;
  sstPort: number;
  dir: string;
  config: string;
  child: ChildProcess | undefined;
  exited: Promise<void> | undefined;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startGaleraCluster(size = 3): Promise<GaleraCluster> {
  const base = mkdtempSync(join(tmpdir(), 'locksmith-galera-'));
  const mysqlUid = Number(execFileSync('id', ['-u', 'mysql']).toString().trim());
  const mysqlGid = Number(execFileSync('id', ['-g', 'mysql']).toString().trim());
  // mkdtemp makes 0700 folders owned by root: mysql must be able to walk into it.
  chmodSync(base, 0o755);
  const nodes: NodeState[] = [];
  for (let i = 0; i < size; i++) {
    nodes.push({
      index: i,
      port: await freePort(),
      gcommPort: await freePort(),
      istPort: await freePort(),
      sstPort: await freePort(),
      dir: join(base, `node${i}`),
      config: join(base, `node${i}.cnf`),
      child: undefined,
      exited: undefined,
    });
  }
  const addresses = nodes.map((n) => `127.0.0.1:${n.gcommPort}`).join(',');
  for (const node of nodes) {
    mkdirSync(join(node.dir, 'data'), { recursive: true });
    mkdirSync(join(node.dir, 'tmp'));
    for (const dir of [node.dir, join(node.dir, 'data'), join(node.dir, 'tmp')]) chownSync(dir, mysqlUid, mysqlGid);
    writeFileSync(
      node.config,
      [
        '[mariadbd]',
        'user=mysql',
        `datadir=${join(node.dir, 'data')}`,
        `socket=${join(node.dir, 'mysqld.sock')}`,
        `pid-file=${join(node.dir, 'mysqld.pid')}`,
        `log-error=${join(node.dir, 'error.log')}`,
        `tmpdir=${join(node.dir, 'tmp')}`,
        `port=${node.port}`,
        'bind-address=127.0.0.1',
        'skip-name-resolve',
        'innodb_buffer_pool_size=64M',
        'innodb_log_file_size=16M',
        'innodb_flush_log_at_trx_commit=2',
        'max_connections=200',
        'binlog_format=ROW',
        'default_storage_engine=InnoDB',
        'innodb_autoinc_lock_mode=2',
        'wsrep_on=ON',
        `wsrep_provider=${GALERA_PROVIDER}`,
        'wsrep_cluster_name=locksmith_test',
        `wsrep_cluster_address=gcomm://${addresses}`,
        `wsrep_node_address=127.0.0.1:${node.gcommPort}`,
        `wsrep_node_name=node${node.index}`,
        // Short failure detection: a killed node is evicted in seconds, not the default ~15 s.
        `wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${node.gcommPort};ist.recv_addr=127.0.0.1:${node.istPort};` +
          `evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S;evs.keepalive_period=PT1S;gcache.size=64M"`,
        `wsrep_sst_receive_address=127.0.0.1:${node.sstPort}`,
        'wsrep_sst_method=rsync',
        '',
      ].join('\n'),
      { mode: 0o644 },
    );
    chmodSync(node.config, 0o644);
    execFileSync(
      'mariadb-install-db',
      [
        '--no-defaults',
        '--user=mysql',
        `--datadir=${join(node.dir, 'data')}`,
        `--tmpdir=${join(node.dir, 'tmp')}`, // passed on to the bootstrap mariadbd
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
      ],
      { stdio: 'ignore' },
    );
  }

  const start = (node: NodeState, bootstrap: boolean) => {
    const args = [`--defaults-file=${node.config}`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])];
    const child = spawn('/usr/sbin/mariadbd', args, { stdio: 'ignore' });
    node.child = child;
    node.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  };

  const status = async (i: number) => {
    const conn = await createConnection({ host: '127.0.0.1', port: nodes[i]!.port, user: 'root', connectTimeout: 2000 });
    try {
      const [rows] = await conn.query(
        "SHOW STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready')",
      );
      const v = Object.fromEntries((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]));
      return { size: Number(v.wsrep_cluster_size ?? 0), state: v.wsrep_local_state_comment ?? '', ready: v.wsrep_ready === 'ON' };
    } finally {
      await conn.end();
    }
  };

  const log = (i: number) => {
    try {
      return execFileSync('tail', ['-n', '40', join(nodes[i]!.dir, 'error.log')]).toString();
    } catch {
      return '';
    }
  };

  /** Until node i is Synced in a cluster of `expected` nodes. */
  const synced = async (i: number, expected: number, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const node = nodes[i]!;
      if (node.child?.exitCode !== null && node.child?.exitCode !== undefined) throw new Error(`node${i} exited:\n${log(i)}`);
      try {
        const s = await status(i);
        if (s.ready && s.state === 'Synced' && s.size === expected) return;
      } catch {
        // Not accepting connections yet.
      }
      if (Date.now() > deadline) throw new Error(`node${i} did not sync into a cluster of ${expected}:\n${log(i)}`);
      await wait(250);
    }
  };

  const stopNode = async (node: NodeState, signal: NodeJS.Signals) => {
    const child = node.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      node.exited!.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 30_000))),
    ]);
    clearTimeout(timer);
    if (!killed) {
      child.kill('SIGKILL');
      await node.exited;
    }
  };

  const cluster: GaleraCluster = {
    get nodes() {
      return nodes.map((n) => ({
        index: n.index,
        port: n.port,
        url: `mysql://root@127.0.0.1:${n.port}`,
        pid: n.child?.pid,
        running: n.child !== undefined && n.child.exitCode === null && n.child.signalCode === null,
      }));
    },
    databaseUrl: (i, database) => `mysql://root@127.0.0.1:${nodes[i]!.port}/${database}`,
    async createDatabase(name) {
      const conn = await createConnection({ host: '127.0.0.1', port: nodes[0]!.port, user: 'root' });
      try {
        await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
      } finally {
        await conn.end();
      }
    },
    async kill(i) {
      await stopNode(nodes[i]!, 'SIGKILL');
    },
    async restart(i) {
      start(nodes[i]!, false);
      await synced(i, size);
    },
    status,
    async query(i, statement) {
      const conn = await createConnection({ host: '127.0.0.1', port: nodes[i]!.port, user: 'root' });
      try {
        const [rows] = await conn.query(statement);
        return rows as Array<Record<string, unknown>>;
      } finally {
        await conn.end();
      }
    },
    log,
    async stop() {
      await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
      rmSync(base, { recursive: true, force: true });
    },
  };

  try {
    start(nodes[0]!, true);
    await synced(0, 1);
    // Joiners one at a time: each takes a full rsync SST from a donor.
    for (let i = 1; i < size; i++) {
      start(nodes[i]!, false);
      await synced(i, i + 1);
    }
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}
