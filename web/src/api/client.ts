import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type UserPublic = Schemas["UserPublic"];
export type WorkspaceRef = Schemas["WorkspaceRef"];
export type Me = Schemas["Me"];
export type WorkspacePublic = Schemas["WorkspacePublic"];
export type MemberPublic = Schemas["MemberPublic"];
export type ApiKeyPublic = Schemas["ApiKeyPublic"];
export type ApiKeyCreated = Schemas["ApiKeyCreated"];
export type AuditEntryPublic = Schemas["AuditEntryPublic"];
export type Role = WorkspaceRef["role"];
export type ModelPublic = Schemas["ModelPublic"];
export type DeploymentPublic = Schemas["DeploymentPublic"];
export type DeploymentSpec = Schemas["DeploymentSpec"];
export type KnowledgeBasePublic = Schemas["KnowledgeBasePublic"];
export type DocumentPublic = Schemas["DocumentPublic"];
export type RetrievedChunk = Schemas["RetrievedChunk"];
export type RetrieveMode = Schemas["RetrieveRequest"]["mode"];

/** The header the server's CSRF guard wants on every cookie-authenticated write. */
export const CSRF_HEADER = { "X-Requested-With": "hezi" } as const;

/** The one error shape every hezi endpoint answers with (docs/console-api-contract.md). */
export interface ErrorBody {
  error?: { code?: string; message?: string; details?: unknown };
  detail?: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** Seconds from a `Retry-After` header (429), when the server sent one. */
  readonly retryAfter: number | null;

  constructor(status: number, body: unknown, retryAfter: number | null) {
    const err = (body as ErrorBody | undefined)?.error;
    super(err?.message ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = err?.code ?? "http_error";
    this.details = err?.details ?? null;
    this.retryAfter = retryAfter;
  }
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => {
  if (window.location.pathname !== "/login") window.location.assign("/login");
};

/** The router installs a handler that navigates to /login without a full reload. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** For requests made without `api` (uploads, streams): a 401 means the session is gone. */
export function reportUnauthorized(): void {
  onUnauthorized();
}

// A wrong password is a 401 too: the login form shows that error itself.
const NO_REDIRECT_ON_401 = ["/api/auth/login"];

const heziMiddleware: Middleware = {
  onRequest({ request }) {
    // The server refuses cookie-authenticated writes without this header (CSRF guard).
    for (const [name, value] of Object.entries(CSRF_HEADER)) request.headers.set(name, value);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401) {
      const path = new URL(request.url, window.location.origin).pathname;
      if (!NO_REDIRECT_ON_401.includes(path)) onUnauthorized();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(heziMiddleware);

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The `Retry-After` seconds of a response, when it has a plain number there. */
export function retryAfterOf(header: string | null): number | null {
  return header !== null && /^\d+$/.test(header) ? Number(header) : null;
}

/** Returns the body of a successful call, or throws an ApiError carrying the server's message. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) {
    throw new ApiError(response.status, error, retryAfterOf(response.headers.get("Retry-After")));
  }
  return data as T;
}
