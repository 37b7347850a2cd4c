/**
 * Finds every model card (models/<id>/card.json, plus any user-supplied directories), checks each
 * ONNX artifact against the sha256 its card declares, and keeps what scoring needs: the card, the
 * bytes for the runtime, and the model's Device. A model whose card is invalid or whose file does
 * not match its hash is refused — listed in `refused` with the reason, never loaded.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from './artifact-hash.ts';
import { baselineParameters } from './baseline.ts';
import { parseModelCard, type ModelCard } from './model-card.ts';
import { buildModelDevice, type DeviceResource } from './model-device.ts';
import { readFloatInitializer } from './onnx-initializer.ts';

/** The repository's models/ folder. */
export const BUILTIN_MODELS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');

/** Extra model directories, separated like PATH (`:` on POSIX). */
export const MODEL_DIRS_ENV = 'RISK_MODEL_DIRS';

export interface RegisteredModel {
  card: ModelCard;
  /** Directory holding card.json. */
  dir: string;
  /** The ONNX bytes (onnx runtime only). */
  onnx?: Uint8Array;
  /** sha256 of the ONNX file, or of card.json for a TypeScript model. */
  sha256: string;
  device: DeviceResource;
  /** Weights read from the ONNX initializer named by card.explanation.weights (linear models). */
  explanationWeights?: Float32Array;
}

export interface RefusedModel {
  dir: string;
  reason: string;
}

export class ModelRegistry {
  private readonly byId = new Map<string, RegisteredModel>();

  constructor(
    models: RegisteredModel[],
    readonly refused: RefusedModel[],
  ) {
    for (const m of models) this.byId.set(m.card.id, m);
  }

  get(id: string): RegisteredModel | undefined {
    return this.byId.get(id);
  }

  require(id: string): RegisteredModel {
    const model = this.byId.get(id);
    if (!model) throw new Error(`unknown risk model: ${id}`);
    return model;
  }

  list(): RegisteredModel[] {
    return [...this.byId.values()];
  }
}

export interface RegistryOptions {
  /** Defaults to models/ of this repository. */
  builtinDir?: string;
  /** Defaults to the RISK_MODEL_DIRS environment variable. Each entry is a card directory or a folder of them. */
  extraDirs?: string[];
}

export function loadModelRegistry(options: RegistryOptions = {}): ModelRegistry {
  const extraDirs = options.extraDirs ?? extraDirsFromEnv();
  const models: RegisteredModel[] = [];
  const refused: RefusedModel[] = extraDirs.filter((d) => !existsSync(d)).map((dir) => ({ dir, reason: 'directory does not exist' }));
  for (const dir of [options.builtinDir ?? BUILTIN_MODELS_DIR, ...extraDirs].flatMap(cardDirs)) {
    try {
      const model = loadModelDir(dir);
      const clash = models.find((m) => m.card.id === model.card.id);
      if (clash) throw new Error(`model id ${model.card.id} is already loaded from ${clash.dir}`);
      models.push(model);
    } catch (error) {
      refused.push({ dir, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return new ModelRegistry(models, refused);
}

/** Loads one card directory; throws when the card is invalid or the artifact does not match its sha256. */
export function loadModelDir(dir: string): RegisteredModel {
  const cardPath = join(dir, 'card.json');
  const cardText = readFileSync(cardPath);
  const card = parseModelCard(JSON.parse(cardText.toString('utf8')), cardPath);
  if (card.runtime === 'typescript') {
    if (card.extractor === 'baseline') baselineParameters(card);
    const sha256 = sha256Hex(cardText);
    return { card, dir, sha256, device: buildModelDevice(card, sha256) };
  }
  const filePath = resolve(dir, card.file!);
  if (dirname(filePath) !== resolve(dir)) throw new Error(`${cardPath}: file must sit beside the card`);
  const onnx = new Uint8Array(readFileSync(filePath));
  const sha256 = sha256Hex(onnx);
  if (sha256 !== card.sha256) {
    throw new Error(`${filePath}: sha256 ${sha256} does not match the card's ${card.sha256}; refusing to load`);
  }
  const explanationWeights = card.explanation?.weights ? readFloatInitializer(onnx, card.explanation.weights) : undefined;
  if (explanationWeights && explanationWeights.length !== card.features.length) {
    throw new Error(`${filePath}: initializer ${card.explanation!.weights} has ${explanationWeights.length} weights for ${card.features.length} features`);
  }
  return { card, dir, onnx, sha256, device: buildModelDevice(card, sha256), explanationWeights };
}

function extraDirsFromEnv(): string[] {
  const value = process.env[MODEL_DIRS_ENV];
  return value ? value.split(':').filter(Boolean) : [];
}

function cardDirs(root: string): string[] {
  if (!existsSync(root)) return [];
  if (existsSync(join(root, 'card.json'))) return [root];
  return readdirSync(root)
    .sort()
    .map((name) => join(root, name))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, 'card.json')));
}
