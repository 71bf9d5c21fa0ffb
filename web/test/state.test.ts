import { describe, expect, it } from "vitest";
import { chatReducer, historyForRequest, initialState, type ChatState } from "../src/state";

const sent = chatReducer(initialState, { type: "send", userId: "u1", assistantId: "a1", content: "Hi" });

function stream(state: ChatState, ...contents: string[]): ChatState {
  return contents.reduce((s, content) => chatReducer(s, { type: "stream", event: { type: "delta", content } }), state);
}

describe("chatReducer", () => {
  it("send adds the question and a streaming placeholder", () => {
    expect(sent.streamingId).toBe("a1");
    expect(sent.messages.map((m) => [m.role, m.content, m.status])).toEqual([
      ["user", "Hi", "done"],
      ["assistant", "", "streaming"],
    ]);
  });

  it("refuses a second send while an answer streams", () => {
    expect(chatReducer(sent, { type: "send", userId: "u2", assistantId: "a2", content: "again" })).toBe(sent);
  });

  it("grows the answer with each delta and records ids from meta", () => {
    let s = chatReducer(sent, { type: "stream", event: { type: "meta", completionId: "chatcmpl-9", conversationId: "c-1" } });
    s = stream(s, "Hel", "lo");
    expect(s.conversationId).toBe("c-1");
    expect(s.messages[1]).toMatchObject({ content: "Hello", completionId: "chatcmpl-9", status: "streaming" });
    s = chatReducer(s, { type: "stream", event: { type: "done" } });
    expect(s.streamingId).toBeNull();
    expect(s.messages[1].status).toBe("done");
  });

  it("attaches citations to the answer", () => {
    const s = chatReducer(sent, { type: "stream", event: { type: "citations", citations: [{ source: "a" }] } });
    expect(s.messages[1].citations).toEqual([{ source: "a" }]);
  });

  it("stop keeps the partial answer and ends streaming", () => {
    const s = chatReducer(stream(sent, "partial"), { type: "stopped" });
    expect(s.streamingId).toBeNull();
    expect(s.messages[1]).toMatchObject({ content: "partial", status: "stopped" });
  });

  it("an interrupted stream keeps the partial answer with an error; retry replaces it", () => {
    let s = chatReducer(stream(sent, "part"), { type: "failed", error: "lost", interrupted: true });
    expect(s.messages[1]).toMatchObject({ content: "part", status: "interrupted", error: "lost" });
    s = chatReducer(s, { type: "retry", assistantId: "a2" });
    expect(s.streamingId).toBe("a2");
    expect(s.messages).toHaveLength(2);
    expect(s.messages[1]).toMatchObject({ localId: "a2", content: "", status: "streaming" });
  });

  it("retry does nothing when the last answer completed", () => {
    const done = chatReducer(stream(sent, "ok"), { type: "stream", event: { type: "done" } });
    expect(chatReducer(done, { type: "retry", assistantId: "a2" })).toBe(done);
  });

  it("an error event ends the answer with the server's message", () => {
    const s = chatReducer(stream(sent, "x"), { type: "stream", event: { type: "error", error: { message: "boom" } } });
    expect(s.messages[1]).toMatchObject({ status: "error", error: "boom", content: "x" });
    expect(s.streamingId).toBeNull();
  });

  it("events after the stream ended change nothing", () => {
    const done = chatReducer(stream(sent, "ok"), { type: "stream", event: { type: "done" } });
    expect(stream(done, "late")).toBe(done);
  });

  it("load replaces the view with a stored conversation; new_chat clears it", () => {
    const s = chatReducer(sent, {
      type: "load",
      conversationId: "c-2",
      messages: [
        { role: "system", content: "sys" },
        { role: "user", content: "[NAME] asked" },
        { role: "assistant", content: "answer", completion_id: "chatcmpl-2" },
      ],
    });
    expect(s.conversationId).toBe("c-2");
    expect(s.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
    expect(s.messages[1].completionId).toBe("chatcmpl-2");
    expect(chatReducer(s, { type: "new_chat" })).toEqual(initialState);
  });

  it("feedback marks the rated answer", () => {
    const s = chatReducer(sent, { type: "feedback", localId: "a1", rating: "down" });
    expect(s.messages[1].feedback).toBe("down");
  });
});

describe("historyForRequest", () => {
  it("sends completed turns and leaves out failed or empty answers", () => {
    let s = chatReducer(stream(sent, "first"), { type: "stream", event: { type: "done" } });
    s = chatReducer(s, { type: "send", userId: "u2", assistantId: "a2", content: "second" });
    s = chatReducer(s, { type: "failed", error: "x", interrupted: false });
    expect(historyForRequest(s.messages)).toEqual([
      { role: "user", content: "Hi" },
      { role: "assistant", content: "first" },
      { role: "user", content: "second" },
    ]);
  });
});
