/**
 * The desktop's tool windows (Batchtool, Gridstats, PACS): moved by their title bar, resized by their
 * corner, raised by a click, closed by Escape (the topmost one, when the focus is in it or on the page),
 * and opened where it covers no other window's title bar (beside, below or above it, else cascaded), so no
 * header is hidden. Each window's place and size are remembered (per browser profile, as the splitters are).
 */
import { useEffect, useLayoutEffect, useRef, useState, type CSSProperties, type PointerEvent, type ReactNode } from "react";
import { isTyping } from "../lib/keys";
import { loadSetting, saveSetting } from "../lib/storage";

export interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Open windows, bottom to top: the last one is raised and gets Escape. */
const stack: { id: string; el: () => HTMLElement | null; close: () => void }[] = [];
const BASE_Z = 40;
/** How far a window opens from another one's title bar. */
const CASCADE = 36;

function restack(): void {
  stack.forEach((w, i) => {
    const el = w.el();
    if (el) el.style.zIndex = String(BASE_Z + i);
  });
}

function onEscape(e: KeyboardEvent): void {
  if (e.key !== "Escape" || e.defaultPrevented) return;
  const top = stack[stack.length - 1];
  if (!top) return;
  const target = e.target instanceof Element ? e.target : null;
  const inside = target !== null && (top.el()?.contains(target) ?? false);
  // a field of the page (a filter bar) keeps its own Escape; the top window's fields do not
  if (!inside && isTyping(target)) return;
  e.preventDefault();
  top.close();
}

function onScreen(rect: Rect): Rect {
  const width = Math.min(rect.width, window.innerWidth - 8);
  const height = Math.min(rect.height, window.innerHeight - 8);
  return {
    width,
    height,
    left: Math.max(0, Math.min(rect.left, window.innerWidth - width)),
    top: Math.max(0, Math.min(rect.top, window.innerHeight - height)),
  };
}

/** Whether a window at `place` sits on `other`'s title bar (or `other` on its own). */
function covers(place: Rect, other: Rect): boolean {
  const across = place.left < other.left + other.width && other.left < place.left + place.width;
  const onTheirs = other.top < place.top + place.height && place.top < other.top + CASCADE;
  const onMine = place.top < other.top + other.height && other.top < place.top + CASCADE;
  return across && (onTheirs || onMine);
}

/**
 * The place nearest `rect` that covers no open window's title bar and whose own title bar no open window
 * covers: `rect` itself, else beside, below or above one of the others, else cascaded down and right from
 * `rect` (the last resort when the screen is full: then at least the title bars do not stack).
 */
export function freePlace(rect: Rect, others: readonly Rect[]): Rect {
  const start = onScreen(rect);
  const free = (place: Rect) => !others.some((o) => covers(place, o));
  const candidates: Rect[] = [start];
  for (const o of others) {
    candidates.push(
      { ...start, left: o.left + o.width + 8 },
      { ...start, left: o.left - start.width - 8 },
      { ...start, top: o.top + o.height + 8 },
      { ...start, top: o.top - start.height - 8 },
    );
  }
  const fits = (r: Rect) => r.left >= 0 && r.top >= 0 && r.left + r.width <= window.innerWidth && r.top + r.height <= window.innerHeight;
  const distance = (r: Rect) => Math.abs(r.left - start.left) + Math.abs(r.top - start.top);
  const best = candidates.filter((r) => fits(r) && free(r)).sort((a, b) => distance(a) - distance(b))[0];
  if (best) return best;
  let place = start;
  for (let step = 0; step < 20; step++) {
    if (!others.some((o) => Math.abs(o.top - place.top) < CASCADE && place.left < o.left + o.width && o.left < place.left + place.width)) return place;
    place = onScreen({ ...place, top: place.top + CASCADE, left: place.left + CASCADE });
  }
  return place;
}

function storedRect(id: string): Rect | null {
  try {
    const value: unknown = JSON.parse(loadSetting(`nora.window.${id}`) ?? "null");
    if (value === null || typeof value !== "object") return null;
    const r = value as Partial<Rect>;
    const ok = [r.left, r.top, r.width, r.height].every((n) => typeof n === "number" && Number.isFinite(n));
    return ok ? (r as Rect) : null;
  } catch {
    return null;
  }
}

export function FloatingWindow(props: {
  /** names the remembered place */
  id: string;
  testId: string;
  label: string;
  className?: string;
  /** where the window opens the first time */
  initial: () => Rect;
  /** the title bar's content (the window's drag handle) */
  head: ReactNode;
  headClassName?: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDivElement | null>(null);
  const close = useRef(props.onClose);
  close.current = props.onClose;
  const [rect, setRect] = useState<Rect | null>(null);
  const drag = useRef<{ x: number; y: number; rect: Rect } | null>(null);

  // Opened: placed clear of the other windows' title bars, then on top of them.
  useLayoutEffect(() => {
    const others = stack.map((w) => w.el()?.getBoundingClientRect()).filter((r): r is DOMRect => r !== undefined);
    setRect(freePlace(storedRect(props.id) ?? props.initial(), others));
    const entry = { id: props.id, el: () => ref.current, close: () => close.current() };
    stack.push(entry);
    restack();
    if (stack.length === 1) document.addEventListener("keydown", onEscape);
    return () => {
      stack.splice(stack.indexOf(entry), 1);
      restack();
      if (stack.length === 0) document.removeEventListener("keydown", onEscape);
    };
  }, [props.id]);

  // The browser's resize corner changes the element's size: remember it.
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      const box = el.getBoundingClientRect();
      setRect((r) => (r && (Math.round(box.width) !== r.width || Math.round(box.height) !== r.height)
        ? { ...r, width: Math.round(box.width), height: Math.round(box.height) } : r));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if (rect) saveSetting(`nora.window.${props.id}`, JSON.stringify(rect));
  }, [rect, props.id]);

  function raise() {
    const i = stack.findIndex((w) => w.id === props.id);
    if (i >= 0 && i < stack.length - 1) {
      stack.push(...stack.splice(i, 1));
      restack();
    }
  }

  function onDown(e: PointerEvent<HTMLDivElement>) {
    if (!rect || e.button !== 0 || (e.target as Element).closest("button, input, select, textarea, label, a")) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, y: e.clientY, rect };
  }
  function onMove(e: PointerEvent<HTMLDivElement>) {
    const d = drag.current;
    if (d) setRect(onScreen({ ...d.rect, left: d.rect.left + e.clientX - d.x, top: d.rect.top + e.clientY - d.y }));
  }

  const style: CSSProperties = rect
    ? { left: rect.left, top: rect.top, width: rect.width, height: rect.height, right: "auto", bottom: "auto" }
    : { visibility: "hidden" };
  return (
    <div ref={ref} className={`floating-window ${props.className ?? ""}`} style={style} data-testid={props.testId}
      role="dialog" aria-label={props.label} onPointerDownCapture={raise}>
      <div className={`floating-head ${props.headClassName ?? ""}`} data-testid="window-head" onPointerDown={onDown}
        onPointerMove={onMove} onPointerUp={() => (drag.current = null)}>
        {props.head}
      </div>
      {props.children}
    </div>
  );
}
