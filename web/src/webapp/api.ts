import type { ConversationDetail, ConversationPublic, MessagePublic, UserInputForm } from "../api/agents";
import { ApiError, retryAfterOf } from "../api/client";

/** The app this page is for: /app/{token}, `?embed=1` inside the widget's iframe. */
export const appToken = decodeURIComponent(window.location.pathname.split("/")[2] ?? "");
export const embedded = new URLSearchParams(window.location.search).get("embed") === "1";
const base = `/app/${encodeURIComponent(appToken)}/api`;
const STORAGE_KEY = `hezi.visitor.${appToken}`;

/**
 * The visitor token inside the widget's iframe. On a page of another site over plain http the browser keeps no
 * cookie for the iframe (SameSite), and may deny it storage too (third-party storage blocked): so the iframe keeps
 * the token where it can, hands it to widget.js on the embedding page (only to that page's origin, which the app's
 * frame-ancestors allow), and gets it back in the URL's fragment, never sent to a server. It goes to the API in a
 * header. The full page relies on its HttpOnly cookie alone.
 */
const HASH_KEY = "hezi-visitor=";
let visitorToken: string | null = null;
if (embedded) {
  try {
    visitorToken = window.localStorage.getItem(STORAGE_KEY);
  } catch {
    visitorToken = null;
  }
  const hash = window.location.hash.slice(1);
  if (hash.startsWith(HASH_KEY)) {
    visitorToken ??= decodeURIComponent(hash.slice(HASH_KEY.length));
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
}

function embedder(): string | null {
  try {
    return window.parent !== window && document.referrer ? new URL(document.referrer).origin : null;
  } catch {
    return null;
  }
}

export function rememberVisitor(token: string | null | undefined): void {
  if (!embedded || !token) return;
  const parent = embedder();
  if (parent) window.parent.postMessage({ type: "hezi:visitor", token }, parent);
  if (token === visitorToken) return;
  visitorToken = token;
  try {
    window.localStorage.setItem(STORAGE_KEY, token);
  } catch {
    /* kept by the embedding page, or for this page only */
  }
}

export function headers(): Record<string, string> {
  const h: Record<string, string> = { "X-Requested-With": "hezi" };
  if (embedded) h["X-Hezi-Embed"] = "1";
  if (visitorToken) h["X-Hezi-Visitor"] = visitorToken;
  return h;
}

export const paths = {
  chat: `${base}/chat`,
  stop: (task: string) => `${base}/chat/${encodeURIComponent(task)}/stop`,
  conversations: `${base}/conversations`,
  conversation: (id: string) => `${base}/conversations/${encodeURIComponent(id)}`,
  feedback: (message: string) => `${base}/messages/${encodeURIComponent(message)}/feedback`,
};

/** One call to the web app's API (`path`: a name under /app/{token}/api, or a path from `paths`); throws an ApiError with the server's message. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path.startsWith("/") ? path : `${base}/${path}`, {
    method,
    credentials: "same-origin",
    headers: { ...headers(), ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    const err: unknown = await response.json().catch(() => undefined);
    throw new ApiError(response.status, err, retryAfterOf(response.headers.get("Retry-After")));
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

export type Needs = "password" | "sign_in" | "membership" | null;

/** What GET /api/app says: the app's face, and once in, what its chat needs. */
export interface AppInfo {
  name: string;
  icon: string;
  description: string;
  access: "public" | "password" | "workspace";
  needs: Needs;
  opening_statement?: string;
  suggested_questions?: string[];
  user_input_form?: UserInputForm;
  citations?: boolean;
  suggested_follow_ups?: boolean;
  signed_in?: boolean;
  visitor_token?: string | null;
}

export async function fetchApp(): Promise<AppInfo> {
  const info = await call<AppInfo>("GET", "app");
  rememberVisitor(info.visitor_token);
  return info;
}

export async function enterPassword(password: string): Promise<void> {
  const answer = await call<{ visitor_token?: string }>("POST", "password", { password });
  rememberVisitor(answer.visitor_token);
}

/** A workspace app: sign in with a hezi account (the console's own login sets the session cookie). */
export async function signIn(username: string, password: string): Promise<void> {
  const response = await fetch("/api/auth/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Requested-With": "hezi" },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) {
    const err: unknown = await response.json().catch(() => undefined);
    throw new ApiError(response.status, err, retryAfterOf(response.headers.get("Retry-After")));
  }
}

export const listConversations = () => call<{ data: ConversationPublic[]; has_more: boolean }>("GET", paths.conversations);
export const getConversation = (id: string) => call<ConversationDetail>("GET", paths.conversation(id));
export const renameConversation = (id: string, title: string) => call<ConversationPublic>("PATCH", paths.conversation(id), { title });
export const deleteConversation = (id: string) => call<void>("DELETE", paths.conversation(id));
export const rateMessage = (id: string, rating: "like" | "dislike" | null, comment?: string) =>
  call<MessagePublic>("POST", paths.feedback(id), comment ? { rating, comment } : { rating });
