/**
 * The one authorization seam. Every interaction — REST call, bundle entry, operation — asks the
 * policy before it runs (see fhir/router.ts). The default allows everything; SMART on FHIR plugs a
 * policy in here that maps scopes and launch context to allow / deny / narrow.
 */
export interface Principal {
  kind: 'anonymous' | 'user' | 'client' | 'system';
  subject?: string;
  scopes?: string[];
  /** Patient in context (SMART launch), when there is one. */
  patient?: string;
}

export type Interaction =
  | 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'create'
  | 'history-instance' | 'history-type' | 'history-system'
  | 'search-type' | 'search-system' | 'search-compartment'
  | 'capabilities' | 'batch' | 'transaction' | 'operation';

export interface AuthorizationRequest {
  principal: Principal;
  interaction: Interaction;
  resourceType?: string;
  id?: string;
  operation?: string;
}

export type AuthorizationDecision =
  | { effect: 'allow' }
  | { effect: 'deny'; reason: string }
  /** Allowed, but searches get these extra parameters (e.g. patient=<id> for a patient-scoped app). */
  | { effect: 'narrow'; searchParams: Array<[string, string]> };

export interface AuthorizationPolicy {
  authorize(request: AuthorizationRequest): AuthorizationDecision | Promise<AuthorizationDecision>;
}

export const allowAll: AuthorizationPolicy = {
  authorize: () => ({ effect: 'allow' }),
};

/** Who is calling. Until SMART lands every caller is anonymous; the seam is where a token is read. */
export function principalFromHeaders(_headers: Record<string, string | string[] | undefined>): Principal {
  return { kind: 'anonymous' };
}
