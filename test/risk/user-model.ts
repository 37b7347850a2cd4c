import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxGraphBuilder } from '../../models/onnx-builder.ts';
import { sha256Hex } from '../../server/risk/artifact-hash.ts';

/** A user's model: logistic in heart rate and respiratory rate, built and described outside the codebase. */
export function writeUserModel(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const g = new OnnxGraphBuilder('user_model');
  g.input('vitals', ['N', 2]);
  g.floats('w', [0.05, 0.1], [2, 1]);
  g.floats('b', [-0.05 * 80 - 0.1 * 16], [1]);
  g.node('MatMul', ['vitals', 'w'], ['z']);
  g.node('Add', ['z', 'b'], ['z_b']);
  g.node('Sigmoid', ['z_b'], ['risk']);
  g.output('risk', ['N', 1]);
  const bytes = g.build({ producerVersion: '0.1.0', modelVersion: 1, docString: 'user model', metadata: {} });
  writeFileSync(join(dir, 'model.onnx'), bytes);
  const card = {
    id: 'user-tachy',
    version: '0.1.0',
    title: 'User tachycardia model',
    description: 'A user-supplied test model.',
    kind: 'machine-learning',
    runtime: 'onnx',
    file: 'model.onnx',
    sha256: sha256Hex(bytes),
    notForClinicalUse: true,
    method: { system: 'https://example.org/models', code: 'user-tachy' },
    lookback: 'PT6H',
    features: [
      { name: 'hr', unit: '/min', description: 'Heart rate' },
      { name: 'rr', unit: '/min', description: 'Respiratory rate' },
    ],
    inputs: [
      { feature: 'hr', title: 'Heart rate', codes: [{ system: 'http://loinc.org', code: '8867-4' }], unit: '/min' },
      { feature: 'rr', title: 'Respiratory rate', codes: [{ system: 'http://loinc.org', code: '9279-1' }], unit: '/min' },
    ],
    onnx: { input: 'vitals', outputs: { risk: 'risk' } },
    output: { kind: 'probability', tensor: 'risk', outcome: { text: 'Test outcome' }, horizon: 'PT12H', bands: [{ below: 0.5, risk: 'low' }, { risk: 'high' }] },
    explanation: { method: 'linear-logit', weights: 'w', reference: [80, 16] },
    intendedUse: 'Testing.',
    limitations: ['Test only.'],
    evaluation: {},
  };
  writeFileSync(join(dir, 'card.json'), JSON.stringify(card, null, 2));
}
