/**
 * Code systems, identifier systems and extension URLs used by risk scoring. Project-defined ones
 * all live under one canonical base, documented in models/README.md.
 */
export const CANONICAL_BASE = 'http://vitalchain.dev/fhir';

/** Complex extension on RiskAssessment.prediction: one per feature (feature, value, contribution, method). */
export const RISK_CONTRIBUTION_URL = `${CANONICAL_BASE}/StructureDefinition/risk-contribution`;
/** RiskAssessment.method for models without a standard code: code = model id. */
export const RISK_MODEL_SYSTEM = `${CANONICAL_BASE}/CodeSystem/risk-model`;
/** Second qualitativeRisk coding for NEWS2: low, low-medium, medium, high (RCP chart 4). */
export const NEWS2_RISK_SYSTEM = `${CANONICAL_BASE}/CodeSystem/news2-clinical-risk`;
/** Codes for model features that have no LOINC code (e.g. the diabetes pedigree function). */
export const MODEL_FEATURE_SYSTEM = `${CANONICAL_BASE}/CodeSystem/model-feature`;
/** Clinician-documented decisions that steer scoring, e.g. `spo2-scale-2` on a Flag. */
export const RISK_FLAG_SYSTEM = `${CANONICAL_BASE}/CodeSystem/risk-flag`;
/** Device.identifier systems: the artifact's sha256 (hex) and the model id@version. */
export const MODEL_SHA256_SYSTEM = `${CANONICAL_BASE}/sid/model-sha256`;
export const MODEL_ID_SYSTEM = `${CANONICAL_BASE}/sid/model-id`;

export const RISK_PROBABILITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/risk-probability';
export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const UCUM = 'http://unitsofmeasure.org';
export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const OBSERVATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
