/** Esc anywhere on the page closes a dialog (also when the focus left it, e.g. for a button that got disabled). */
import { useEffect, useRef } from "react";

export function useEscape(onClose: () => void): void {
  const current = useRef(onClose);
  current.current = onClose;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") current.current(); // also when the viewer has handled it (it closes its own boxes)
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}
