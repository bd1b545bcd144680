import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isatty } from 'node:tty';
import type { Logger } from 'pino';
import { systemClock } from './clock';
import { type Config, loadConfig } from './config';
import { openKeyProviders } from './crypto/key-provider-set';
import { CONSOLE_PATH, defaultConsoleDir, loadConsoleSite } from './console/static-site';
import { ensureDevDeveloper, loadOrCreateDevCredentials } from './dev/bootstrap';
import { createRequestListener } from './http';
import { loadTlsCredentials, type TlsCredentials } from './http/tls';
import { createLogger } from './logger';
import { type AuditSink, createAuditSink } from './audit/sink';
import { describeStartupError, EX_CONFIG, StartupConfigError } from './startup-errors';
import { unsupportedNode } from './node-version';

/**
 * The server process: config -> app -> HTTP listener, with graceful shutdown on SIGTERM/SIGINT.
 *
 * `startServer` is also the package's server entry (`locksmith-secrets/server`): importing this
 * module starts nothing and installs no signal handler; only running it as the main module
 * (`node dist/src/server.js`, or `npm start` through scripts/start.js, which calls `main`) does.
 */

export interface StartServerOptions {
  /** The environment to configure from (default: process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: JSON lines on stdout at LOCKSMITH_LOG_LEVEL. */
  readonly logger?: Logger;
}

export interface RunningServer {
  /** Where it listens, e.g. http://127.0.0.1:4000 (the port the OS picked when LOCKSMITH_PORT=0). */
  readonly url: string;
  readonly port: number;
  /** The name of the key provider that wraps new data keys. */
  readonly keyProvider: string;
  readonly config: Config;
  readonly logger: Logger;
  /** Development mode: the generated admin token and the default developer's API key. */
  readonly devCredentials?: { readonly adminToken: string; readonly apiKey: string; readonly developerId: string };
  /**
   * Reload (SIGHUP without a terminal): reopens the audit stream file (LOCKSMITH_AUDIT_LOG=file:...,
   * log rotation) and re-reads the TLS certificate and key (renewal). A TLS pair that no longer
   * checks is logged and the one in use is kept.
   */
  reload(): void;
  /** Stops accepting, lets in-flight requests finish (their transactions commit), closes the pool. */
  close(): Promise<void>;
}

/**
 * Starts a server. A configuration problem (a setting, a key provider's settings, an unknown or
 * unreachable database, a port in use) rejects with a StartupConfigError whose message is one
 * line naming the setting and what to do; anything else rejects with the error itself.
 */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = configOrThrow(options.env ?? process.env);
  const logger = options.logger ?? createLogger(config.logLevel);
  const dev = !config.production;
  let sink: AuditSink | undefined;
  let app;
  let devCredentials: RunningServer['devCredentials'];
  let graphiqlHeaders: Record<string, string> = {};
  try {
    const generated = dev && !config.adminToken ? loadOrCreateDevCredentials(config.dataDir) : undefined;
    sink = auditSinkFor(config);
    // The settings first, the key providers' included, and only then the app's module graph
    // (GraphQL, drivers, services): it costs most of a start's CPU, and a misconfigured start
    // should say so at once. The app takes the providers over from here.
    const keyProviders = await openKeyProviders(config, logger, systemClock);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createApp } = require('./app') as typeof import('./app');
    app = await createApp(config, {
      logger,
      adminToken: generated?.adminToken,
      graphiqlHeaders: () => graphiqlHeaders,
      onAuditCommitted: sink?.write,
      keyProviders,
    });
    if (dev) {
      devCredentials = await ensureDevDeveloper(config.dataDir, generated ?? { adminToken: config.adminToken! }, app.services);
      graphiqlHeaders = { Authorization: `Bearer ${devCredentials.apiKey}` };
    }
  } catch (error) {
    sink?.close();
    await app?.close().catch(() => undefined);
    throw asStartupError(error, config, logger);
  }

  const consoleSite = config.console
    ? loadConsoleSite({ dir: defaultConsoleDir(), settings: { jwtIssuer: config.jwt?.issuer ?? null, development: dev } })
    : undefined;
  if (consoleSite && !consoleSite.built) {
    logger.warn({ dir: defaultConsoleDir() }, 'web console not built: /console answers 503 until `npm run build:web` has run');
  }

  // Slow clients cannot hold sockets open: headers must arrive within headersTimeout and the
  // whole request (headers and body) within requestTimeout; both answer 408 and close.
  const serverOptions = {
    headersTimeout: config.limits.headersTimeoutMs,
    requestTimeout: config.limits.requestTimeoutMs,
    // Node checks those timeouts on this interval (30 s by default, far beyond them).
    connectionsCheckingInterval: Math.min(1000, config.limits.headersTimeoutMs),
  };
  const listener = createRequestListener(app.listener, consoleSite);
  const server: Server | HttpsServer = config.tls
    ? createHttpsServer({ ...serverOptions, cert: config.tls.cert, key: config.tls.key }, listener)
    : createServer(serverOptions, listener);
  try {
    await listen(server, config);
  } catch (error) {
    sink?.close();
    await app.close().catch(() => undefined);
    throw error;
  }
  app.startJobs();
  const { port } = server.address() as AddressInfo;
  const url = `${config.tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  const running = app;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    keyProvider: app.provider.name,
    config,
    logger,
    devCredentials,
    reload() {
      sink?.reopen();
      if (config.tls && server instanceof HttpsServer) reloadTls(server, config.tls, logger);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }).then(async () => {
        await running.close();
        sink?.close();
      });
      return closing;
    },
  };
}

/** Serves the TLS files' current contents to new connections (certificate renewal), or keeps the pair in use. */
function reloadTls(server: HttpsServer, files: TlsCredentials, logger: Logger): void {
  try {
    const { cert, key } = loadTlsCredentials(files);
    server.setSecureContext({ cert, key });
    logger.info({ cert: files.certPath }, 'TLS certificate reloaded');
  } catch (error) {
    logger.error({ err: error }, 'TLS certificate not reloaded; still serving the previous one');
  }
}

function configOrThrow(env: Readonly<Record<string, string | undefined>>): Config {
  // Before anything opens a database: the SQLite addon can crash a too-old Node outright.
  const oldNode = unsupportedNode();
  if (oldNode) throw new StartupConfigError(oldNode);
  try {
    return loadConfig(env);
  } catch (error) {
    const line = describeStartupError(error);
    throw line === undefined ? error : new StartupConfigError(line);
  }
}

/** A configuration problem becomes a one-line StartupConfigError; anything else is logged and kept. */
function asStartupError(error: unknown, config: Config, logger: Logger): unknown {
  const line = describeStartupError(error, config.database);
  if (line !== undefined) return new StartupConfigError(line);
  logger.fatal({ err: error }, 'start-up failed');
  return error;
}

function listen(server: Server | HttpsServer, config: Config): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES') {
        reject(
          new StartupConfigError(
            `LOCKSMITH_HOST/LOCKSMITH_PORT: cannot listen on ${config.host}:${config.port} (${error.code}): ` +
              'pick another port or stop the process that holds it',
          ),
        );
      } else reject(error);
    });
    server.listen(config.port, config.host, () => resolve());
  });
}

/** The audit stream, if configured; a file sink reopens its path on reload (log rotation). */
function auditSinkFor(config: Config): AuditSink | undefined {
  if (!config.auditLog) return undefined;
  try {
    return createAuditSink(config.auditLog);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupConfigError(`LOCKSMITH_AUDIT_LOG: cannot open ${config.auditLog.kind === 'file' ? config.auditLog.path : 'stdout'} (${code}): check the folder exists and is writable`);
  }
}

/** The development banner: where to go and the credentials `npm start` made. */
function banner(running: RunningServer): string {
  const { config, devCredentials: credentials, url } = running;
  if (!credentials) return '';
  return [
    '',
    `  locksmith (development mode, data in ${config.dataDir})`,
    `  GraphQL + GraphiQL  ${url}/graphql`,
    ...(config.console ? [`  web console         ${url}${CONSOLE_PATH}/`] : []),
    `  admin token         ${credentials.adminToken}`,
    `  developer API key   ${credentials.apiKey}   (developer ${credentials.developerId})`,
    '',
  ].join('\n');
}

/** The process entry: one line and EX_CONFIG (78) for a configuration problem, signals handled. */
export async function main(): Promise<void> {
  let running: RunningServer;
  try {
    running = await startServer();
  } catch (error) {
    if (error instanceof StartupConfigError) {
      process.stderr.write(`locksmith: ${error.message}\n`);
      process.exit(EX_CONFIG);
    }
    process.stderr.write(`locksmith: start-up failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const text = banner(running);
  if (text) process.stdout.write(text + '\n');
  // Last: whoever waits for this line (a supervisor, the tests) has the banner too.
  const { config, port, url, keyProvider } = running;
  running.logger.info({ host: config.host, port, url, keyProvider, database: config.database.kind, node: process.version }, 'listening');
  installSignals(running);
}

function installSignals(running: RunningServer): void {
  const { logger } = running;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, running.config.shutdownTimeoutMs);
    force.unref();
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGHUP means two things. With a terminal (a developer's `npm start`), it is the terminal
  // hanging up: the session is over, so shut down as on SIGTERM rather than serve on as an orphan
  // nobody can see or stop with Ctrl-C. Without one (systemd, a container), nothing hangs up: it
  // is sent on purpose (`systemctl reload`): reopen the audit stream file (log rotation) and
  // re-read the TLS files (renewal).
  // Decided at start-up: after a hangup the terminal's descriptors no longer answer isatty.
  const terminal = [0, 1, 2].some((fd) => isatty(fd));
  process.on('SIGHUP', () => (terminal ? stop('SIGHUP') : running.reload()));
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`locksmith: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
