import { useState } from "react";
import type { ConversationSummary } from "./api";

interface Props {
  conversations: ConversationSummary[];
  activeId: string | null;
  onOpen: (id: string) => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
}

export function ConversationList({ conversations, activeId, onOpen, onRename, onDelete }: Props) {
  const [editing, setEditing] = useState<string | null>(null);
  const [title, setTitle] = useState("");
  const [confirming, setConfirming] = useState<string | null>(null);

  if (conversations.length === 0) return <p className="empty">No conversations yet.</p>;
  return (
    <ul className="conversations">
      {conversations.map((c) => {
        const name = c.title || "Untitled conversation";
        return (
          <li key={c.id} className={c.id === activeId ? "active" : undefined}>
            {editing === c.id ? (
              <form
                onSubmit={async (e) => {
                  e.preventDefault();
                  if (title.trim()) await onRename(c.id, title.trim());
                  setEditing(null);
                }}
              >
                <label htmlFor={`title-${c.id}`} className="visually-hidden">
                  New title
                </label>
                <input
                  id={`title-${c.id}`}
                  value={title}
                  maxLength={200}
                  onChange={(e) => setTitle(e.target.value)}
                  onKeyDown={(e) => e.key === "Escape" && setEditing(null)}
                  autoFocus
                />
                <button type="submit">Save</button>
                <button type="button" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <>
                <button
                  type="button"
                  className="open"
                  aria-current={c.id === activeId ? "true" : undefined}
                  onClick={() => onOpen(c.id)}
                >
                  {name}
                </button>
                <span className="row-actions">
                  <button
                    type="button"
                    aria-label={`Rename ${name}`}
                    onClick={() => {
                      setEditing(c.id);
                      setTitle(c.title);
                    }}
                  >
                    Rename
                  </button>
                  {confirming === c.id ? (
                    <>
                      <button
                        type="button"
                        className="danger"
                        aria-label={`Confirm delete ${name}`}
                        onClick={async () => {
                          setConfirming(null);
                          await onDelete(c.id);
                        }}
                      >
                        Confirm
                      </button>
                      <button type="button" onClick={() => setConfirming(null)}>
                        Keep
                      </button>
                    </>
                  ) : (
                    <button type="button" aria-label={`Delete ${name}`} onClick={() => setConfirming(c.id)}>
                      Delete
                    </button>
                  )}
                </span>
              </>
            )}
          </li>
        );
      })}
    </ul>
  );
}
