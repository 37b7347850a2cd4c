/**
 * R4 invariants whose published FHIRPath does not say what their human text says. Evaluated as
 * published they reject valid resources, so the corrected expression (as later FHIR versions
 * publish it) is used instead. Keyed by constraint key and the exact published expression, so a
 * changed definition is never silently overridden.
 */
const CORRECTIONS: Record<string, { published: string; corrected: string; why: string }> = {
  'que-7': {
    published: "operator = 'exists' implies (answer is Boolean)",
    corrected: "operator = 'exists' implies (answer is boolean)",
    why: 'Boolean is the System type; a FHIR answerBoolean is of type FHIR.boolean (fixed in R4B/R5)',
  },
};

/** The expression to evaluate for a constraint: its published one, or the correction. */
export function invariantExpression(key: string, published: string): string {
  const correction = CORRECTIONS[key];
  return correction && correction.published === published ? correction.corrected : published;
}
