import { typeModel } from '../../../../conformance/type-model.ts';
import { compileSteps, positionAfter, type StaticPosition } from './compile-extractor.ts';
import { parsePathExpression, splitUnion } from './path-expression.ts';
import { NodeList, type NodeVisitor, type TypedNode } from './typed-node.ts';

/** For each element the composite's base expression selects: the values of each component. */
export type CompositeExtractor = (resource: Record<string, any>) => TypedNode[][][];

type ComponentSink = (element: any, resource: Record<string, any>, out: NodeVisitor) => void;

/**
 * Compiles a composite parameter: its base expression (e.g. "Observation | Observation.component")
 * and component expressions relative to each base element (e.g. "code", "value.as(Quantity)"),
 * so that code and value are paired from the same element rather than anywhere in the resource.
 * `%resource.` in a component reads from the resource root. Returns undefined for shapes
 * outside the compiled subset (such parameters are then not offered).
 */
export function compileComposite(resourceType: string, baseExpression: string, componentExpressions: string[]): CompositeExtractor | undefined {
  const model = typeModel();
  const root: StaticPosition = { owner: resourceType, path: resourceType, type: resourceType };
  const bases = splitUnion(baseExpression).map((alternative) => {
    const base = parsePathExpression(alternative);
    if (!base || (base.root !== resourceType && base.root !== 'Resource')) return undefined;
    const position = positionAfter(model, base.steps, root);
    const sink = compileSteps(model, base.steps, 0, root);
    if (!position || !sink) return undefined;
    const components = componentExpressions.map((expression) => compileComponent(expression, position, root));
    if (components.some((component) => !component)) return undefined;
    return { sink, components: components as ComponentSink[] };
  });
  if (bases.some((base) => !base)) return undefined;
  return (resource) => {
    const rows: TypedNode[][][] = [];
    for (const base of bases) {
      const found = new NodeList();
      base!.sink(resource, found);
      for (const element of found.nodes) {
        // Components are read last to first: the value component (valueString, valueDateTime...) is
        // usually absent, and one empty component means no row, so most composites stop after one lookup.
        const values: TypedNode[][] = new Array(base!.components.length);
        let empty = false;
        for (let i = base!.components.length - 1; i >= 0 && !empty; i--) {
          const out = new NodeList();
          base!.components[i](element.value, resource, out);
          values[i] = out.nodes;
          empty = out.nodes.length === 0;
        }
        if (!empty) rows.push(values);
      }
    }
    return rows;
  };
}

function compileComponent(expression: string, position: StaticPosition, root: StaticPosition): ComponentSink | undefined {
  const model = typeModel();
  const parts = splitUnion(expression).map((part) => {
    const fromRoot = part.startsWith('%resource.');
    const parsed = parsePathExpression(`Base.${fromRoot ? part.slice('%resource.'.length) : part}`);
    const sink = parsed ? compileSteps(model, parsed.steps, 0, fromRoot ? root : position) : undefined;
    if (!sink) return undefined;
    return fromRoot ? (_element: any, resource: any, out: NodeVisitor) => sink(resource, out) : (element: any, _resource: any, out: NodeVisitor) => sink(element, out);
  });
  if (parts.some((part) => !part)) return undefined;
  return (element, resource, out) => {
    for (const part of parts) part!(element, resource, out);
  };
}
