/**
 * The shape of a CDS Hooks 2.0 service call for `patient-view`, checked before anything runs: a
 * malformed call answers 400 (CDS Hooks defines no error body; ours is `{ "error": "..." }`).
 */
import { z } from 'zod';

const fhirId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/, 'a FHIR id');

export const patientViewRequestSchema = z
  .object({
    hook: z.literal('patient-view'),
    hookInstance: z.string().min(1),
    fhirServer: z.string().url().optional(),
    fhirAuthorization: z
      .object({ access_token: z.string(), token_type: z.literal('Bearer'), expires_in: z.number(), scope: z.string(), subject: z.string() })
      .passthrough()
      .optional(),
    context: z.object({ userId: z.string().min(1), patientId: fhirId, encounterId: fhirId.optional() }).passthrough(),
    prefetch: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough()
  .refine((r) => !r.fhirAuthorization || r.fhirServer, { message: 'fhirServer is required when fhirAuthorization is present', path: ['fhirServer'] });

export type PatientViewRequest = z.infer<typeof patientViewRequestSchema>;

/** The request, or a one-line reason it is malformed. */
export function parsePatientView(body: unknown): { ok: true; request: PatientViewRequest } | { ok: false; error: string } {
  const parsed = patientViewRequestSchema.safeParse(body);
  if (parsed.success) return { ok: true, request: parsed.data };
  return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') };
}
