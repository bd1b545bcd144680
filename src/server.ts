import { createServer, type Server } from 'node:http';
import { createApp } from './app';
import { type Config, ConfigError, loadConfig } from './config';
import { CONSOLE_PATH, defaultConsoleDir, loadConsoleSite } from './console/static-site';
import { ensureDevDeveloper, loadOrCreateDevCredentials } from './dev/bootstrap';
import { createRequestListener } from './http';
import { createLogger } from './logger';
import { type AuditSink, createAuditSink } from './audit/sink';
import { describeStartupError, EX_CONFIG, StartupConfigError } from './startup-errors';

/** Entry point: config -> app -> HTTP listener, with graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`locksmith: ${error.message}\n`);
      process.exit(EX_CONFIG);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const dev = !config.production;
  const devCredentials = dev && !config.adminToken ? loadOrCreateDevCredentials(config.dataDir) : undefined;
  let graphiqlHeaders: Record<string, string> = {};
  let app;
  try {
    const sink = auditSinkFor(config);
    app = await createApp(config, {
      logger,
      adminToken: devCredentials?.adminToken,
      graphiqlHeaders: () => graphiqlHeaders,
      onAuditCommitted: sink?.write,
    });
  } catch (error) {
    exitOnStartupError(error, config, logger);
  }
  let banner = '';
  if (dev) {
    const credentials = await ensureDevDeveloper(config.dataDir, devCredentials ?? { adminToken: config.adminToken! }, app.services);
    graphiqlHeaders = { Authorization: `Bearer ${credentials.apiKey}` };
    banner = [
      '',
      `  locksmith (development mode, data in ${config.dataDir})`,
      `  GraphQL + GraphiQL  http://${config.host}:${config.port}/graphql`,
      ...(config.console ? [`  web console         http://${config.host}:${config.port}${CONSOLE_PATH}/`] : []),
      `  admin token         ${credentials.adminToken}`,
      `  developer API key   ${credentials.apiKey}   (developer ${credentials.developerId})`,
      '',
    ].join('\n');
  }

  const consoleSite = config.console
    ? loadConsoleSite({ dir: defaultConsoleDir(), settings: { jwtIssuer: config.jwt?.issuer ?? null, development: dev } })
    : undefined;
  if (consoleSite && !consoleSite.built) {
    logger.warn({ dir: defaultConsoleDir() }, 'web console not built: /console answers 503 until `npm run build:web` has run');
  }

  app.startJobs();
  // Slow clients cannot hold sockets open: headers must arrive within headersTimeout and the
  // whole request (headers and body) within requestTimeout; both answer 408 and close.
  const server = createServer(
    {
      headersTimeout: config.limits.headersTimeoutMs,
      requestTimeout: config.limits.requestTimeoutMs,
      // Node checks those timeouts on this interval (30 s by default, far beyond them).
      connectionsCheckingInterval: Math.min(1000, config.limits.headersTimeoutMs),
    },
    createRequestListener(app.yoga, consoleSite),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES') {
      process.stderr.write(
        `locksmith: LOCKSMITH_HOST/LOCKSMITH_PORT: cannot listen on ${config.host}:${config.port} (${error.code}): ` +
          'pick another port or stop the process that holds it\n',
      );
      process.exit(EX_CONFIG);
    }
    throw error;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port, keyProvider: app.provider.name, database: config.database.kind }, 'listening');
  if (banner) process.stdout.write(banner.replaceAll(`:${config.port}/`, `:${port}/`) + '\n');

  const running = app;
  installShutdown(server, () => running.close(), config.shutdownTimeoutMs, logger);
}

/** The audit stream, if configured; a file sink reopens its path on SIGHUP (log rotation). */
function auditSinkFor(config: Config): AuditSink | undefined {
  if (!config.auditLog) return undefined;
  let sink: AuditSink;
  try {
    sink = createAuditSink(config.auditLog);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new StartupConfigError(`LOCKSMITH_AUDIT_LOG: cannot open ${config.auditLog.kind === 'file' ? config.auditLog.path : 'stdout'} (${code}): check the folder exists and is writable`);
  }
  process.on('SIGHUP', () => sink.reopen());
  return sink;
}

/** Configuration problems: one line and EX_CONFIG. Anything else: the detail to the log, exit 1. */
function exitOnStartupError(error: unknown, config: Config, logger: ReturnType<typeof createLogger>): never {
  const line = describeStartupError(error, config.database);
  if (line !== undefined) {
    process.stderr.write(`locksmith: ${line}\n`);
    process.exit(EX_CONFIG);
  }
  logger.fatal({ err: error }, 'start-up failed');
  process.stderr.write(`locksmith: start-up failed: ${(error as Error).message}\n`);
  process.exit(1);
}

function installShutdown(server: Server, close: () => Promise<void>, timeoutMs: number, logger: ReturnType<typeof createLogger>) {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    // Stop accepting, let in-flight requests finish (their transactions commit), then close.
    server.close(async () => {
      try {
        await close();
        logger.info('stopped');
        process.exit(0);
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      }
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`locksmith: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
