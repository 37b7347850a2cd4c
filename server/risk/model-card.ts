/**
 * The model card: the JSON file (models/<id>/card.json) that makes a model loadable without code
 * changes. It names the artifact and its sha256, the tensor layout, where each feature comes from
 * (LOINC-coded Observations with units and look-back windows), what the output means, and the
 * intended use, limitations and evaluation figures a reader needs before trusting it.
 * models/README.md documents every field.
 */
import { z } from 'zod';
import { isIsoDuration } from './duration.ts';

const duration = z.string().refine(isIsoDuration, 'ISO 8601 duration such as PT24H or P14D');

const coding = z.object({
  system: z.string().min(1),
  code: z.string().min(1),
  display: z.string().optional(),
});
export type CardCoding = z.infer<typeof coding>;

const codeableConcept = z.object({ coding: z.array(coding).optional(), text: z.string().optional() });

const input = z.object({
  /** Name of the feature (tensor column) this input feeds; several inputs may feed one feature. */
  feature: z.string().min(1),
  title: z.string().min(1),
  /**
   * Where the value comes from: an Observation value (or component), the patient's age from
   * Patient.birthDate, or another part of the record (Condition, Flag) as `rule` explains.
   */
  source: z.enum(['observation', 'patient-age', 'patient-record']).default('observation'),
  /** Matched against Observation.code and Observation.component.code; any coding may match. */
  codes: z.array(coding).default([]),
  /**
   * Observation codes of panels whose components carry this input (a blood-pressure panel for
   * systolic BP). Only a loading hint: the server then reads those panels instead of probing every
   * Observation of the patient's window for a component with the input's code.
   */
  panels: z.array(coding).optional(),
  /** UCUM unit the feature is expressed in; quantities are converted to it. */
  unit: z.string().optional(),
  /** g/mol, to convert amount concentrations (mmol/L) to mass concentrations (mg/dL) and back. */
  molarMass: z.number().positive().optional(),
  /** For coded answers: the feature value of each answer code. */
  answers: z.array(coding.extend({ value: z.number() })).optional(),
  lookback: duration.optional(),
  /** Values outside [min, max] (after unit conversion) are rejected as implausible. */
  min: z.number().optional(),
  max: z.number().optional(),
  /** Free-text rule for inputs whose meaning is more than "latest value" (e.g. oxygen flow > 0). */
  rule: z.string().optional(),
  /** Set when no LOINC code exists for the feature, saying which code stands in instead. */
  noLoinc: z.string().optional(),
});
export type CardInput = z.infer<typeof input>;

const qualitativeBand = z.object({
  /** Upper bound (exclusive) of the probability or score for this band; omit on the last band. */
  below: z.number().optional(),
  /** http://terminology.hl7.org/CodeSystem/risk-probability code. */
  risk: z.enum(['negligible', 'low', 'moderate', 'high', 'certain']),
  label: z.string().optional(),
});

export const modelCardSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and hyphens'),
  version: z.string().regex(/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/, 'semantic version'),
  title: z.string().min(1),
  description: z.string().min(1),
  kind: z.enum(['rule-based', 'machine-learning', 'statistical']),
  /** onnx: `file` is run by onnxruntime-node; typescript: implemented in server/risk, no artifact. */
  runtime: z.enum(['onnx', 'typescript']),
  file: z.string().optional(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  notForClinicalUse: z.boolean(),
  /** RiskAssessment.method */
  method: coding,
  /** How features are gathered: the NEWS2 rules, the personal baseline, or one latest value per input. */
  extractor: z.enum(['news2', 'baseline', 'observations']).default('observations'),
  /**
   * When the server scores the model: on every new input Observation (the outbox consumer), or
   * only when asked through $risk-assess (e.g. a model whose inputs span a year of lab results).
   */
  trigger: z.enum(['observation', 'on-demand']).default('observation'),
  /** Default look-back window for inputs that do not set their own. */
  lookback: duration,
  features: z.array(z.object({ name: z.string().min(1), unit: z.string().optional(), description: z.string().min(1) })).min(1),
  inputs: z.array(input).min(1),
  onnx: z
    .object({
      input: z.string().min(1),
      outputs: z.record(z.string(), z.string()),
    })
    .optional(),
  output: z.object({
    kind: z.enum(['score', 'probability', 'flag']),
    /** ONNX output holding the score or the probability (shape [N, 1]). */
    tensor: z.string().optional(),
    outcome: codeableConcept,
    horizon: duration,
    /** Ascending bands mapping the score or probability to a qualitative risk. */
    bands: z.array(qualitativeBand).optional(),
    /** ONNX output holding a band index, and what each index means (a second qualitativeRisk coding). */
    bandTensor: z.string().optional(),
    bandSystem: z.string().optional(),
    bandLabels: z
      .array(z.object({ code: z.string().min(1), display: z.string().min(1), risk: qualitativeBand.shape.risk }))
      .optional(),
  }),
  /** Per-feature contributions: chart points, or w·(x − reference) in logit space for linear models. */
  explanation: z
    .object({
      method: z.enum(['news2-points', 'linear-logit', 'baseline-sd']),
      weights: z.string().optional(),
      reference: z.array(z.number()).optional(),
    })
    .optional(),
  intendedUse: z.string().min(1),
  population: z.string().optional(),
  limitations: z.array(z.string()).min(1),
  evaluation: z.record(z.string(), z.unknown()),
  references: z.array(z.string()).default([]),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ModelCard = z.infer<typeof modelCardSchema>;

export class ModelCardError extends Error {}

/** Parses and checks a card; cross-field rules zod cannot express are checked here. */
export function parseModelCard(json: unknown, where: string): ModelCard {
  const parsed = modelCardSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(card)'}: ${i.message}`).join('; ');
    throw new ModelCardError(`${where}: invalid model card: ${issues}`);
  }
  const card = parsed.data;
  const problems: string[] = [];
  if (card.runtime === 'onnx' && (!card.file || !card.sha256 || !card.onnx)) problems.push('an onnx model needs file, sha256 and onnx');
  const featureNames = new Set(card.features.map((f) => f.name));
  for (const i of card.inputs) if (!featureNames.has(i.feature)) problems.push(`input ${i.title} feeds unknown feature ${i.feature}`);
  if (card.extractor === 'observations') {
    for (const f of card.features) if (!card.inputs.some((i) => i.feature === f.name)) problems.push(`feature ${f.name} has no input`);
    for (const i of card.inputs) if (i.source === 'observation' && i.codes.length === 0) problems.push(`input ${i.title} has no code`);
  }
  if (card.output.bandTensor && !(card.output.bandLabels && card.output.bandSystem)) problems.push('output.bandTensor needs bandLabels and bandSystem');
  if (card.explanation?.reference && card.explanation.reference.length !== card.features.length) {
    problems.push('explanation.reference needs one value per feature');
  }
  if (problems.length) throw new ModelCardError(`${where}: ${problems.join('; ')}`);
  return card;
}
