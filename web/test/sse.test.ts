import { describe, expect, it } from "vitest";
import { interpretData, readChatStream, StreamInterruptedError, type StreamEvent } from "../src/sse";

function chunk(content: string | null, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    conversation_id: "conv-1",
    model: "m",
    choices: content === null ? [] : [{ index: 0, delta: { content }, finish_reason: null }],
    ...extra,
  });
}

/** A body that delivers `parts` as separate network reads (split anywhere, even mid-line or mid-character). */
function body(parts: (string | Uint8Array)[], { fail = false } = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) {
        const part = parts[i++];
        controller.enqueue(typeof part === "string" ? encoder.encode(part) : part);
      } else if (fail) {
        controller.error(new TypeError("network error"));
      } else {
        controller.close();
      }
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const e of readChatStream(stream)) events.push(e);
  return events;
}

const text = (events: StreamEvent[]) =>
  events.flatMap((e) => (e.type === "delta" ? [e.content] : [])).join("");

describe("interpretData", () => {
  it("reads id, conversation and content of a chunk", () => {
    expect(interpretData(chunk("Hel"))).toEqual([
      { type: "meta", completionId: "chatcmpl-1", conversationId: "conv-1", model: "m" },
      { type: "delta", content: "Hel" },
    ]);
  });

  it("reports finish reasons, usage and citations", () => {
    const finish = JSON.stringify({ id: "c", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    expect(interpretData(finish)).toContainEqual({ type: "finish", reason: "stop" });
    const usage = JSON.stringify({ id: "c", choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
    expect(interpretData(usage)).toContainEqual({ type: "usage", usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
    const cites = chunk(null, { citations: [{ source: "s3://docs/a.md", title: "A", score: 0.9, snippet: "x" }, { bad: 1 }] });
    expect(interpretData(cites)).toContainEqual({
      type: "citations",
      citations: [{ source: "s3://docs/a.md", title: "A", score: 0.9, snippet: "x" }],
    });
  });

  it("turns [DONE] and error payloads into terminal events and ignores garbage", () => {
    expect(interpretData("[DONE]")).toEqual([{ type: "done" }]);
    expect(interpretData('{"error":{"message":"boom","type":"server_error","code":"backend_failed"}}')).toEqual([
      { type: "error", error: { message: "boom", type: "server_error", code: "backend_failed" } },
    ]);
    expect(interpretData("not json")).toEqual([]);
    expect(interpretData("[1,2]")).toEqual([]);
  });
});

describe("readChatStream", () => {
  it("assembles events split across reads, including mid-line and mid-UTF-8 splits", async () => {
    const euro = new TextEncoder().encode(`data: ${chunk("5 €")}\n\n`);
    const cut = euro.length - 6; // inside the JSON after the multi-byte character
    const events = await collect(
      body([`data: ${chunk("Hel")}\n`, `\ndata: ${chunk("lo")}\r\n\r\n: keep-alive comment\n\n`, euro.slice(0, cut), euro.slice(cut), "data: [DONE]\n\n"]),
    );
    expect(text(events)).toBe("Hello5 €");
    expect(events.at(-1)).toEqual({ type: "done" });
  });

  it("stops at [DONE] and ignores anything after it", async () => {
    const events = await collect(body([`data: ${chunk("a")}\n\ndata: [DONE]\n\ndata: ${chunk("late")}\n\n`]));
    expect(text(events)).toBe("a");
  });

  it("ends with an error event mid-stream and keeps the partial text before it", async () => {
    const events = await collect(body([`data: ${chunk("part")}\n\n`, 'data: {"error":{"message":"model failed"}}\n\n']));
    expect(text(events)).toBe("part");
    expect(events.at(-1)).toMatchObject({ type: "error", error: { message: "model failed" } });
  });

  it("delivers the citations chunk before [DONE]", async () => {
    const events = await collect(
      body([`data: ${chunk("x")}\n\n`, `data: ${chunk(null, { citations: [{ source: "https://e.com/a", title: "A" }] })}\n\n`, "data: [DONE]\n\n"]),
    );
    expect(events).toContainEqual({ type: "citations", citations: [{ source: "https://e.com/a", title: "A", score: undefined, snippet: undefined }] });
  });

  it("throws StreamInterruptedError when the body ends before [DONE]", async () => {
    const events: StreamEvent[] = [];
    await expect(async () => {
      for await (const e of readChatStream(body([`data: ${chunk("partial")}\n\n`]))) events.push(e);
    }).rejects.toBeInstanceOf(StreamInterruptedError);
    expect(text(events)).toBe("partial");
  });

  it("throws StreamInterruptedError when the network fails mid-stream", async () => {
    await expect(collect(body([`data: ${chunk("a")}\n\n`], { fail: true }))).rejects.toBeInstanceOf(StreamInterruptedError);
  });

  it("handles a final event without a trailing blank line", async () => {
    const events = await collect(body([`data: ${chunk("a")}\n\ndata: [DONE]`]));
    expect(events.at(-1)).toEqual({ type: "done" });
  });
});
