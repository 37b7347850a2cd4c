/**
 * R4 Subscriptions as a server feature: the `subscriptions` outbox consumer (review, matching,
 * queueing), the durable rest-hook delivery worker and the websocket channel at /websocket.
 * Delivery settings: the SUBSCRIPTION_* keys of server/config.ts.
 */
import type { ServerFeature } from '../feature.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { subscriptionConsumer } from './subscription-consumer.ts';
import { SubscriptionDirectory } from './subscription-directory.ts';
import { deliverySettings } from './subscription-settings.ts';
import { WebsocketChannel } from './websocket-channel.ts';

export const SUBSCRIPTIONS_CONSUMER = 'subscriptions';

export const subscriptionsFeature: ServerFeature = {
  name: 'subscriptions',
  async start(host) {
    const { config, services, outbox } = host;
    const settings = deliverySettings(config);
    const queue = new DeliveryQueue(services.db);
    const websocket = new WebsocketChannel(services.db);
    await websocket.attach(host.server);
    const worker = new DeliveryWorker(services.db, services.repository, queue, settings, services.log);
    worker.start();
    const directory = new SubscriptionDirectory(services.db);
    const consumer = outbox.subscribe(
      SUBSCRIPTIONS_CONSUMER,
      subscriptionConsumer({
        services,
        directory,
        queue,
        ping: (ids) => websocket.notify(ids),
        wake: () => worker.wake(),
      }),
      // With no Subscription stored, only a new Subscription can matter: a device stream's events are skipped unread.
      { batchSize: 1000, idleMs: 500, only: () => (directory.empty ? ['Subscription'] : undefined) },
    );
    return {
      async stop() {
        await consumer.stop();
        await worker.stop();
        await websocket.close();
      },
    };
  },
};
