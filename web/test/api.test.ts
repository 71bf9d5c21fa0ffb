import { describe, expect, it } from "vitest";
import { ApiError, createApi, describeError, parseRetryAfter } from "../src/api";

function respond(status: number, body: unknown, headers: Record<string, string> = {}): typeof fetch {
  return async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

const err = (code: string | null, message = "m") => ({ error: { message, type: "x", param: null, code } });

describe("errors", () => {
  it("parses Retry-After seconds and dates", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 1)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(60);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });

  it.each([
    [429, err("rate_limited"), { "Retry-After": "20" }, "rate_limited", /try again in 20 seconds/],
    [503, err("model_warming_up"), { "Retry-After": "120" }, "warming_up", /starting up.*in 2 minutes/],
    [503, err("no_model_deployed"), {}, "unavailable", /No model is deployed/],
    [401, err("unauthorized"), {}, "unauthorized", /sign in again/],
    [400, err(null, "messages is required"), {}, "bad_request", /messages is required/],
  ] as const)("HTTP %i becomes a readable error", async (status, body, headers, kind, text) => {
    const api = createApi({ baseUrl: "/v1", token: async () => null, fetchFn: respond(status, body, headers) });
    const error = await api.listModels().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).kind).toBe(kind);
    expect(describeError(error)).toMatch(text);
  });

  it("a failed fetch is a network error", async () => {
    const api = createApi({ baseUrl: "/v1", token: async () => null, fetchFn: async () => { throw new TypeError("Failed to fetch"); } });
    const error = await api.listConversations().catch((e: unknown) => e);
    expect((error as ApiError).kind).toBe("network");
  });
});

describe("requests", () => {
  it("sends the bearer token, JSON body and streaming flags", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchFn: typeof fetch = async (url, init) => {
      calls.push({ url: String(url), init: init ?? {} });
      return new Response("data: [DONE]\n\n", { status: 200, headers: { "X-Conversation-Id": "c-7" } });
    };
    const api = createApi({ baseUrl: "https://api.example.com/v1/", token: async () => "tok", fetchFn });
    const events = [];
    for await (const e of api.streamChat({ messages: [{ role: "user", content: "hi" }], conversation_id: "c-7" }, new AbortController().signal)) {
      events.push(e);
    }
    expect(events).toEqual([{ type: "meta", conversationId: "c-7" }, { type: "done" }]);
    expect(calls[0].url).toBe("https://api.example.com/v1/chat/completions");
    const headers = new Headers(calls[0].init.headers);
    expect(headers.get("Authorization")).toBe("Bearer tok");
    expect(JSON.parse(String(calls[0].init.body))).toMatchObject({ stream: true, conversation_id: "c-7" });
  });

  it("feedback posts completion id, rating and a trimmed comment", async () => {
    let sentBody: unknown;
    const fetchFn: typeof fetch = async (_url, init) => {
      sentBody = JSON.parse(String(init?.body));
      return new Response('{"status":"recorded"}', { status: 200 });
    };
    await createApi({ baseUrl: "/v1", token: async () => null, fetchFn }).sendFeedback("chatcmpl-1", "down", "  wrong  ");
    expect(sentBody).toEqual({ completion_id: "chatcmpl-1", rating: "down", comment: "wrong" });
  });
});
