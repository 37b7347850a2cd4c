import type { InteractionContext } from '../context.ts';
import type { FhirRequest, FhirResponse } from '../request.ts';

export type OperationLevel = 'system' | 'type' | 'instance';

export interface OperationTarget {
  level: OperationLevel;
  type?: string;
  id?: string;
  version?: string;
}

export interface OperationHandler {
  /** Name without the leading $. */
  name: string;
  levels: OperationLevel[];
  /** Resource types it applies to at type/instance level; undefined means all. */
  resourceTypes?: string[];
  /** Canonical URL of its OperationDefinition (for the CapabilityStatement). */
  definition: string;
  /** Whether GET is allowed (operations that change nothing). */
  allowGet: boolean;
  /**
   * Takes its POST body as it arrives (request.bodyStream) rather than read whole and parsed by
   * the HTTP layer: for large device uploads that are consumed piece by piece.
   */
  streamsBody?: boolean;
  documentation: string;
  handle(ctx: InteractionContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse>;
}

/** Operations are registered by their modules at start; the CapabilityStatement lists exactly these. */
export class OperationRegistry {
  private readonly handlers = new Map<string, OperationHandler>();

  register(handler: OperationHandler): void {
    this.handlers.set(handler.name, handler);
  }

  find(name: string): OperationHandler | undefined {
    return this.handlers.get(name);
  }

  all(): OperationHandler[] {
    return [...this.handlers.values()];
  }
}
