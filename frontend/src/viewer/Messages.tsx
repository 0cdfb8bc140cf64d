/**
 * The viewer's one message area, between the toolbar and the viewports (never over the image): newest
 * first, the latest few shown and the rest behind "n more"; errors red until dismissed or the case
 * changes, information plain and fading (the engine removes it).
 */
import { useState } from "react";
import type { Message } from "./engine";

const SHOWN = 3;

export function Messages(props: { messages: Message[]; onDismiss: (id: number) => void; onClear: () => void }) {
  const [all, setAll] = useState(false);
  const { messages } = props;
  if (messages.length === 0) return null;
  const shown = all ? messages : messages.slice(0, SHOWN);
  const hidden = messages.length - shown.length;
  return (
    <div className="viewer-messages" data-testid="viewer-messages">
      {shown.map((m) => (
        <div
          key={m.id}
          className={`viewer-message ${m.level}${m.fading ? " fading" : ""}`}
          role={m.level === "error" ? "alert" : "status"}
          data-testid="viewer-message"
          data-level={m.level}
        >
          <span className="vm-text">{m.text}</span>
          <button onClick={() => props.onDismiss(m.id)} aria-label="dismiss" title="dismiss">×</button>
        </div>
      ))}
      {hidden > 0 || all || messages.length > 1 ? (
        <div className="vm-more">
          {hidden > 0 || all ? (
            <button data-testid="messages-more" onClick={() => setAll((a) => !a)}>{all ? "fewer" : `${hidden} more`}</button>
          ) : null}
          <button data-testid="messages-clear" onClick={props.onClear}>clear all</button>
        </div>
      ) : null}
    </div>
  );
}
