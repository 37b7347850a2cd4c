import { ProfileValidator } from './profile-validator.ts';
import { UnsupportedProfile } from './profile-tree.ts';
import { typeModel } from './type-model.ts';

let known: Map<string, ProfileValidator> | undefined;

/**
 * The profiles of the definitions package this server validates against: every resource profile
 * whose snapshot the validator enforces completely — the vital-signs family (vitalsigns, heartrate,
 * bp, oxygensat, resprate, bodytemp, bodyweight, bodyheight, bmi, headcircum, vitalspanel), the
 * lipid results, devicemetricobservation, the shareable* conformance profiles and a few more.
 * Derived from the definitions, not listed by hand; compiled once, at first use.
 */
function knownValidators(): Map<string, ProfileValidator> {
  if (!known) {
    known = new Map();
    for (const [url, structureDefinition] of typeModel().profiles) {
      if (structureDefinition.kind !== 'resource') continue;
      try {
        known.set(url, new ProfileValidator(structureDefinition));
      } catch (error) {
        // A profile using a feature the validator lacks is not offered rather than checked halfway.
        if (!(error instanceof UnsupportedProfile)) throw error;
      }
    }
  }
  return known;
}

function withoutVersion(url: string): string {
  const bar = url.indexOf('|');
  return bar < 0 ? url : url.slice(0, bar);
}

/** Canonical URLs the server can validate against (for $validate `profile` and meta.profile claims). */
export function knownProfiles(): string[] {
  return [...knownValidators().keys()].sort();
}

export function isKnownProfile(url: string): boolean {
  return knownValidators().has(withoutVersion(url));
}

/** The compiled validator of a known profile (a `|version` suffix is ignored), or undefined. */
export function profileValidator(url: string): ProfileValidator | undefined {
  return knownValidators().get(withoutVersion(url));
}
