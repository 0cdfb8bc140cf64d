/**
 * The shortcut overlay: `?` (outside text fields) or the top bar's "?" button shows the keys of the tool
 * in use (the viewer, the study table or the files panel: where the mouse or the focus last was), with
 * the other tools a click away. Esc, `?` again or a click outside closes it.
 */
import { useEffect, useRef, useState } from "react";
import { TopTool } from "../components/TopTools";
import { TOOLS, toolOf, type ToolId } from "./shortcuts";
import "./help.css";

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName));
}

export function KeyboardHelp() {
  const [shown, setShown] = useState<ToolId | null>(null);
  const last = useRef<ToolId>("viewer");

  useEffect(() => {
    const track = (e: Event) => {
      if (e.target instanceof Element && !e.target.closest(".help-overlay, .top-bar")) last.current = toolOf(e.target);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "?" && !typing(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        setShown((s) => (s === null ? last.current : null));
      } else if (e.key === "Escape") setShown(null);
    };
    window.addEventListener("pointerover", track, true);
    window.addEventListener("focusin", track, true);
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("pointerover", track, true);
      window.removeEventListener("focusin", track, true);
      window.removeEventListener("keydown", onKey);
    };
  }, []);

  const tool = TOOLS.find((t) => t.id === shown);
  return (
    <>
      <TopTool>
        <button type="button" data-testid="open-help" title="Keyboard and mouse shortcuts (?)" onClick={() => setShown((s) => (s === null ? last.current : null))}>
          ?
        </button>
      </TopTool>
      {tool ? (
        <div className="help-backdrop" onMouseDown={(e) => e.target === e.currentTarget && setShown(null)}>
          <div className="help-overlay" role="dialog" aria-label={`Shortcuts: ${tool.title}`} data-testid="help-overlay" data-tool={tool.id}>
            <div className="panel-title">
              Shortcuts
              <span className="help-tabs" role="tablist">
                {TOOLS.map((t) => (
                  <button key={t.id} type="button" role="tab" aria-selected={t.id === tool.id} data-testid={`help-tab-${t.id}`} className={t.id === tool.id ? "active" : ""} onClick={() => setShown(t.id)}>
                    {t.title}
                  </button>
                ))}
              </span>
              <button type="button" className="help-close" data-testid="help-close" aria-label="Close" onClick={() => setShown(null)}>
                ×
              </button>
            </div>
            <table className="help-table">
              <tbody>
                {tool.rows.map((r) => (
                  <tr key={r.keys} data-testid="help-row">
                    <td>
                      <kbd>{r.keys}</kbd>
                    </td>
                    <td>{r.action}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div className="muted help-foot">Keys are ignored while typing in a field. Esc or ? closes this help.</div>
          </div>
        </div>
      ) : null}
    </>
  );
}
