import { useCallback, useEffect, useMemo, useReducer, useRef, useState, type ReactNode } from "react";
import { ApiError, createApi, describeError, type ChatApi, type ConversationSummary, type Model } from "./api";
import { CognitoAuth } from "./auth";
import { loadConfig, type AppConfig } from "./config";
import { MessageView } from "./MessageView";
import { ConversationList } from "./ConversationList";
import { SettingsPanel, loadSettings, saveSettings, type Settings } from "./Settings";
import { chatReducer, historyForRequest, initialState } from "./state";

let idCounter = 0;
function localId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${Date.now().toString(36)}-${idCounter}`;
}

type Boot =
  | { phase: "loading" }
  | { phase: "failed"; message: string }
  | { phase: "signed-out"; config: AppConfig; auth: CognitoAuth; message?: string }
  | { phase: "ready"; config: AppConfig; auth: CognitoAuth | null };

/** Loads /config.json, finishes an OAuth callback, then shows the sign-in page or the chat. */
export function Root() {
  const [boot, setBoot] = useState<Boot>({ phase: "loading" });

  useEffect(() => {
    let cancelled = false;
    (async () => {
      try {
        const config = await loadConfig();
        if (!config.auth) {
          if (!cancelled) setBoot({ phase: "ready", config, auth: null });
          return;
        }
        const auth = new CognitoAuth(config.auth);
        try {
          const returnTo = await auth.handleCallback(new URL(window.location.href));
          if (returnTo !== null) window.history.replaceState(null, "", returnTo);
        } catch (err) {
          if (!cancelled) setBoot({ phase: "signed-out", config, auth, message: describeError(err) });
          window.history.replaceState(null, "", "/");
          return;
        }
        const signedIn = auth.isSignedIn() && (await auth.bearerToken()) !== null;
        if (!cancelled) setBoot(signedIn ? { phase: "ready", config, auth } : { phase: "signed-out", config, auth });
      } catch (err) {
        if (!cancelled) setBoot({ phase: "failed", message: describeError(err) });
      }
    })();
    return () => {
      cancelled = true;
    };
  }, []);

  switch (boot.phase) {
    case "loading":
      return <p className="boot" role="status">Loading…</p>;
    case "failed":
      return (
        <main className="boot">
          <h1>The chat could not start</h1>
          <p role="alert">{boot.message}</p>
        </main>
      );
    case "signed-out":
      return (
        <main className="boot">
          <h1>LLM chat</h1>
          {boot.message && <p role="alert">{boot.message}</p>}
          <p>Sign in with your organisation account to start chatting.</p>
          <button type="button" className="primary" onClick={() => void boot.auth.signIn()}>
            Sign in
          </button>
        </main>
      );
    case "ready":
      return <ChatApp config={boot.config} auth={boot.auth} />;
  }
}

function ChatApp({ config, auth }: { config: AppConfig; auth: CognitoAuth | null }) {
  const [sessionExpired, setSessionExpired] = useState(false);
  const api: ChatApi = useMemo(
    () =>
      createApi({
        baseUrl: config.apiBaseUrl,
        token: async () => {
          if (!auth) return null;
          const token = await auth.bearerToken();
          if (!token) setSessionExpired(true);
          return token;
        },
      }),
    [config, auth],
  );
  const [state, dispatch] = useReducer(chatReducer, initialState);
  const stateRef = useRef(state);
  stateRef.current = state;
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [models, setModels] = useState<Model[]>([]);
  const [settings, setSettings] = useState<Settings>(loadSettings);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [banner, setBanner] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const [draft, setDraft] = useState("");
  const abortRef = useRef<AbortController | null>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const endRef = useRef<HTMLDivElement>(null);

  const handleError = useCallback((err: unknown) => {
    if (err instanceof ApiError && err.kind === "unauthorized") setSessionExpired(true);
    setBanner(describeError(err));
  }, []);

  const refreshConversations = useCallback(async () => {
    try {
      setConversations(await api.listConversations());
    } catch (err) {
      handleError(err);
    }
  }, [api, handleError]);

  useEffect(() => {
    void refreshConversations();
    api
      .listModels()
      .then(setModels)
      .catch(handleError);
  }, [api, refreshConversations, handleError]);

  useEffect(() => saveSettings(settings), [settings]);

  useEffect(() => {
    endRef.current?.scrollIntoView({ block: "end" });
  }, [state.messages]);

  const stream = useCallback(
    async () => {
      const controller = new AbortController();
      abortRef.current = controller;
      setBanner(null);
      setAnnouncement("Answering…");
      const current = stateRef.current;
      try {
        const events = api.streamChat(
          {
            model: settings.model || undefined,
            temperature: settings.temperature,
            max_tokens: settings.maxTokens,
            messages: historyForRequest(current.messages),
            conversation_id: current.conversationId ?? undefined,
          },
          controller.signal,
        );
        for await (const event of events) {
          dispatch({ type: "stream", event });
          if (event.type === "error") setAnnouncement("The answer failed.");
          if (event.type === "done") setAnnouncement("Answer complete.");
        }
      } catch (err) {
        if (controller.signal.aborted) {
          dispatch({ type: "stopped" });
          setAnnouncement("Stopped.");
        } else {
          if (err instanceof ApiError && err.kind === "unauthorized") setSessionExpired(true);
          const interrupted = !(err instanceof ApiError);
          dispatch({ type: "failed", error: describeError(err), interrupted });
          setAnnouncement(describeError(err));
        }
      } finally {
        abortRef.current = null;
        void refreshConversations();
      }
    },
    [api, settings, refreshConversations],
  );

  // Start streaming once the reducer has the new placeholder (so the request sees the new history).
  const pendingStream = useRef<string | null>(null);
  useEffect(() => {
    const id = pendingStream.current;
    if (id && state.streamingId === id) {
      pendingStream.current = null;
      void stream();
    }
  }, [state.streamingId, stream]);

  const send = () => {
    const content = draft.trim();
    if (!content || state.streamingId) return;
    const assistantId = localId("a");
    pendingStream.current = assistantId;
    dispatch({ type: "send", userId: localId("u"), assistantId, content });
    setDraft("");
  };

  const retry = () => {
    const assistantId = localId("a");
    pendingStream.current = assistantId;
    dispatch({ type: "retry", assistantId });
  };

  const stop = () => abortRef.current?.abort();

  const newChat = () => {
    abortRef.current?.abort();
    dispatch({ type: "new_chat" });
    setBanner(null);
    setSidebarOpen(false);
    inputRef.current?.focus();
  };

  const openConversation = async (id: string) => {
    abortRef.current?.abort();
    try {
      const conversation = await api.getConversation(id);
      dispatch({ type: "load", conversationId: conversation.id, messages: conversation.messages });
      setBanner(null);
      setSidebarOpen(false);
      inputRef.current?.focus();
    } catch (err) {
      handleError(err);
    }
  };

  const renameConversation = async (id: string, title: string) => {
    try {
      await api.renameConversation(id, title);
      await refreshConversations();
    } catch (err) {
      handleError(err);
    }
  };

  const deleteConversation = async (id: string) => {
    try {
      await api.deleteConversation(id);
      if (stateRef.current.conversationId === id) dispatch({ type: "new_chat" });
      await refreshConversations();
    } catch (err) {
      handleError(err);
    }
  };

  const sendFeedback = async (localMessageId: string, completionId: string, rating: "up" | "down", comment: string) => {
    await api.sendFeedback(completionId, rating, comment);
    dispatch({ type: "feedback", localId: localMessageId, rating });
    setAnnouncement("Thank you for your feedback.");
  };

  useEffect(() => {
    if (!sidebarOpen) return;
    const close = (e: KeyboardEvent) => e.key === "Escape" && setSidebarOpen(false);
    window.addEventListener("keydown", close);
    return () => window.removeEventListener("keydown", close);
  }, [sidebarOpen]);

  const streaming = state.streamingId !== null;
  const last = state.messages[state.messages.length - 1];

  return (
    <div className={`layout${sidebarOpen ? " sidebar-open" : ""}`}>
      <header className="topbar">
        <ToggleButton className="menu-toggle" controls="sidebar" open={sidebarOpen} setOpen={setSidebarOpen}>
          Conversations
        </ToggleButton>
        <h1>LLM chat</h1>
        <div className="topbar-actions">
          <ToggleButton controls="settings" open={settingsOpen} setOpen={setSettingsOpen}>
            Settings
          </ToggleButton>
          {auth && (
            <button type="button" onClick={() => auth.signOut()}>
              Sign out
            </button>
          )}
        </div>
      </header>

      <nav id="sidebar" className="sidebar" aria-label="Conversations">
        <button type="button" className="primary new-chat" onClick={newChat}>
          New chat
        </button>
        <ConversationList
          conversations={conversations}
          activeId={state.conversationId}
          onOpen={openConversation}
          onRename={renameConversation}
          onDelete={deleteConversation}
        />
      </nav>

      <main className="chat" aria-label="Chat">
        {settingsOpen && (
          <SettingsPanel id="settings" settings={settings} models={models} onChange={setSettings} />
        )}
        <p className="privacy-notice">
          Conversations are stored with personal data redacted, and may be reviewed to improve the model.
        </p>
        {sessionExpired && auth && (
          <div className="banner" role="alert">
            Your session has expired.{" "}
            <button type="button" onClick={() => void auth.signIn()}>
              Sign in again
            </button>
          </div>
        )}
        {banner && !sessionExpired && (
          <div className="banner" role="alert">
            {banner}{" "}
            <button type="button" onClick={() => setBanner(null)}>
              Dismiss
            </button>
          </div>
        )}
        <section className="messages" aria-label="Messages">
          {state.messages.length === 0 && <p className="empty">Ask anything to start a conversation.</p>}
          {state.messages.map((m) => (
            <MessageView
              key={m.localId}
              message={m}
              canRetry={!streaming && m === last && m.role === "assistant" && m.status !== "done"}
              onRetry={retry}
              onFeedback={sendFeedback}
            />
          ))}
          <div ref={endRef} />
        </section>
        <div className="visually-hidden" role="status" aria-live="polite">
          {announcement}
        </div>
        <form
          className="composer"
          onSubmit={(e) => {
            e.preventDefault();
            send();
          }}
        >
          <label htmlFor="message" className="visually-hidden">
            Message
          </label>
          <textarea
            id="message"
            ref={inputRef}
            rows={2}
            value={draft}
            placeholder="Ask anything (Enter sends, Shift+Enter adds a line)"
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
                e.preventDefault();
                send();
              }
            }}
          />
          {streaming ? (
            <button type="button" className="stop" onClick={stop}>
              Stop
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!draft.trim()}>
              Send
            </button>
          )}
        </form>
      </main>
    </div>
  );
}

/** A button that shows or hides the element `controls` (its state in `aria-expanded`). */
function ToggleButton({
  controls,
  open,
  setOpen,
  className,
  children,
}: {
  controls: string;
  open: boolean;
  setOpen: (update: (open: boolean) => boolean) => void;
  className?: string;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={className}
      aria-expanded={open}
      aria-controls={controls}
      onClick={() => setOpen((o) => !o)}
    >
      {children}
    </button>
  );
}
