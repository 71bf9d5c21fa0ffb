/**
 * Reader for the chat API's streaming responses: Server-Sent Events carrying OpenAI
 * `chat.completion.chunk` objects, a citations chunk (`choices: []` + `citations`), an optional
 * usage chunk, `data: {"error": ...}` on failure, and `data: [DONE]` at the end.
 *
 * SSE framing (line splitting across network chunks, CRLF, comments, multi-line `data:`) is done by
 * `eventsource-parser`, a small maintained parser; this module only interprets the payloads.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";

export interface Citation {
  source: string;
  title?: string;
  score?: number;
  snippet?: string;
}

export interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

export interface StreamErrorBody {
  message: string;
  type?: string;
  code?: string | null;
}

export type StreamEvent =
  | { type: "meta"; completionId?: string; conversationId?: string; model?: string }
  | { type: "delta"; content: string }
  | { type: "finish"; reason: string }
  | { type: "usage"; usage: Usage }
  | { type: "citations"; citations: Citation[] }
  | { type: "error"; error: StreamErrorBody }
  | { type: "done" };

/** The stream ended before `[DONE]` or an error event: the connection was lost mid-answer. */
export class StreamInterruptedError extends Error {
  constructor(message = "The connection was lost before the answer was complete.") {
    super(message);
    this.name = "StreamInterruptedError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asCitations(value: unknown): Citation[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).flatMap((c) =>
    typeof c.source === "string"
      ? [{
          source: c.source,
          title: typeof c.title === "string" ? c.title : undefined,
          score: typeof c.score === "number" ? c.score : undefined,
          snippet: typeof c.snippet === "string" ? c.snippet : undefined,
        }]
      : [],
  );
}

/** Interpret one SSE `data:` payload. Unknown or malformed payloads yield nothing (forward compatible). */
export function interpretData(data: string): StreamEvent[] {
  const text = data.trim();
  if (text === "[DONE]") return [{ type: "done" }];
  let chunk: unknown;
  try {
    chunk = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isRecord(chunk)) return [];
  if (isRecord(chunk.error)) {
    const e = chunk.error;
    return [{
      type: "error",
      error: {
        message: typeof e.message === "string" ? e.message : "The model failed to answer.",
        type: typeof e.type === "string" ? e.type : undefined,
        code: typeof e.code === "string" ? e.code : null,
      },
    }];
  }
  const events: StreamEvent[] = [];
  if (typeof chunk.id === "string" || typeof chunk.conversation_id === "string") {
    events.push({
      type: "meta",
      completionId: typeof chunk.id === "string" ? chunk.id : undefined,
      conversationId: typeof chunk.conversation_id === "string" ? chunk.conversation_id : undefined,
      model: typeof chunk.model === "string" ? chunk.model : undefined,
    });
  }
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  for (const choice of choices) {
    if (!isRecord(choice)) continue;
    const delta = isRecord(choice.delta) ? choice.delta : {};
    if (typeof delta.content === "string" && delta.content.length > 0) {
      events.push({ type: "delta", content: delta.content });
    }
    if (typeof choice.finish_reason === "string") {
      events.push({ type: "finish", reason: choice.finish_reason });
    }
  }
  if (Array.isArray(chunk.citations)) {
    events.push({ type: "citations", citations: asCitations(chunk.citations) });
  }
  if (isRecord(chunk.usage)) {
    events.push({ type: "usage", usage: chunk.usage as Usage });
  }
  return events;
}

/**
 * Yield the events of a streaming chat response body until `[DONE]` or an error event.
 * Throws {@link StreamInterruptedError} when the body ends (or the network fails) first; an abort
 * (Stop button) surfaces as the fetch `AbortError` from the reader.
 */
export async function* readChatStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: StreamEvent[] = [];
  const parser = createParser({
    onEvent(message: EventSourceMessage) {
      // Named events other than the default "message" are not part of the contract: ignore them.
      if (message.event && message.event !== "message") return;
      queue.push(...interpretData(message.data));
    },
  });
  let finished = false;
  try {
    while (!finished) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (err) {
        if (err instanceof DOMException && err.name === "AbortError") throw err;
        throw new StreamInterruptedError();
      }
      if (result.done) {
        parser.feed(decoder.decode());
        parser.feed("\n\n");
      } else {
        parser.feed(decoder.decode(result.value, { stream: true }));
      }
      while (queue.length > 0) {
        const event = queue.shift() as StreamEvent;
        yield event;
        if (event.type === "done" || event.type === "error") {
          finished = true;
          break;
        }
      }
      if (result.done && !finished) throw new StreamInterruptedError();
    }
  } finally {
    if (finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
