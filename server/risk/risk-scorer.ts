/**
 * Scores many patients against their models in one pass: features are extracted per patient, and
 * each ONNX model then runs once over all complete rows (one row per patient). Small batches run
 * on the calling thread (a NEWS2 row costs ~20 µs); large ones — a replay after downtime, a
 * ward-wide rescore — go to the model's worker thread so the event loop stays free.
 */
import { assessLatest, type BaselineFinding } from './baseline.ts';
import { BatchRescorer } from './batch-rescorer.ts';
import { extractCardInputs } from './card-inputs.ts';
import type { CardSuccess } from './model-assessment.ts';
import type { RegisteredModel } from './model-registry.ts';
import type { ModelOutputs, ModelRuntime } from './model-runtime.ts';
import { extractNews2Inputs } from './news2-inputs.ts';
import type { News2Result } from './news2-oracle.ts';
import { news2ScoreFromOutputs, type News2Success } from './news2-score-observation.ts';
import type { FhirJson, RejectedReading } from './observation-readings.ts';

export interface ScoringRequest {
  /** Patient id. */
  patient: string;
  /** Scoring time, epoch ms. */
  at: number;
  /** The patient's resources (see loadPatientRecords), plus any inline what-if Observations. */
  resources: readonly FhirJson[];
  models: readonly RegisteredModel[];
  /**
   * The readings that caused this scoring (the consumer's batch). Per-reading models (the personal
   * baseline) then assess only these, instead of re-assessing every signal's latest reading.
   */
  triggers?: ReadonlySet<FhirJson>;
}

interface Common {
  model: RegisteredModel;
  patient: string;
}

export type Score =
  | (Common & { kind: 'news2'; occurrence: string; extraction: News2Success; result: News2Result })
  | (Common & { kind: 'card'; occurrence: string; extraction: CardSuccess; outputs: ModelOutputs; row: number })
  | (Common & { kind: 'baseline'; finding: BaselineFinding });

/** A model that could not score a patient: the features without a usable reading. */
export interface Incomplete extends Common {
  missing: string[];
  /** Readings in the window that could not be used, with the reason. */
  rejected: RejectedReading[];
}

export interface ScoringResult {
  scores: Score[];
  incomplete: Incomplete[];
}

type Extracted = { request: ScoringRequest; extraction: News2Success | CardSuccess };

/** Rows at or above which a model runs in its worker thread. */
export const WORKER_ROWS = 256;

export class RiskScorer {
  private readonly rescorers = new Map<string, Promise<BatchRescorer>>();

  constructor(private readonly runtime: ModelRuntime) {}

  async score(requests: readonly ScoringRequest[]): Promise<ScoringResult> {
    const scores: Score[] = [];
    const incomplete: Incomplete[] = [];
    const byModel = new Map<RegisteredModel, Extracted[]>();
    for (const request of requests) {
      for (const model of request.models) {
        const { card } = model;
        if (card.extractor === 'baseline') {
          const findings = assessLatest(card, request.resources, new Date(request.at)).filter((f) => !request.triggers || request.triggers.has(f.reading.observation));
          if (findings.length === 0) incomplete.push({ model, patient: request.patient, missing: card.features.map((f) => f.name), rejected: [] });
          for (const finding of findings) scores.push({ kind: 'baseline', model, patient: request.patient, finding });
          continue;
        }
        const extraction =
          card.extractor === 'news2' ? extractNews2Inputs(card, request.resources, new Date(request.at)) : extractCardInputs(card, request.resources, new Date(request.at));
        if (!extraction.ok) {
          incomplete.push({ model, patient: request.patient, missing: [...extraction.missing], rejected: extraction.rejected });
          continue;
        }
        let list = byModel.get(model);
        if (!list) byModel.set(model, (list = []));
        list.push({ request, extraction });
      }
    }
    for (const [model, rows] of byModel) {
      const outputs = await this.run(model, rows);
      rows.forEach(({ request, extraction }, row) => {
        if (model.card.extractor === 'news2') {
          const e = extraction as News2Success;
          const result = news2ScoreFromOutputs(outputs, row);
          scores.push({ kind: 'news2', model, patient: request.patient, occurrence: latestUse(e.used.map((u) => u.reading.time), request.at), extraction: e, result });
        } else {
          const e = extraction as CardSuccess;
          const times = e.used.map((u) => u.reading?.time).filter((t): t is number => t !== undefined);
          scores.push({ kind: 'card', model, patient: request.patient, occurrence: latestUse(times, request.at), extraction: e, outputs, row });
        }
      });
    }
    return { scores, incomplete };
  }

  private async run(model: RegisteredModel, rows: Extracted[]): Promise<ModelOutputs> {
    const width = model.card.features.length;
    const features = new Float32Array(rows.length * width);
    rows.forEach((r, i) => features.set(r.extraction.features, i * width));
    if (rows.length < WORKER_ROWS) return this.runtime.score(model.card.id, features, rows.length);
    let rescorer = this.rescorers.get(model.card.id);
    if (!rescorer) {
      rescorer = BatchRescorer.start(model);
      this.rescorers.set(model.card.id, rescorer);
      rescorer.catch(() => this.rescorers.delete(model.card.id));
    }
    return (await rescorer).rescore(features, rows.length);
  }

  async close(): Promise<void> {
    for (const rescorer of this.rescorers.values()) await (await rescorer.catch(() => undefined))?.close();
    this.rescorers.clear();
  }
}

/**
 * The score's time: its newest input. A replayed batch therefore yields the same time (and the
 * same resources) whenever it uses the same inputs.
 */
function latestUse(times: number[], fallback: number): string {
  return new Date(times.length > 0 ? Math.max(...times) : fallback).toISOString();
}
