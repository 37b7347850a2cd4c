import path from 'node:path';
import type { ServerFeature, StartedFeature } from '../feature.ts';
import { ingestOperation } from './ingest-operation.ts';
import { Ingestor } from './ingestor.ts';
import { mapOperation } from './map-operation.ts';
import { loadMappingFiles } from './mapping-files.ts';
import { MappingStore } from './mapping-store.ts';
import { mappingsOperation } from './mappings-operation.ts';
import { MqttIngest } from './mqtt-ingest.ts';
import { ReadingIds } from './reading-ids.ts';

/** Device ingestion: $ingest, $map, $mappings, mapping files, and MQTT when MQTT_URL is set. */
export const ingestFeature: ServerFeature = {
  name: 'ingest',
  async start({ config, services }): Promise<StartedFeature> {
    const store = new MappingStore(services.db);
    if (config.MAPPINGS_DIR) await loadMappingFiles(store, path.resolve(config.MAPPINGS_DIR), services.log);
    const ingestor = new Ingestor(services, store, await ReadingIds.open(services.db));
    services.operations.register(ingestOperation(ingestor));
    services.operations.register(mapOperation(ingestor));
    services.operations.register(mappingsOperation(store));
    const mqtt = config.MQTT_URL ? await MqttIngest.start(config, ingestor, services.db, services.log) : undefined;
    return { stop: async () => mqtt?.stop() };
  },
};
