/**
 * The R4 websocket channel, at ws(s)://<host>/websocket (outside the FHIR base, as HAPI serves it):
 * the client opens the socket and sends `bind <subscription id>`; the server answers
 * `bound <id>` (or `error <id> <reason>` when no websocket Subscription has that id) and sends
 * `ping <id>` whenever a resource matching the subscription's criteria is created or updated; the
 * client then searches for what changed. Pings are live only — a client that is not connected
 * misses them, and searches on reconnecting — which is why the websocket channel needs no queue.
 *
 * Several server processes: the process running the subscriptions consumer publishes each ping
 * with PostgreSQL NOTIFY and every process pings the sockets bound to it.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Database } from '../store/database.ts';
import { readCurrent } from '../store/resource-reads.ts';
import { subscriptionView } from './subscription-resource.ts';

export const WEBSOCKET_PATH = '/websocket';
const NOTIFY_CHANNEL = 'subscription_ping';
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export class WebsocketChannel {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly bound = new Map<string, Set<WebSocket>>();
  private unlisten?: () => Promise<void>;
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '').split('?')[0];
    // Other paths belong to other upgrade listeners (or to none: Node then leaves the socket open).
    if (path !== WEBSOCKET_PATH) return;
    this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
  };

  constructor(private readonly db: Database) {}

  async attach(server: Server): Promise<void> {
    server.on('upgrade', this.onUpgrade);
    if (this.db.kind === 'postgres') this.unlisten = await this.db.listen(NOTIFY_CHANNEL, (id) => this.ping(id));
    // server.close() waits for every socket, upgraded ones included, and features are stopped only
    // after it returns: without this, one open websocket would hold shutdown forever. Closing the
    // sockets when the server starts closing needs a hook the feature host does not offer yet.
    const close = server.close.bind(server);
    server.close = ((callback?: (error?: Error) => void) => {
      for (const ws of this.wss.clients) ws.terminate();
      return close(callback);
    }) as Server['close'];
    this.detach = () => {
      server.off('upgrade', this.onUpgrade);
      server.close = close;
    };
  }

  private detach = () => {};

  /** Announces matches for these subscriptions to every process's bound sockets. */
  async notify(subscriptionIds: Iterable<string>): Promise<void> {
    for (const id of subscriptionIds) {
      if (this.db.kind === 'postgres') await this.db.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, id]);
      else this.ping(id);
    }
  }

  /** Sockets bound to a subscription in this process. */
  boundCount(subscriptionId: string): number {
    return this.bound.get(subscriptionId)?.size ?? 0;
  }

  private ping(id: string): void {
    for (const ws of this.bound.get(id) ?? []) if (ws.readyState === ws.OPEN) ws.send(`ping ${id}`);
  }

  private accept(ws: WebSocket): void {
    const mine = new Set<string>();
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString().trim();
      const match = /^bind\s+(\S+)$/.exec(text);
      if (!match) {
        ws.send(`error - expected 'bind <subscription id>'`);
        return;
      }
      void this.bind(ws, match[1], mine);
    });
    ws.on('close', () => {
      for (const id of mine) this.bound.get(id)?.delete(ws);
    });
    ws.on('error', () => ws.terminate());
  }

  private async bind(ws: WebSocket, id: string, mine: Set<string>): Promise<void> {
    let reason: string | undefined;
    if (!ID.test(id)) reason = 'not a subscription id';
    else {
      const current = await readCurrent(this.db, 'Subscription', id).catch(() => undefined);
      if (!current || current.deleted) reason = 'no such Subscription';
      else if (subscriptionView(current.json!).channelType !== 'websocket') reason = 'the Subscription does not use the websocket channel';
    }
    if (reason) {
      ws.send(`error ${ID.test(id) ? id : '-'} ${reason}`);
      return;
    }
    let sockets = this.bound.get(id);
    if (!sockets) this.bound.set(id, (sockets = new Set()));
    sockets.add(ws);
    mine.add(id);
    ws.send(`bound ${id}`);
  }

  async close(): Promise<void> {
    this.detach();
    await this.unlisten?.().catch(() => undefined);
    for (const ws of this.wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
