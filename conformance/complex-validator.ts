import { requiredBindingCheck } from './binding-check.ts';
import {
  complexPropertyHandler, primitivePropertyHandler, reportUnknownProperty, requireObject, type ItemCheck, type PropertyHandler,
} from './element-handlers.ts';
import { compileInvariant, NATIVE_INVARIANTS, reportInvariant, type Invariant } from './invariants.ts';
import { checkContained, checkExtension, checkNarrativeDiv, checkNarrativePresent, checkSimpleQuantity } from './native-invariants.ts';
import { primitiveCheck } from './primitive-types.ts';
import { referenceCheck } from './reference-check.ts';
import { typeModel, type ElementDefinitionInfo } from './type-model.ts';
import type { JsonObject, ValidationContext } from './validation-context.ts';
import type { FhirJson } from './definition-package.ts';

/**
 * How a complex node is validated: 'resource' (a resource's top level), 'datatype' (a value of a
 * complex data type), 'backbone' (a nested element defined inline), 'primitive-extension' (the
 * `_name` object of a primitive: only id and extension).
 */
export type Role = 'resource' | 'datatype' | 'backbone' | 'primitive-extension';

/** Validates a resource found inside another (contained, Bundle entry, Parameters). Set by resource-node.ts. */
export type NestedResourceCheck = (value: unknown, path: string, ctx: ValidationContext, contained: boolean) => void;
let nestedResource: NestedResourceCheck;
export function setNestedResourceCheck(check: NestedResourceCheck): void {
  nestedResource = check;
}

const SIMPLE_QUANTITY = 'http://hl7.org/fhir/StructureDefinition/SimpleQuantity';

function capitalize(code: string): string {
  return code.charAt(0).toUpperCase() + code.slice(1);
}

function isDomainResource(typeName: string): boolean {
  for (let t: string | undefined = typeName; t; t = typeModel().types.get(t)?.baseType) if (t === 'DomainResource') return true;
  return false;
}

const validators = new Map<string, ComplexValidator>();

/** The (lazily compiled) validator for the children of `path` in `typeName`. */
export function complexValidator(typeName: string, path: string, role: Role): ComplexValidator {
  const key = `${role}|${typeName}|${path}`;
  let validator = validators.get(key);
  if (!validator) validators.set(key, (validator = new ComplexValidator(typeName, path, role)));
  return validator;
}

/**
 * The compiled validation of one kind of JSON object. Compilation happens on first use, once per
 * process: a map from every legal JSON property name to a handler closure, the required elements,
 * the choice elements (at most one type each) and the invariants of the node.
 */
export class ComplexValidator {
  private compiled = false;
  private readonly handlers = new Map<string, PropertyHandler>();
  /** Choice-variant JSON keys → bit of their choice element, to detect two types for one element. */
  private readonly choiceBits = new Map<string, number>();
  private readonly required: { label: string; keys: string[] }[] = [];
  private invariants: Invariant[] = [];
  private readonly domainResource: boolean;
  /** Validators of the complex children, for compiling a whole type tree ahead of time. */
  private readonly nested: ComplexValidator[] = [];

  constructor(
    readonly typeName: string,
    readonly path: string,
    readonly role: Role,
  ) {
    this.domainResource = role === 'resource' && isDomainResource(typeName);
  }

  validate(object: JsonObject, path: string, ctx: ValidationContext): void {
    if (!this.compiled) this.compile();
    const handlers = this.handlers;
    const choiceBits = this.choiceBits.size > 0 ? this.choiceBits : undefined;
    let keys = 0;
    let children = 0;
    let choicesSeen = 0;
    for (const key in object) {
      keys++;
      const handler = handlers.get(key);
      if (handler === undefined) {
        if (key === 'resourceType' && this.role === 'resource') continue;
        reportUnknownProperty(key, path, ctx, this.typeName === 'Element' ? 'a primitive' : this.path);
        continue;
      }
      if (key !== 'id') children++;
      if (choiceBits) {
        const bit = choiceBits.get(key);
        // A `_name` next to its `name` is the same element, not a second type.
        if (bit !== undefined && !(key.charCodeAt(0) === 95 && object[key.slice(1)] !== undefined)) {
          if (choicesSeen & bit) {
            const at = `${path}.${key}`;
            ctx.structure('structure', `${at}: only one type may be used for a choice element, found several`, at);
          }
          choicesSeen |= bit;
        }
      }
      handler(object, key, path, ctx);
    }
    if (this.role === 'primitive-extension' ? keys === 0 : children === 0 && this.role !== 'resource') {
      ctx.structure('structure', `${path}: an element must have a value or children (ele-1); empty objects are not allowed`, path);
    }
    for (const { label, keys } of this.required) {
      let present = false;
      for (const key of keys) {
        if (object[key] !== undefined) {
          present = true;
          break;
        }
      }
      if (!present) ctx.structure('required', `${path}.${label}: minimum required = 1, but only found 0`, `${path}.${label}`);
    }
    for (const invariant of this.invariants) if (!invariant.holds(object, ctx)) reportInvariant(invariant, path, ctx);
    if (this.typeName === 'Extension') checkExtension(object, path, ctx);
    if (this.role === 'resource' && !ctx.inContained) {
      if (object.contained !== undefined) checkContained(object, path, ctx);
      if (this.domainResource) checkNarrativePresent(object, path, ctx);
    }
  }

  /** Compile this validator and everything below it now instead of on first use. */
  prepare(done = new Set<ComplexValidator>()): void {
    if (done.has(this)) return;
    done.add(this);
    if (!this.compiled) this.compile();
    for (const child of this.nested) child.prepare(done);
  }

  private compile(): void {
    this.compiled = true;
    const children = typeModel().childrenOf(this.typeName, this.path);
    if (!children) throw new Error(`No element definitions for ${this.path}`);
    let choiceIndex = 0;
    for (const element of children.values()) {
      const keys: string[] = [];
      const variants = this.variantsOf(element);
      const bit = element.isChoice ? 1 << choiceIndex++ : undefined;
      for (const variant of variants) {
        const handler = this.handlerFor(element, variant.code, variant.jsonName, variant.segment);
        this.handlers.set(variant.jsonName, handler);
        keys.push(variant.jsonName);
        if (variant.extensible) {
          this.handlers.set('_' + variant.jsonName, handler);
          keys.push('_' + variant.jsonName);
        }
        if (bit !== undefined) {
          this.choiceBits.set(variant.jsonName, bit);
          if (variant.extensible) this.choiceBits.set('_' + variant.jsonName, bit);
        }
      }
      if (element.min > 0) this.required.push({ label: element.isChoice ? `${element.name}[x]` : element.name, keys });
    }
    if (this.role === 'resource' || this.role === 'datatype') {
      const root = typeModel().types.get(this.typeName)?.elements.get(this.typeName);
      this.invariants = this.compileInvariants(root?.definition.constraint, this.typeName, this.typeName, false, new Set());
    }
  }

  /**
   * The JSON properties of an element, one per type. `extensible`: a primitive that may carry a
   * `_name` part — not XML attributes (Element.id, Extension.url) nor the XHTML of a narrative.
   */
  private variantsOf(element: ElementDefinitionInfo): { code: string; jsonName: string; segment: string; extensible: boolean }[] {
    if (element.contentReference) return [{ code: 'BackboneElement', jsonName: element.name, segment: `.${element.name}`, extensible: false }];
    const attribute = (element.definition.representation ?? []).includes('xmlAttr');
    return element.types.map((type) => {
      const code = this.role === 'resource' && element.path === `${this.typeName}.id` ? 'id' : type.code;
      const extensible = typeModel().isPrimitive(code) && code !== 'xhtml' && !attribute;
      return element.isChoice
        ? { code, jsonName: element.name + capitalize(code), segment: `.${element.name}.ofType(${code})`, extensible }
        : { code, jsonName: element.name, segment: `.${element.name}`, extensible };
    });
  }

  private handlerFor(element: ElementDefinitionInfo, code: string, jsonName: string, segment: string): PropertyHandler {
    const resourceType = this.role === 'resource' || this.role === 'backbone' ? this.resourceTypeOfOwner() : undefined;
    const fhirpathBase = element.isChoice ? `${element.path.slice(0, -3)}${capitalize(code)}` : element.path;
    if (typeModel().isPrimitive(code)) {
      const check = primitiveCheck(code);
      const binding = requiredBindingCheck(element.definition.binding, code);
      const invariants = this.compileInvariants(element.definition.constraint, code, code, true, new Set(), resourceType, fhirpathBase);
      const isDiv = code === 'xhtml';
      const checkValue: ItemCheck = (value, at, ctx) => {
        const issuesBefore = ctx.issues.length;
        check(value, at, ctx);
        if (ctx.issues.length !== issuesBefore) return;
        if (binding) binding(value, at, ctx);
        if (isDiv) checkNarrativeDiv(value as string, at, ctx);
        for (const invariant of invariants) if (!invariant.holds(value, ctx)) reportInvariant(invariant, at, ctx);
      };
      const extensionPart = complexValidator('Element', 'Element', 'primitive-extension');
      this.nested.push(extensionPart);
      const checkExtensionPart: ItemCheck = (value, at, ctx) => {
        if (!requireObject(value, at, ctx, 'primitive extension')) return;
        extensionPart.validate(value, at, ctx);
      };
      return primitivePropertyHandler(element, jsonName, segment, checkValue, checkExtensionPart);
    }
    if (code === 'Resource') {
      const contained = element.path.endsWith('.contained');
      return complexPropertyHandler(element, segment, (value, at, ctx) => nestedResource(value, at, ctx, contained));
    }
    const backbone = code === 'BackboneElement' || code === 'Element';
    const target = element.contentReference?.replace(/^#/, '');
    const validator = backbone
      ? complexValidator(this.typeName, target ?? element.path, 'backbone')
      : complexValidator(code, code, 'datatype');
    this.nested.push(validator);
    // Constraints the data type itself declares are checked by its validator; only the element's own are added here.
    const typeRootKeys = new Set<string>(
      backbone ? [] : (typeModel().types.get(code)?.elements.get(code)?.definition.constraint ?? []).map((c: FhirJson) => c.key),
    );
    const invariants = backbone
      ? this.compileInvariants(element.definition.constraint, this.typeName, target ?? element.path, false, typeRootKeys, resourceType, fhirpathBase)
      : this.compileInvariants(element.definition.constraint, code, code, false, typeRootKeys, resourceType, fhirpathBase);
    const binding = requiredBindingCheck(element.definition.binding, code);
    const reference = code === 'Reference' ? referenceCheck(element.types.find((t) => t.code === 'Reference')?.targetProfiles) : undefined;
    const simpleQuantity = element.types.some((t) => t.profiles?.includes(SIMPLE_QUANTITY));
    const typeLabel = backbone ? element.path : code;
    return complexPropertyHandler(element, segment, (value, at, ctx) => {
      if (!requireObject(value, at, ctx, typeLabel)) return;
      validator.validate(value, at, ctx);
      if (reference && typeof value.reference === 'string') reference(value.reference, `${at}.reference`, ctx);
      if (binding) binding(value, at, ctx);
      if (simpleQuantity) checkSimpleQuantity(value, at, ctx);
      for (const invariant of invariants) if (!invariant.holds(value, ctx)) reportInvariant(invariant, at, ctx);
    });
  }

  /** The resource type whose definition declares this node (for %resource), if it is a resource. */
  private resourceTypeOfOwner(): string | undefined {
    const type = typeModel().types.get(this.typeName);
    return type?.kind === 'resource' ? this.typeName : undefined;
  }

  private compileInvariants(
    constraints: FhirJson[] | undefined,
    contextType: string,
    contextPath: string,
    primitive: boolean,
    skip: Set<string>,
    resourceType = this.role === 'resource' ? this.typeName : undefined,
    fhirpathBase = contextPath,
  ): Invariant[] {
    const compiled: Invariant[] = [];
    for (const constraint of constraints ?? []) {
      if (NATIVE_INVARIANTS.has(constraint.key) || skip.has(constraint.key)) continue;
      const invariant = compileInvariant(constraint, { type: contextType, path: contextPath, primitive, resourceType }, fhirpathBase);
      if (invariant) compiled.push(invariant);
    }
    return compiled;
  }
}
