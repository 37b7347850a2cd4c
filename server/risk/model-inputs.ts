/**
 * What a set of models reads from a patient's record: the Observation codes that feed them (and
 * so trigger rescoring), the Condition/Flag codes that steer them, whether they need the Patient,
 * and how far back they look. The record loader fetches exactly this, nothing more.
 */
import { baselineParameters } from './baseline.ts';
import { durationMs } from './duration.ts';
import type { RegisteredModel } from './model-registry.ts';
import type { FhirJson } from './observation-readings.ts';

export interface CodeWindow {
  code: string;
  lookbackMs: number;
}

export interface InputPlan {
  /** `system|code` of every Observation (or component) code some model reads. */
  observationKeys: Set<string>;
  /** The bare codes of observationKeys (the system is checked in memory). */
  observationCodes: string[];
  /**
   * Codes to read as Observation.code, with the longest look-back any model gives them: the
   * inputs, and the panels (card `panels`) whose components carry inputs. An input recorded only
   * as a component of an Observation with another code is found when the card names that code.
   */
  codeWindows: CodeWindow[];
  /** Codes of Conditions that steer scoring (NEWS2 scale 2). */
  conditionCodes: string[];
  /** Flags carry no searchable code in R4: when wanted, all of the patient's Flags are read. */
  wantsFlags: boolean;
  wantsPatient: boolean;
  /** Longest look-back of any input, in ms. */
  lookbackMs: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const codingKey = (system: unknown, code: unknown) => `${String(system)}|${String(code)}`;

function widen(windows: Map<string, number>, code: string, lookbackMs: number): void {
  windows.set(code, Math.max(windows.get(code) ?? 0, lookbackMs));
}

export function inputPlan(models: readonly RegisteredModel[]): InputPlan {
  const observationKeys = new Set<string>();
  const codeWindows = new Map<string, number>();
  const conditionCodes = new Set<string>();
  let wantsFlags = false;
  let wantsPatient = false;
  let lookbackMs = 0;
  for (const { card } of models) {
    // The personal baseline reads its own window (days of history) rather than the card's look-back.
    const modelWindow = card.extractor === 'baseline' ? baselineParameters(card).windowDays * DAY_MS : 0;
    if (card.extractor === 'baseline') wantsPatient = true;
    for (const input of card.inputs) {
      const window = Math.max(modelWindow, durationMs(input.lookback ?? card.lookback));
      lookbackMs = Math.max(lookbackMs, window);
      if (input.source === 'patient-age') wantsPatient = true;
      if (input.source === 'patient-record') {
        wantsFlags = true;
        for (const c of input.codes) conditionCodes.add(c.code);
      }
      if (input.source !== 'observation') continue;
      for (const c of input.codes) {
        observationKeys.add(codingKey(c.system, c.code));
        widen(codeWindows, c.code, window);
      }
      for (const panel of input.panels ?? []) widen(codeWindows, panel.code, window);
    }
  }
  const list = (m: Map<string, number>) => [...m].map(([code, ms]) => ({ code, lookbackMs: ms }));
  return {
    observationKeys,
    observationCodes: [...new Set([...observationKeys].map((k) => k.slice(k.indexOf('|') + 1)))],
    codeWindows: list(codeWindows),
    conditionCodes: [...conditionCodes],
    wantsFlags,
    wantsPatient,
    lookbackMs,
  };
}

/** `system|code` of Observation.code and every component code. */
export function observationCodeKeys(obs: FhirJson): Set<string> {
  const keys = new Set<string>();
  const add = (concept: unknown) => {
    const codings = (concept as FhirJson | undefined)?.coding;
    if (Array.isArray(codings)) for (const c of codings as FhirJson[]) keys.add(codingKey(c.system, c.code));
  };
  add(obs.code);
  if (Array.isArray(obs.component)) for (const c of obs.component as FhirJson[]) add(c.code);
  return keys;
}

/** The models an Observation feeds: any of its codes is one of the model's observation inputs. */
export function modelsFedBy(obs: FhirJson, models: readonly RegisteredModel[]): RegisteredModel[] {
  const keys = observationCodeKeys(obs);
  return models.filter(({ card }) =>
    card.inputs.some((input) => input.source === 'observation' && input.codes.some((c) => keys.has(codingKey(c.system, c.code)))),
  );
}
