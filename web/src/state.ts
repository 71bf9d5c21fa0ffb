/** The chat view's state and its reducer (pure: every transition is unit-tested). */
import type { StoredMessage } from "./api";
import type { Citation, StreamEvent } from "./sse";

export type MessageStatus = "done" | "streaming" | "stopped" | "interrupted" | "error";

export interface ChatMessage {
  localId: string;
  role: "user" | "assistant";
  content: string;
  status: MessageStatus;
  completionId?: string;
  citations?: Citation[];
  /** A sentence for the person, when the answer failed or was cut off. */
  error?: string;
  feedback?: "up" | "down";
}

export interface ChatState {
  conversationId: string | null;
  messages: ChatMessage[];
  /** localId of the answer being streamed, if any. */
  streamingId: string | null;
}

export type ChatAction =
  | { type: "new_chat" }
  | { type: "load"; conversationId: string; messages: StoredMessage[] }
  | { type: "send"; userId: string; assistantId: string; content: string }
  | { type: "stream"; event: StreamEvent }
  | { type: "stopped" }
  | { type: "failed"; error: string; interrupted: boolean }
  | { type: "retry"; assistantId: string }
  | { type: "feedback"; localId: string; rating: "up" | "down" };

export const initialState: ChatState = { conversationId: null, messages: [], streamingId: null };

function updateStreaming(state: ChatState, update: (m: ChatMessage) => ChatMessage): ChatState {
  if (!state.streamingId) return state;
  return { ...state, messages: state.messages.map((m) => (m.localId === state.streamingId ? update(m) : m)) };
}

function endStreaming(state: ChatState, update: (m: ChatMessage) => ChatMessage): ChatState {
  return { ...updateStreaming(state, update), streamingId: null };
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case "new_chat":
      return initialState;
    case "load":
      return {
        conversationId: action.conversationId,
        streamingId: null,
        messages: action.messages
          .filter((m) => m.role === "user" || m.role === "assistant")
          .map((m, i) => ({
            localId: `${action.conversationId}-${i}`,
            role: m.role as "user" | "assistant",
            content: m.content,
            status: "done",
            completionId: m.completion_id,
          })),
      };
    case "send":
      if (state.streamingId) return state;
      return {
        ...state,
        streamingId: action.assistantId,
        messages: [
          ...state.messages,
          { localId: action.userId, role: "user", content: action.content, status: "done" },
          { localId: action.assistantId, role: "assistant", content: "", status: "streaming" },
        ],
      };
    case "retry": {
      // Drop the failed answer (and keep the question): the caller streams a new answer into assistantId.
      if (state.streamingId) return state;
      const last = state.messages[state.messages.length - 1];
      if (!last || last.role !== "assistant" || last.status === "done") return state;
      return {
        ...state,
        streamingId: action.assistantId,
        messages: [
          ...state.messages.slice(0, -1),
          { localId: action.assistantId, role: "assistant", content: "", status: "streaming" },
        ],
      };
    }
    case "stream": {
      const event = action.event;
      switch (event.type) {
        case "meta": {
          const withConversation = event.conversationId ? { ...state, conversationId: event.conversationId } : state;
          return event.completionId
            ? updateStreaming(withConversation, (m) => ({ ...m, completionId: event.completionId }))
            : withConversation;
        }
        case "delta":
          return updateStreaming(state, (m) => ({ ...m, content: m.content + event.content }));
        case "citations":
          return updateStreaming(state, (m) => ({ ...m, citations: event.citations }));
        case "error":
          return endStreaming(state, (m) => ({ ...m, status: "error", error: event.error.message }));
        case "done":
          return endStreaming(state, (m) => ({ ...m, status: "done" }));
        default:
          return state;
      }
    }
    case "stopped":
      return endStreaming(state, (m) => ({ ...m, status: "stopped" }));
    case "failed":
      return endStreaming(state, (m) => ({
        ...m,
        status: action.interrupted ? "interrupted" : "error",
        error: action.error,
      }));
    case "feedback":
      return {
        ...state,
        messages: state.messages.map((m) => (m.localId === action.localId ? { ...m, feedback: action.rating } : m)),
      };
    default:
      return state;
  }
}

/** The OpenAI `messages` to send: the visible history of completed turns (failed/empty answers left out). */
export function historyForRequest(messages: ChatMessage[]): { role: "user" | "assistant"; content: string }[] {
  return messages
    .filter((m) => m.content.length > 0 && (m.role === "user" || m.status === "done" || m.status === "stopped"))
    .map((m) => ({ role: m.role, content: m.content }));
}
