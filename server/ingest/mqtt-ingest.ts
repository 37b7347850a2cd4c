import mqtt, { MqttClient, type IPublishPacket, type Packet } from 'mqtt';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Database } from '../store/database.ts';
import type { Ingestor } from './ingestor.ts';
import { AckWindow, type Acknowledge } from './mqtt-ack-window.ts';
import { contextFromQuery } from './request-payloads.ts';

/** A persistent session outlives restarts for a week: messages published while the server is down wait that long. */
const SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;
const RETRY_MS = [200, 500, 1000, 2000, 5000];

/**
 * mqtt.js 5.16 (pinned in package.json) sends a QoS 1 message's PUBACK from handleMessage's
 * callback and reads the next packet only after it. Handed an error instead, the callback moves
 * on without a PUBACK; the PUBACK then goes out later through the client's own packet writer.
 */
type PacketWriter = { _sendPacket(packet: Packet): void };
const NOT_YET = new Error('acknowledged after commit');

function canAcknowledgeLater(): boolean {
  return typeof (MqttClient.prototype as unknown as Partial<PacketWriter>)._sendPacket === 'function';
}

function userProperty(packet: IPublishPacket, name: string): string | undefined {
  const value = packet.properties?.userProperties?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Ingests MQTT messages (QoS 1, persistent session under MQTT_CLIENT_ID), up to
 * MQTT_CONCURRENCY at once, each through the Ingestor in its own transaction. A message is
 * acknowledged after its Observations are committed (or after it was rejected and kept in
 * ingest_rejected), in the order messages arrived. A message in flight when the server stops or
 * dies, or when the connection drops, is not acknowledged: the broker delivers it again (DUP set),
 * and idempotent ingestion makes the repeat create nothing.
 */
export class MqttIngest {
  private stopping = false;
  /** Counts connections: an acknowledgement belongs to the connection its message came on. */
  private connection = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly window: AckWindow,
    private readonly acknowledgeLater: boolean,
    private readonly ingestor: Ingestor,
    private readonly db: Database,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  static async start(config: Config, ingestor: Ingestor, db: Database, log: Logger): Promise<MqttIngest> {
    const acknowledgeLater = config.MQTT_CONCURRENCY > 1 && canAcknowledgeLater();
    if (config.MQTT_CONCURRENCY > 1 && !acknowledgeLater) log.warn('this mqtt.js cannot acknowledge after handleMessage returned: MQTT messages are ingested one at a time');
    const concurrency = acknowledgeLater ? config.MQTT_CONCURRENCY : 1;
    const client = mqtt.connect(config.MQTT_URL!, {
      clientId: config.MQTT_CLIENT_ID,
      clean: false,
      protocolVersion: 5,
      // Receive Maximum: room for messages finished behind a slower one while `concurrency` ingests
      // run. Mosquitto 2.0.11 sends more than this after the first PUBACKs, so the window below is
      // what actually bounds the work; unread packets wait in the socket.
      properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS, ...(acknowledgeLater ? { receiveMaximum: Math.min(65535, concurrency * 4) } : {}) },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      manualConnect: true,
    });
    const ingest = new MqttIngest(client, new AckWindow(concurrency), acknowledgeLater, ingestor, db, config, log);
    client.handleMessage = (packet, callback) => void ingest.receive(packet, callback);
    const topics = config.MQTT_TOPICS.split(',').map((topic) => topic.trim()).filter(Boolean);
    client.on('connect', (connack) => {
      // A resumed session keeps its subscriptions; subscribing again is harmless and covers a new topic list.
      client.subscribe(topics.map((topic) => topic), { qos: 1 }, (error) => {
        if (error) log.error({ err: error.message }, 'MQTT subscribe failed');
        else log.info({ topics, sessionPresent: connack.sessionPresent, concurrency }, 'MQTT subscribed');
      });
    });
    client.on('close', () => ingest.connection++);
    client.on('error', (error) => log.warn({ err: error.message }, 'MQTT connection error'));
    const connected = new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.connect();
    // Start does not wait for the broker forever: ingestion begins whenever it answers.
    await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, 5000))]);
    return ingest;
  }

  /**
   * One message from mqtt.js. Acknowledging later, the next packet is read as soon as this one's
   * ingest has a slot; otherwise only after its PUBACK (one message at a time, public API only).
   */
  private async receive(packet: IPublishPacket, callback: (error?: Error) => void): Promise<void> {
    const connection = this.connection;
    const next = this.acknowledgeLater ? () => callback(NOT_YET) : () => undefined;
    if (!(await this.window.free()) || connection !== this.connection) return next();
    this.window.run(async (): Promise<Acknowledge> => {
      if (!(await this.process(packet))) return undefined;
      return () => {
        // After a reconnect the broker sends this message again (and may reuse its packet id for another).
        if (connection !== this.connection || !this.client.connected) return;
        if (!this.acknowledgeLater) callback();
        else if (packet.qos > 0 && packet.messageId !== undefined) (this.client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId: packet.messageId, reasonCode: 0 });
      };
    });
    next();
  }

  /** Resolves true when the message may be acknowledged. */
  private async process(packet: IPublishPacket): Promise<boolean> {
    const text = Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload);
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        const query: Array<[string, string]> = [];
        for (const name of ['device', 'patient', 'timeZone']) {
          const value = userProperty(packet, name);
          if (value !== undefined) query.push([name, value]);
        }
        const context = contextFromQuery(query);
        const reply = await this.ingestor.ingest({
          body: { kind: 'text', text, ...(packet.properties?.contentType ? { contentType: packet.properties.contentType } : {}) },
          mapping: userProperty(packet, 'mapping') ?? this.config.MQTT_MAPPING,
          context,
          representation: false,
          source: { requestId: `mqtt-${packet.messageId ?? 0}`, channel: 'mqtt', topic: packet.topic, receivedAt: context.receivedAt! },
        });
        if (reply.status === 200) {
          this.log.debug({ observations: reply.observations, created: reply.created }, 'MQTT message ingested');
          return true;
        }
        await this.reject(packet, JSON.stringify(reply.outcome));
        return true;
      } catch (error) {
        if (isClientError(error)) {
          await this.reject(packet, JSON.stringify({ resourceType: 'OperationOutcome', issue: (error as { issues: unknown[] }).issues }));
          return true;
        }
        // The database is unreachable or failing: keep the message unacknowledged and try again.
        this.log.warn({ err: (error as Error).message, attempt }, 'MQTT message not ingested yet; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
      }
    }
    return false;
  }

  /**
   * Keeps a refused message with its outcome. A redelivered one (DUP: its PUBACK did not reach the
   * broker) is kept once: the same topic and payload already there is its earlier copy.
   */
  private async reject(packet: IPublishPacket, outcome: string): Promise<void> {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(String(packet.payload));
    await this.db.query(
      `INSERT INTO ingest_rejected (topic, payload, outcome)
         SELECT $1::text, $2::bytea, $3::text
          WHERE NOT ($4::boolean AND EXISTS (SELECT 1 FROM ingest_rejected WHERE topic = $1::text AND payload = $2::bytea))`,
      [packet.topic, payload, outcome, packet.dup === true],
    );
    this.log.warn({ rejected: true, redelivered: packet.dup === true }, 'MQTT message rejected (kept in ingest_rejected)');
  }

  /** Lets the ingests in flight commit and be acknowledged, then disconnects (the rest is delivered again). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.window.close();
    await this.client.endAsync();
  }
}

function isClientError(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
