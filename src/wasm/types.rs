//! The TypeScript declarations wasm-bindgen cannot infer: options, `RunState`, `Tenant`,
//! `StateInput`, `PrefectError` and `graphql()`'s generic signature.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS: &'static str = r#"
/** The `code` of every `PrefectError`. */
export type PrefectErrorCode =
  | "NETWORK" | "TIMEOUT" | "ABORTED" | "HTTP" | "GRAPHQL" | "UNAUTHENTICATED"
  | "VERSION_LOCKING_ERROR" | "STATE_MISMATCH" | "STATE_REJECTED" | "NOT_FOUND" | "INVALID_ARGUMENT"
  | "DECODE";

/** One entry of a GraphQL `errors` array. */
export interface GraphQLErrorEntry {
  message: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: { code?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** Every rejection of this package. A real `Error` subclass. */
export class PrefectError extends Error {
  constructor(message: string, code: PrefectErrorCode, status?: number, errors?: GraphQLErrorEntry[], data?: unknown, cause?: unknown, details?: Record<string, unknown>);
  name: "PrefectError";
  code: PrefectErrorCode;
  /** The HTTP status, when there was a response. */
  status?: number;
  /** The GraphQL `errors` array, when there was one. */
  errors?: GraphQLErrorEntry[];
  /** Partial `data` that came with `errors`. */
  data?: unknown;
  /** REST: the orchestration details (STATE_REJECTED) or the server's validation detail. */
  details?: Record<string, unknown>;
}

export interface ClientOptions {
  /** The wire protocol: "graphql" (Prefect Server / Cloud 1.x, the default) or "rest" (Prefect 2/3). */
  api?: "graphql" | "rest";
  /** Default "http://127.0.0.1:4200" ("http://127.0.0.1:4200/api" with api: "rest": PREFECT_API_URL's value). */
  apiServer?: string;
  /** Default: apiServer (Prefect Server answers GraphQL at its root). */
  graphqlServer?: string;
  /** Bearer token: an API key or an access token. */
  token?: string;
  /** Sent as X-PREFECT-TENANT-ID when set. */
  tenantId?: string;
  headers?: Record<string, string>;
  /** Per attempt; default 15000. */
  timeoutMs?: number;
  /** Transient-failure retries; default 3. */
  retries?: number;
}

export interface GraphqlOptions {
  signal?: AbortSignal;
}

export interface LoginOptions {
  accountSlug?: string;
  accountId?: string;
}

/** An account the user can switch to. */
export interface Tenant {
  id: string;
  name: string;
  slug: string;
}

export interface FlowRunCreateOptions {
  parameters?: Record<string, unknown>;
  /** GraphQL: sent in the run's context as `parent_task_run_id`; REST: the run's `parent_task_run_id`. */
  parentTaskRunId?: string;
  context?: Record<string, unknown>;
  labels?: string[];
  scheduledStartTime?: string | Date;
  idempotencyKey?: string;
  name?: string;
  /** REST only: create the run from this deployment (`flowId` is then not sent and may be ""). */
  deploymentId?: string;
}

export interface FlowRunRunOptions {
  /** GraphQL only (REST: INVALID_ARGUMENT). */
  startTasks?: string[];
  /** GraphQL only (REST: INVALID_ARGUMENT). */
  inputs?: Record<string, unknown>;
}

export interface SetStateOptions {
  /** GraphQL: stored as a PrefectResult (its JSON text) and decoded back by getState. REST: the state's inline `data`. */
  result?: unknown;
  /** Write only if the run's current state type is exactly this one (else STATE_MISMATCH). REST: checked by a read first, best effort. */
  expectedState?: string;
  /** REST only: skip the server's orchestration rules (a forced write is never retried). */
  force?: boolean;
}

export interface WaitOptions {
  /** Also stop at these state types (a finished state always stops). */
  until?: string[];
  /** Between the starts of two reads; default 1000. */
  intervalMs?: number;
  /** Reject with TIMEOUT after this long; default: wait as long as it takes. */
  timeoutMs?: number;
  /** Reject with ABORTED when it fires. */
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Between the starts of two reads; default 1000. */
  intervalMs?: number;
  /** Stops the polling; the pending `next()` rejects with ABORTED. */
  signal?: AbortSignal;
}

/** A state type name such as "Running", or a state object. */
export type StateInput = string | { type: string; message?: string; [key: string]: unknown };

export interface RunState {
  /** The run's id. */
  id: string;
  /** e.g. "Scheduled", "Running", "Success" (REST: "COMPLETED"). */
  type: string;
  /** The display name: equals `type` on GraphQL (REST: "Completed", "Late"). */
  name: string;
  message: string | null;
  /** The decoded result value when the state carries one, else null. */
  result: unknown;
  /** The run's version after this state (null on REST). */
  version: number | null;
  timestamp: string | null;
  /** The state JSON exactly as the server holds it. */
  serializedState: Record<string, unknown>;
}

export interface RequestOptions {
  /** Sent as JSON (not with GET); `null`/`undefined` send no body. */
  body?: unknown;
  signal?: AbortSignal;
}

export interface Client {
  /** Resolves to the response's `data`; rejects with PrefectError. GraphQL clients only. */
  graphql<T = any>(query: string, variables?: Record<string, unknown> | null, options?: GraphqlOptions): Promise<T>;
  /** REST clients only (`api: "rest"`): `path` relative to apiServer; resolves the parsed JSON body. */
  request<T = any>(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, options?: RequestOptions): Promise<T>;
}
"#;
