/** Client for the chat API (`/v1`): OpenAI-shaped errors become {@link ApiError} with a kind people can act on. */
import { readChatStream, type StreamEvent } from "./sse";

export type ErrorKind = "rate_limited" | "warming_up" | "unavailable" | "unauthorized" | "network" | "bad_request" | "other";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: ErrorKind,
    readonly status: number,
    readonly code: string | null = null,
    /** Seconds until a retry makes sense (from Retry-After), when the server said. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** Parse a Retry-After header: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function kindOf(status: number, code: string | null): ErrorKind {
  if (status === 401) return "unauthorized";
  if (status === 429) return "rate_limited";
  if (status === 503 && code === "model_warming_up") return "warming_up";
  if (status === 503) return "unavailable";
  if (status >= 400 && status < 500) return "bad_request";
  return "other";
}

function waitText(seconds: number | null): string {
  if (seconds === null) return "in a moment";
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** A sentence a person understands, for any error the app shows. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    switch (error.kind) {
      case "rate_limited":
        return `Too many requests. Please try again ${waitText(error.retryAfterSeconds)}.`;
      case "warming_up":
        return `The model is starting up (it scales to zero when idle). Please try again ${waitText(error.retryAfterSeconds)}.`;
      case "unavailable":
        return error.code === "no_model_deployed"
          ? "No model is deployed yet. Ask your administrator to deploy one."
          : `The service is unavailable. Please try again ${waitText(error.retryAfterSeconds)}.`;
      case "unauthorized":
        return "Your session has expired. Please sign in again.";
      case "network":
        return "The network connection was lost. Check your connection and retry.";
      case "bad_request":
        return `The request was refused: ${error.message}`;
      default:
        return `Something went wrong on the server (${error.status}). Please retry.`;
    }
  }
  if (error instanceof Error && error.name === "StreamInterruptedError") {
    return "The connection was lost before the answer was complete. The partial answer is kept; you can retry.";
  }
  return error instanceof Error ? error.message : String(error);
}

async function errorFrom(response: Response): Promise<ApiError> {
  let message = response.statusText || `HTTP ${response.status}`;
  let code: string | null = null;
  try {
    const body = (await response.json()) as { error?: { message?: unknown; code?: unknown } };
    if (body?.error) {
      if (typeof body.error.message === "string") message = body.error.message;
      if (typeof body.error.code === "string") code = body.error.code;
    }
  } catch {
    // not JSON: keep the status text
  }
  return new ApiError(
    message,
    kindOf(response.status, code),
    response.status,
    code,
    parseRetryAfter(response.headers.get("Retry-After")),
  );
}

export interface Model {
  id: string;
  owned_by?: string;
}

export interface ConversationSummary {
  id: string;
  title: string;
  created_at?: string | number;
  updated_at?: string | number;
}

export interface StoredMessage {
  role: "system" | "user" | "assistant";
  content: string;
  completion_id?: string;
}

export interface Conversation extends ConversationSummary {
  messages: StoredMessage[];
}

export interface ChatRequest {
  model?: string;
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  temperature?: number;
  max_tokens?: number;
  conversation_id?: string;
}

export interface ChatApi {
  listModels(): Promise<Model[]>;
  listConversations(): Promise<ConversationSummary[]>;
  getConversation(id: string): Promise<Conversation>;
  renameConversation(id: string, title: string): Promise<ConversationSummary>;
  deleteConversation(id: string): Promise<void>;
  sendFeedback(completionId: string, rating: "up" | "down", comment?: string): Promise<void>;
  streamChat(request: ChatRequest, signal: AbortSignal): AsyncGenerator<StreamEvent>;
}

export interface ApiOptions {
  baseUrl: string;
  /** Bearer token for each request (null: send none, e.g. locally). */
  token: () => Promise<string | null>;
  fetchFn?: typeof fetch;
}

export function createApi({ baseUrl, token, fetchFn = (...a) => fetch(...a) }: ApiOptions): ChatApi {
  const base = baseUrl.replace(/\/+$/, "");

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const bearer = await token();
    if (bearer) headers.set("Authorization", `Bearer ${bearer}`);
    if (init.body) headers.set("Content-Type", "application/json");
    let response: Response;
    try {
      response = await fetchFn(`${base}${path}`, { ...init, headers });
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw new ApiError("network error", "network", 0);
    }
    if (!response.ok) throw await errorFrom(response);
    return response;
  }

  async function json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await request(path, init)).json()) as T;
  }

  return {
    async listModels() {
      return (await json<{ data: Model[] }>("/models")).data ?? [];
    },
    async listConversations() {
      return (await json<{ data: ConversationSummary[] }>("/conversations")).data ?? [];
    },
    getConversation(id) {
      return json<Conversation>(`/conversations/${encodeURIComponent(id)}`);
    },
    renameConversation(id, title) {
      return json<ConversationSummary>(`/conversations/${encodeURIComponent(id)}`, {
        method: "PATCH",
        body: JSON.stringify({ title }),
      });
    },
    async deleteConversation(id) {
      await request(`/conversations/${encodeURIComponent(id)}`, { method: "DELETE" });
    },
    async sendFeedback(completionId, rating, comment) {
      const body: Record<string, string> = { completion_id: completionId, rating };
      if (comment && comment.trim()) body.comment = comment.trim();
      await request("/feedback", { method: "POST", body: JSON.stringify(body) });
    },
    async *streamChat(chat, signal) {
      const response = await request("/chat/completions", {
        method: "POST",
        body: JSON.stringify({ ...chat, stream: true, stream_options: { include_usage: true } }),
        headers: { Accept: "text/event-stream" },
        signal,
      });
      if (!response.body) throw new ApiError("empty response", "other", response.status);
      const conversationId = response.headers.get("X-Conversation-Id");
      if (conversationId) yield { type: "meta", conversationId };
      yield* readChatStream(response.body);
    },
  };
}
