import { complexValidator } from './complex-validator.ts';
import { knownProfiles, profileValidator } from './profiles.ts';
import { validateResourceNode } from './resource-node.ts';
import { typeModel } from './type-model.ts';
import { ValidationContext, type JsonObject } from './validation-context.ts';
import type { ValidationIssue } from './validation-issue.ts';

export type { IssueKind, IssueSeverity, ValidationIssue } from './validation-issue.ts';
export { failureStatus, hasErrors } from './validation-issue.ts';

export interface ValidateOptions {
  /** Canonical URLs of profiles to validate against in addition to the base definitions (see knownProfiles()). */
  profiles?: string[];
  /**
   * The resource was taken out of a transaction or batch Bundle before its references were
   * resolved: accept urn:uuid:, urn:oid: and conditional references. (Inside a Bundle resource
   * they are always accepted.)
   */
  inBundle?: boolean;
}

/**
 * Validates a resource (as parsed by server/fhir/json parseJson; FhirDecimal numbers allowed)
 * against the R4 definitions: structure, primitive formats, cardinality, choice types, references,
 * required bindings to value sets the package can expand, and invariants. Bundles are validated
 * with their entries, contained resources with their container.
 *
 * Expressions are FHIRPath, choice elements written as `Observation.value.ofType(Quantity)`,
 * array positions as `[n]`, a Bundle entry's resource as `Bundle.entry[3].resource.name[0]`.
 */
export function validateResource(resource: unknown, options: ValidateOptions = {}): ValidationIssue[] {
  const root = (resource !== null && typeof resource === 'object' ? resource : {}) as JsonObject;
  const ctx = new ValidationContext(root, options.inBundle === true);
  const requested = options.profiles ?? [];
  ctx.onResource = (current, path, context) => checkProfiles(current, path, context, current === root ? requested : []);
  validateResourceNode(resource, '', ctx, false);
  return ctx.issues;
}

/**
 * Profile validation of one resource: the profiles asked for, plus those it claims in meta.profile
 * that the server knows. Claims of unknown profiles are noted (information), not enforced.
 */
function checkProfiles(resource: JsonObject, path: string, ctx: ValidationContext, requested: string[]): void {
  const meta = resource.meta as JsonObject | undefined;
  const claimed = meta && Array.isArray(meta.profile) ? meta.profile.filter((url): url is string => typeof url === 'string') : [];
  if (claimed.length === 0 && requested.length === 0) return;
  const done = new Set<string>();
  for (const url of requested) {
    const validator = profileValidator(url);
    if (!validator) {
      ctx.rule('not-supported', `${path}: the profile ${url} is not known to this server`, path);
      continue;
    }
    if (done.has(validator.url)) continue;
    done.add(validator.url);
    validator.validate(resource, path, ctx);
  }
  claimed.forEach((url, index) => {
    const validator = profileValidator(url);
    if (!validator) {
      const at = `${path}.meta.profile[${index}]`;
      ctx.report('information', 'not-supported', 'rule', `${at}: the claimed profile ${url} is not known to this server and was not checked`, at);
      return;
    }
    if (done.has(validator.url)) return;
    done.add(validator.url);
    validator.validate(resource, path, ctx);
  });
}

/**
 * Load the definitions and compile the validators of `resourceTypes` (default: every resource
 * type) and of the known profiles now, so that the first requests do not pay for it. Without it
 * everything is compiled lazily on first use (about 0.6 s for the definitions, then a few ms per
 * resource type).
 */
export function prepareValidation(resourceTypes: readonly string[] = typeModel().resourceTypes): void {
  knownProfiles();
  const done = new Set<ReturnType<typeof complexValidator>>();
  for (const type of resourceTypes) complexValidator(type, type, 'resource').prepare(done);
}
