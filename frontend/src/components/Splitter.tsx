/** A draggable divider; reports the pointer movement since the drag started. */
import { useRef, type PointerEvent } from "react";

export function Splitter(props: {
  direction: "vertical" | "horizontal";
  onDragStart: () => void;
  onDrag: (delta: number) => void;
  label: string;
}) {
  const start = useRef<number | null>(null);
  const horizontal = props.direction === "horizontal";
  const at = (e: PointerEvent) => (horizontal ? e.clientY : e.clientX);
  return (
    <div
      className={`splitter ${props.direction}`}
      role="separator"
      aria-orientation={horizontal ? "horizontal" : "vertical"}
      aria-label={props.label}
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        start.current = at(e);
        props.onDragStart();
      }}
      onPointerMove={(e) => {
        if (start.current !== null) props.onDrag(at(e) - start.current);
      }}
      onPointerUp={() => {
        start.current = null;
      }}
    />
  );
}
