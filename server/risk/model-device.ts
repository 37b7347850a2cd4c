/**
 * The FHIR R4 Device that stands for one model version: RiskAssessment.performer and the score
 * Observation's device point at it, and its sha256 identifier ties every score to the exact
 * artifact that computed it.
 */
import type { ModelCard } from './model-card.ts';
import { MODEL_ID_SYSTEM, MODEL_SHA256_SYSTEM, SNOMED } from './risk-codes.ts';
import { textNarrative } from './narrative.ts';

export interface DeviceResource {
  resourceType: 'Device';
  id: string;
  [key: string]: unknown;
}

/** Resource id of a model's Device: `model-<id>-<version>` with characters FHIR ids forbid replaced. */
export function modelDeviceId(card: Pick<ModelCard, 'id' | 'version'>): string {
  return `model-${card.id}-${card.version}`.replace(/[^A-Za-z0-9.-]/g, '-').slice(0, 64);
}

export function modelDeviceReference(card: Pick<ModelCard, 'id' | 'version' | 'title'>): { reference: string; display: string } {
  return { reference: `Device/${modelDeviceId(card)}`, display: `${card.title} ${card.version}` };
}

/**
 * @param sha256 hex sha256 of the ONNX file, or for a model implemented in TypeScript, of its card
 *   (its only artifact: the parameters the code reads).
 */
export function buildModelDevice(card: ModelCard, sha256: string): DeviceResource {
  const notes = [`Intended use: ${card.intendedUse}`, ...card.limitations.map((l) => `Limitation: ${l}`)];
  return {
    resourceType: 'Device',
    id: modelDeviceId(card),
    text: textNarrative(
      `${card.title} ${card.version} (${card.kind} risk model, sha256 ${sha256})${card.notForClinicalUse ? '. NOT FOR CLINICAL USE.' : ''}`,
    ),
    identifier: [
      { system: MODEL_SHA256_SYSTEM, value: sha256 },
      { system: MODEL_ID_SYSTEM, value: `${card.id}@${card.version}` },
    ],
    status: 'active',
    deviceName: [
      { name: card.title, type: 'user-friendly-name' },
      { name: card.id, type: 'model-name' },
    ],
    modelNumber: card.id,
    type: {
      coding: [{ system: SNOMED, code: '706689003', display: 'Application program software' }],
      text: card.runtime === 'onnx' ? 'Risk model software (ONNX)' : 'Risk model software',
    },
    version: [{ type: { text: 'model version' }, value: card.version }],
    ...(card.notForClinicalUse ? { safety: [{ text: 'NOT FOR CLINICAL USE' }] } : {}),
    note: notes.map((text) => ({ text })),
  };
}
