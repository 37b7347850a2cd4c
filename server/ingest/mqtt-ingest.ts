import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Database } from '../store/database.ts';
import type { Ingestor } from './ingestor.ts';
import { contextFromQuery } from './request-payloads.ts';

/** A persistent session outlives restarts for a week: messages published while the server is down wait that long. */
const SESSION_EXPIRY_SECONDS = 7 * 24 * 3600;
const RETRY_MS = [200, 500, 1000, 2000, 5000];

function userProperty(packet: IPublishPacket, name: string): string | undefined {
  const value = packet.properties?.userProperties?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Ingests MQTT messages (QoS 1, persistent session under MQTT_CLIENT_ID). mqtt.js sends a
 * message's PUBACK only when handleMessage calls back, so each message is acknowledged after its
 * Observations are committed (or after it was rejected and kept in ingest_rejected). A message in
 * flight when the server stops or dies is never acknowledged: the broker delivers it again after
 * the restart, and idempotent ingestion makes the repeat create nothing. mqtt.js hands over one
 * message at a time, so messages are ingested in order, one commit each.
 */
export class MqttIngest {
  private stopping = false;
  private current: Promise<void> | undefined;

  private constructor(
    private readonly client: MqttClient,
    private readonly ingestor: Ingestor,
    private readonly db: Database,
    private readonly config: Config,
    private readonly log: Logger,
  ) {}

  static async start(config: Config, ingestor: Ingestor, db: Database, log: Logger): Promise<MqttIngest> {
    const client = mqtt.connect(config.MQTT_URL!, {
      clientId: config.MQTT_CLIENT_ID,
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      manualConnect: true,
    });
    const ingest = new MqttIngest(client, ingestor, db, config, log);
    client.handleMessage = (packet, callback) => {
      ingest.current = ingest.process(packet).then((acknowledge) => {
        ingest.current = undefined;
        if (acknowledge) callback();
      });
    };
    const topics = config.MQTT_TOPICS.split(',').map((topic) => topic.trim()).filter(Boolean);
    client.on('connect', (connack) => {
      // A resumed session keeps its subscriptions; subscribing again is harmless and covers a new topic list.
      client.subscribe(topics.map((topic) => topic), { qos: 1 }, (error) => {
        if (error) log.error({ err: error.message }, 'MQTT subscribe failed');
        else log.info({ topics, sessionPresent: connack.sessionPresent }, 'MQTT subscribed');
      });
    });
    client.on('error', (error) => log.warn({ err: error.message }, 'MQTT connection error'));
    const connected = new Promise<void>((resolve) => client.once('connect', () => resolve()));
    client.connect();
    // Start does not wait for the broker forever: ingestion begins whenever it answers.
    await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, 5000))]);
    return ingest;
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

  private async reject(packet: IPublishPacket, outcome: string): Promise<void> {
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(String(packet.payload));
    await this.db.query('INSERT INTO ingest_rejected (topic, payload, outcome) VALUES ($1, $2, $3)', [packet.topic, payload, outcome]);
    this.log.warn({ rejected: true }, 'MQTT message rejected (kept in ingest_rejected)');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.current;
    await this.client.endAsync();
  }
}

function isClientError(error: unknown): boolean {
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
