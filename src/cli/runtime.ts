import type { Command } from 'commander';
import { createClient, type LocksmithClient } from '../client';
import type { FetchLike } from '../client/transport';
import { configPath, readConfig, resolveConnection, type Connection } from './config';
import type { CliIo } from './io';
import { note } from './output';

/** What a command's action works with: I/O, output mode, and a client built from the resolved connection. */
export interface Runtime {
  readonly io: CliIo;
  readonly json: boolean;
  readonly configPath: string;
  connection(): Connection;
  client(): LocksmithClient;
  /** A client for an explicit server and token (login checks a token before saving it). */
  clientFor(url: string, token: string): LocksmithClient;
}

export interface GlobalOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export interface RuntimeOptions {
  readonly io: CliIo;
  /** For in-process tests; the real CLI uses global fetch. */
  readonly fetch?: FetchLike;
}

export type RuntimeFactory = (command: Command) => Runtime;

/** What `run` needs to know afterwards to explain a failure (e.g. that no token was found at all). */
export interface RunState {
  connection?: Connection;
}

export function runtimeFactory(options: RuntimeOptions, state: RunState = {}): RuntimeFactory {
  return (command) => {
    const { io } = options;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const path = configPath(io.env);
    let connection: Connection | undefined;
    const resolve = () =>
      (connection ??= state.connection =
        resolveConnection(globals, io.env, readConfig(path, (m) => note(io, `warning: ${m}`)), io.cwd));
    return {
      io,
      json: Boolean(globals.json),
      configPath: path,
      connection: resolve,
      client: () => {
        const { url, token } = resolve();
        return createClient({ url, token, fetch: options.fetch });
      },
      clientFor: (url, token) => createClient({ url, token, fetch: options.fetch }),
    };
  };
}
