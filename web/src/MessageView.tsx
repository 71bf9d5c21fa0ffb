import { memo, useMemo, useState } from "react";
import { describeError } from "./api";
import { renderMarkdown, SAFE_URL } from "./markdown";
import type { ChatMessage } from "./state";

interface Props {
  message: ChatMessage;
  canRetry: boolean;
  onRetry: () => void;
  onFeedback: (localId: string, completionId: string, rating: "up" | "down", comment: string) => Promise<void>;
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function Thumb({ up }: { up: boolean }) {
  return (
    <svg className="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">
      <path
        transform={up ? undefined : "rotate(180 12 12)"}
        d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6c-.4.4-.6.9-.6 1.4v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"
        fill="currentColor"
      />
    </svg>
  );
}

const Markdown = memo(function Markdown({ text }: { text: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  // Sanitized by renderMarkdown (marked with raw HTML escaped, then DOMPurify with an allowlist).
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
});

export function MessageView({ message, canRetry, onRetry, onFeedback }: Props) {
  const [copied, setCopied] = useState<string>("");
  const [rating, setRating] = useState<"up" | "down" | null>(null);
  const [comment, setComment] = useState("");
  const [feedbackError, setFeedbackError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);

  if (message.role === "user") {
    return (
      <article className="message user" aria-label="Your message">
        <p className="plain">{message.content}</p>
      </article>
    );
  }

  const finished = message.status !== "streaming";
  const submitFeedback = async () => {
    if (!rating || !message.completionId) return;
    setSending(true);
    setFeedbackError(null);
    try {
      await onFeedback(message.localId, message.completionId, rating, comment);
      setRating(null);
      setComment("");
    } catch (err) {
      setFeedbackError(describeError(err));
    } finally {
      setSending(false);
    }
  };
  const commentId = `comment-${message.localId}`;

  return (
    <article className="message assistant" aria-label="Answer" aria-busy={!finished}>
      {message.content ? (
        <Markdown text={message.content} />
      ) : (
        !finished && <p className="thinking">Thinking…</p>
      )}
      {message.status === "stopped" && <p className="note">Stopped.</p>}
      {message.error && (
        <p className="error" role="alert">
          {message.error}
        </p>
      )}
      {message.citations && message.citations.length > 0 && (
        <details className="sources">
          <summary>Sources ({message.citations.length})</summary>
          <ol>
            {message.citations.map((c, i) => (
              <li key={`${c.source}-${i}`}>
                {SAFE_URL.test(c.source) ? (
                  <a href={c.source} target="_blank" rel="noopener noreferrer nofollow">
                    {c.title || c.source}
                  </a>
                ) : (
                  <span>{c.title || c.source}</span>
                )}
                {c.snippet && <blockquote>{c.snippet}</blockquote>}
              </li>
            ))}
          </ol>
        </details>
      )}
      {finished && (
        <div className="actions">
          {canRetry && (
            <button type="button" onClick={onRetry}>
              Retry
            </button>
          )}
          {message.content && (
            <button
              type="button"
              onClick={async () => setCopied((await copyText(message.content)) ? "Copied" : "Copy failed")}
            >
              {copied || "Copy"}
            </button>
          )}
          {message.completionId && (
            <>
              <button
                type="button"
                aria-pressed={message.feedback === "up" || rating === "up"}
                onClick={() => setRating("up")}
              >
                <Thumb up />
                Good response
              </button>
              <button
                type="button"
                aria-pressed={message.feedback === "down" || rating === "down"}
                onClick={() => setRating("down")}
              >
                <Thumb up={false} />
                Bad response
              </button>
            </>
          )}
          {message.feedback && !rating && <span className="note">Feedback sent.</span>}
        </div>
      )}
      {rating && (
        <form
          className="feedback"
          onSubmit={(e) => {
            e.preventDefault();
            void submitFeedback();
          }}
        >
          <label htmlFor={commentId}>
            {rating === "up" ? "What was good? (optional)" : "What was wrong? (optional)"}
          </label>
          <textarea id={commentId} rows={2} value={comment} onChange={(e) => setComment(e.target.value)} autoFocus />
          <div className="actions">
            <button type="submit" className="primary" disabled={sending}>
              Send feedback
            </button>
            <button type="button" onClick={() => setRating(null)}>
              Cancel
            </button>
          </div>
          {feedbackError && <p role="alert">{feedbackError}</p>}
        </form>
      )}
    </article>
  );
}
