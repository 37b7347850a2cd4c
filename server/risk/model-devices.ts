/**
 * Each model's Device is written through the write path (PUT Device/model-<id>-<version>) in the
 * same transaction as the first score that points at it, once per process. Writing it lazily
 * rather than at start keeps a server that never scores free of risk resources, and an identical
 * PUT stores no new version, so every process (and every restart) may repeat it. Like every other
 * version, the Device — and the sha256 identifier it carries — is then anchored by provenance.
 */
import type { WriteOperation } from '../store/repository.ts';
import type { RegisteredModel } from './model-registry.ts';

export class ModelDevices {
  private readonly ensured = new Set<string>();

  /** PUTs of the Devices of `models` not yet written by this process. */
  pendingWrites(models: Iterable<RegisteredModel>): WriteOperation[] {
    const ops = new Map<string, WriteOperation>();
    for (const { device } of models) {
      if (this.ensured.has(device.id) || ops.has(device.id)) continue;
      ops.set(device.id, { action: 'update', method: 'PUT', type: 'Device', id: device.id, resource: device });
    }
    return [...ops.values()];
  }

  /** Called once the transaction holding pendingWrites() has committed. */
  written(ops: readonly WriteOperation[]): void {
    for (const op of ops) this.ensured.add(op.id);
  }
}
