// problem+json (RFC 9457) responses as typed errors: one class per `error` code of
// API.md's table, so that callers can `instanceof` them instead of reading status codes.

/** One field problem of a 422 (or of a failed bulk item). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** A problem+json body as the server sends it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  error: string;
  errors?: FieldProblem[];
  [member: string]: unknown;
}

/** One entry of an entity's history (and of a conflict's `changes_since`). */
export interface HistoryEntry {
  version: number;
  event_type?: string;
  recorded_at: string;
  user_id: string;
  changes: Record<string, { from: unknown; to: unknown }>;
}

/** Any error answer of the API. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title || `HTTP ${problem.status}`);
    this.name = new.target.name;
    this.status = problem.status;
    this.code = problem.error;
    this.problem = problem;
  }
}

export class BadRequestError extends ApiError {}
export class UnauthenticatedError extends ApiError {}
export class ForbiddenError extends ApiError {}
export class NotFoundError extends ApiError {}
export class MethodNotAllowedError extends ApiError {}
export class PayloadTooLargeError extends ApiError {}
export class UnsupportedMediaTypeError extends ApiError {}
export class InternalServerError extends ApiError {}

/** 422: the request must be fixed; `fieldErrors` lists every problem found. */
export class ValidationError extends ApiError {
  get fieldErrors(): FieldProblem[] {
    return this.problem.errors ?? [];
  }
}

/** 409 `constraint`: a rule against other current data (unique value, capacity, overlap...). */
export class ConstraintError extends ApiError {}

/** 409 `conflict`: the version sent is stale. Nothing was saved. */
export class VersionConflictError extends ApiError {
  get entityType(): string {
    return String(this.problem.entity_type ?? '');
  }
  get entityId(): string {
    return String(this.problem.entity_id ?? '');
  }
  get expectedVersion(): number {
    return Number(this.problem.expected_version);
  }
  get currentVersion(): number {
    return Number(this.problem.current_version);
  }
  /** The entity as it is now; null when it was deleted. */
  get currentState(): Record<string, unknown> | null {
    return (this.problem.current_state as Record<string, unknown> | null) ?? null;
  }
  get attemptedChanges(): Record<string, unknown> {
    return (this.problem.attempted_changes as Record<string, unknown>) ?? {};
  }
  get changesSince(): HistoryEntry[] {
    return (this.problem.changes_since as HistoryEntry[]) ?? [];
  }
}

/** 503: nothing was written, unless the detail says the outcome is unknown (the connection broke
 * while the change was being saved); the server suggests when to try again (Retry-After, seconds). */
export class UnavailableError extends ApiError {
  readonly retryAfterSeconds: number | null;
  constructor(problem: Problem, retryAfterSeconds: number | null = null) {
    super(problem);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The server could not be reached, or answered something that is not the API. */
export class NetworkError extends Error {
  /** How many times the request was sent without an answer (2: a write the client repeated once). */
  readonly attempts: number;
  constructor(message: string, attempts = 1) {
    super(message);
    this.name = 'NetworkError';
    this.attempts = attempts;
  }
}

const CLASSES: Record<string, new (p: Problem) => ApiError> = {
  bad_request: BadRequestError,
  unauthenticated: UnauthenticatedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  method_not_allowed: MethodNotAllowedError,
  conflict: VersionConflictError,
  constraint: ConstraintError,
  payload_too_large: PayloadTooLargeError,
  unsupported_media_type: UnsupportedMediaTypeError,
  validation: ValidationError,
  unavailable: UnavailableError,
  internal: InternalServerError,
};

/** The `error` codes of API.md's table, each mapped to its class. */
export const PROBLEM_CODES = Object.keys(CLASSES);

/**
 * The typed error for an error response. `body` is the parsed problem+json, or anything
 * else the server sent (then the status decides, with a generic problem).
 */
export function errorFromResponse(status: number, body: unknown, retryAfter: string | null = null): ApiError {
  const problem: Problem =
    body && typeof body === 'object' && typeof (body as Problem).error === 'string'
      ? (body as Problem)
      : {
          type: 'about:blank',
          title: `HTTP ${status}`,
          status,
          detail: `The server answered ${status} without a problem description.`,
          error: CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'bad_request'),
        };
  if (problem.status === undefined) problem.status = status;
  if (problem.error === 'unavailable') {
    const seconds = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : null;
    return new UnavailableError(problem, seconds);
  }
  const cls = CLASSES[problem.error] ?? (status >= 500 ? InternalServerError : ApiError);
  return new cls(problem);
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'validation',
  503: 'unavailable',
};
