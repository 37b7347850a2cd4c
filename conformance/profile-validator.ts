import { requiredBindingCheck, type BindingCheck } from './binding-check.ts';
import type { FhirJson } from './definition-package.ts';
import { ExtensionOnly } from './fhirpath-values.ts';
import { compileInvariant, type Invariant } from './invariants.ts';
import { buildProfileTree, UnsupportedProfile, type ProfileNode } from './profile-tree.ts';
import { discriminatorPath, matchesFixed, matchesPattern, sliceValues, valuesAt } from './profile-values.ts';
import { allowedTargetTypes, referencedType } from './reference-check.ts';
import { typeModel } from './type-model.ts';
import type { JsonObject, ValidationContext } from './validation-context.ts';
import { quoteValue } from './validation-issue.ts';

/** One occurrence of an element in the instance. */
interface Item {
  value: unknown;
  /** Type code of this occurrence (the choice type for value[x]). */
  type: string;
  path: string;
}

type ItemCheck = (item: Item, ctx: ValidationContext) => void;

function capitalize(code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1);
}

function display(value: unknown): string {
  if (value instanceof ExtensionOnly) return 'no value';
  return typeof value === 'object' && value !== null ? JSON.stringify(value).slice(0, 80) : quoteValue(value);
}

function describeSlice(slice: ProfileNode, discriminators: { type: string; path: string }[]): string {
  const parts = discriminators
    .filter((d) => d.type === 'value' || d.type === 'pattern')
    .map((d) => `${d.path} ${sliceValues(slice, discriminatorPath(d.path)).map((v) => display(v.value)).join('|')}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/**
 * A profile compiled to checks over the instance: each relevant element of the snapshot becomes a
 * closure that reads its occurrences from the JSON, checks the profile's cardinality (where it is
 * stricter than the base), types, fixed and pattern values, required bindings, reference targets
 * and added invariants, and assigns occurrences to slices by their discriminators.
 */
export class ProfileValidator {
  readonly url: string;
  readonly type: string;
  readonly label: string;
  private readonly check: ItemCheck;

  constructor(structureDefinition: FhirJson) {
    this.url = structureDefinition.url;
    this.type = structureDefinition.type;
    this.label = structureDefinition.id ?? structureDefinition.name;
    const root = buildProfileTree(structureDefinition);
    this.check = this.compileNode(root, this.type);
  }

  validate(resource: JsonObject, path: string, ctx: ValidationContext): void {
    if (resource.resourceType !== this.type) {
      ctx.rule('structure', `${path}: profile ${this.label} applies to ${this.type}, not ${String(resource.resourceType)}`, path);
      return;
    }
    this.check({ value: resource, type: this.type, path }, ctx);
  }

  private fail(ctx: ValidationContext, code: string, path: string, message: string): void {
    ctx.rule(code, `${path}: ${message} (profile ${this.label})`, path);
  }

  /** Checks for one occurrence of `current` whose value has type `type`. */
  private compileNode(current: ProfileNode, ownerType: string): ItemCheck {
    const checks: ItemCheck[] = [];
    if (current.fixed !== undefined) {
      const fixed = current.fixed;
      checks.push(({ value, path }, ctx) => {
        if (!matchesFixed(value, fixed)) this.fail(ctx, 'value', path, `the value must be ${display(fixed)}, found ${display(value)}`);
      });
    }
    if (current.pattern !== undefined) {
      const pattern = current.pattern;
      checks.push(({ value, path }, ctx) => {
        if (!matchesPattern(value, pattern)) this.fail(ctx, 'value', path, `the value must match the pattern ${display(pattern)}`);
      });
    }
    if (current.binding) {
      const byType = new Map<string, BindingCheck | undefined>();
      for (const type of current.types) byType.set(type, requiredBindingCheck(current.binding, type));
      const label = this.label;
      checks.push(({ value, type, path }, ctx) => {
        if (value instanceof ExtensionOnly) return;
        const issuesBefore = ctx.issues.length;
        byType.get(type)?.(value, path, ctx);
        for (let i = issuesBefore; i < ctx.issues.length; i++) ctx.issues[i].diagnostics += ` (profile ${label})`;
      });
    }
    if (current.targetProfiles) {
      const allowed = allowedTargetTypes(current.targetProfiles);
      if (allowed) {
        checks.push(({ value, type, path }, ctx) => {
          const reference = type === 'Reference' ? (value as JsonObject).reference : undefined;
          if (typeof reference !== 'string') return;
          const target = referencedType(reference, ctx);
          if (target && !allowed.has(target)) {
            this.fail(ctx, 'structure', `${path}.reference`, `a reference to ${target} is not allowed here (allowed: ${[...allowed].join(', ')})`);
          }
        });
      }
    }
    if (current.constraints.length > 0) checks.push(this.compileConstraints(current, ownerType));
    for (const child of current.children.values()) {
      if (child.relevant) checks.push(this.compileChild(child, current.childContext!));
    }
    return (item, ctx) => {
      for (const check of checks) check(item, ctx);
    };
  }

  private compileConstraints(current: ProfileNode, ownerType: string): ItemCheck {
    const byType = new Map<string, Invariant[]>();
    const resourceType = typeModel().types.get(ownerType)?.kind === 'resource' ? ownerType : this.type;
    const basePath = current.base?.path ?? this.type;
    for (const type of current.types.length > 0 ? current.types : [this.type]) {
      const backbone = type === 'BackboneElement' || type === 'Element' || !current.base;
      const primitive = typeModel().isPrimitive(type);
      const context = backbone
        ? { type: ownerType, path: current.childContext?.path ?? basePath, primitive: false, resourceType }
        : { type, path: type, primitive, resourceType };
      const fhirpathBase = current.base?.isChoice ? `${basePath.slice(0, -3)}${capitalize(type)}` : basePath;
      byType.set(
        type,
        current.constraints.map((c) => compileInvariant(c, context, fhirpathBase)).filter((i): i is Invariant => i !== undefined),
      );
    }
    const only = byType.size === 1 ? [...byType.values()][0] : undefined;
    return ({ value, type, path }, ctx) => {
      if (value instanceof ExtensionOnly) return;
      for (const invariant of only ?? byType.get(type) ?? []) {
        if (!invariant.holds(value, ctx)) {
          ctx.rule('invariant', `${path}: constraint ${invariant.key} failed: ${invariant.human} (profile ${this.label})`, path, invariant.severity);
        }
      }
    };
  }

  /** Reads the occurrences of `child` from its parent's value and checks them. */
  private compileChild(child: ProfileNode, parentContext: { typeName: string; path: string }): ItemCheck {
    const base = child.base!;
    const repeats = base.max > 1;
    const baseTypes = base.contentReference ? ['BackboneElement'] : base.types.map((t) => t.code);
    const allowed = new Set(child.types.length > 0 ? child.types : baseTypes);
    const variants = baseTypes.map((code) => ({
      code,
      jsonName: base.isChoice ? child.name + capitalize(code) : child.name,
      segment: base.isChoice ? `.${child.name}.ofType(${code})` : `.${child.name}`,
      primitive: typeModel().isPrimitive(code),
    }));
    const own = this.compileNode(child, parentContext.typeName);
    const slicing = child.slices.length > 0 || child.slicing?.rules === 'closed' ? this.compileSlicing(child, parentContext) : undefined;
    const checkCount = child.min > child.baseMin || child.max < child.baseMax;
    const label = base.isChoice ? `${child.name}[x]` : child.name;

    return ({ value, path }, ctx) => {
      if (value === null || typeof value !== 'object' || value instanceof ExtensionOnly) return;
      const object = value as JsonObject;
      const items: Item[] = [];
      for (const variant of variants) {
        const found = object[variant.jsonName];
        const ext = variant.primitive ? object['_' + variant.jsonName] : undefined;
        if (found === undefined && ext === undefined) continue;
        const at = path + variant.segment;
        if (!allowed.has(variant.code)) {
          this.fail(ctx, 'structure', at, `the type ${variant.code} is not allowed here (allowed: ${[...allowed].join(', ')})`);
          continue;
        }
        collect(found, ext, variant.code, at, repeats, items);
      }
      if (checkCount) {
        if (items.length < child.min) {
          this.fail(ctx, 'required', `${path}.${label}`, `minimum required = ${child.min}, but only found ${items.length}`);
        } else if (items.length > child.max) {
          this.fail(ctx, 'structure', `${path}.${label}`, `maximum allowed = ${child.max}, but found ${items.length}`);
        }
      }
      if (slicing) slicing(items, `${path}.${label}`, ctx);
      for (const item of items) own(item, ctx);
    };
  }

  private compileSlicing(sliced: ProfileNode, parentContext: { typeName: string; path: string }): (items: Item[], path: string, ctx: ValidationContext) => void {
    const discriminators = sliced.slicing?.discriminators ?? [];
    const slices = sliced.slices.map((slice) => {
      const tests = discriminators.map((d): ((item: Item) => boolean) => {
        if (d.type === 'type' && d.path === '$this') {
          const types = new Set(slice.types);
          return (item) => types.has(item.type);
        }
        if (d.type !== 'value' && d.type !== 'pattern') throw new UnsupportedProfile(`${d.type} discriminator at ${sliced.id}`);
        const steps = discriminatorPath(d.path);
        const expected = sliceValues(slice, steps);
        if (expected.length === 0) throw new UnsupportedProfile(`slice ${slice.id} fixes nothing at ${d.path}`);
        return (item) => {
          const actual = valuesAt(item.value, steps);
          return expected.some((e) => actual.some((a) => (e.pattern ? matchesPattern(a, e.value) : matchesFixed(a, e.value))));
        };
      });
      return {
        slice,
        matches: (item: Item) => tests.every((test) => test(item)),
        check: this.compileNode(slice, parentContext.typeName),
        description: describeSlice(slice, discriminators),
      };
    });
    const closed = sliced.slicing?.rules === 'closed';
    return (items, path, ctx) => {
      const counts = new Array<number>(slices.length).fill(0);
      for (const item of items) {
        const index = slices.findIndex((s) => s.matches(item));
        if (index < 0) {
          if (closed) this.fail(ctx, 'structure', item.path, `does not match any of the slices defined for ${path} (slicing is closed)`);
          continue;
        }
        counts[index]++;
        slices[index].check(item, ctx);
      }
      slices.forEach(({ slice, description }, i) => {
        if (counts[i] < slice.min) {
          this.fail(ctx, 'required', path, `slice ${slice.sliceName}${description}: minimum required = ${slice.min}, but found ${counts[i]}`);
        } else if (counts[i] > slice.max) {
          this.fail(ctx, 'structure', path, `slice ${slice.sliceName}${description}: maximum allowed = ${slice.max}, but found ${counts[i]}`);
        }
      });
    };
  }
}

/** The occurrences of one JSON property (value and `_` part paired), appended to `items`. */
function collect(found: unknown, ext: unknown, type: string, at: string, repeats: boolean, items: Item[]): void {
  if (!repeats) {
    if (found !== undefined && found !== null && !Array.isArray(found)) items.push({ value: found, type, path: at });
    else if (ext !== undefined && ext !== null) items.push({ value: new ExtensionOnly(ext), type, path: at });
    return;
  }
  const values = Array.isArray(found) ? found : [];
  const exts = Array.isArray(ext) ? ext : [];
  const length = Math.max(values.length, exts.length);
  for (let i = 0; i < length; i++) {
    const value = values[i];
    if (value !== undefined && value !== null) items.push({ value, type, path: `${at}[${i}]` });
    else if (exts[i] !== undefined && exts[i] !== null) items.push({ value: new ExtensionOnly(exts[i]), type, path: `${at}[${i}]` });
  }
}
