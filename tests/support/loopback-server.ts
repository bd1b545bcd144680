/**
 * The HTTP plumbing shared by the loopback fakes of remote services (fake-kms-server,
 * fake-vault-server): a server on 127.0.0.1 that hands each request to `handler` with its whole
 * body, and can be stopped (an outage: connections refused, in-flight requests cut) and started
 * again on the same port, so clients configured with `url` reach it again after a restart.
 *
 *   const loopback = createLoopbackServer((req, res, body) => { ... });
 *   loopback.later(latencyMs, () => res.end(...));   // a delayed answer that stop() cancels
 *   await loopback.start();                           // a free port the first time
 *   loopback.url;                                     // http://127.0.0.1:<port>
 *   await loopback.stop();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type LoopbackHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

export interface LoopbackServer {
  /** The port listened on (0 before the first `start()`); the same after a restart. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Listens (on a free port the first time, on the same port afterwards); no-op when listening. */
  start(): Promise<void>;
  /** Cancels pending `later` callbacks, stops listening and destroys open connections. */
  stop(): Promise<void>;
  /** Runs `fn` after `delayMs` (at once when 0) on a timer that `stop()` cancels. */
  later(delayMs: number, fn: () => void): void;
}

export function createLoopbackServer(handler: LoopbackHandler): LoopbackServer {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let port = 0;

  const httpServer: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handler(req, res, Buffer.concat(chunks)));
  });
  // Tracked so stop() cuts open connections, as an outage would, instead of close() waiting for them.
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(port, '127.0.0.1', () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
    port = (httpServer.address() as AddressInfo).port;
  }

  return {
    get port() {
      return port;
    },
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    async start() {
      if (!httpServer.listening) await listen();
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      if (!httpServer.listening) return;
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    later(delayMs, fn) {
      if (delayMs > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          fn();
        }, delayMs);
        timers.add(timer);
      } else {
        fn();
      }
    },
  };
}
