/** One viewport: its canvas, slicing selector, viewbar and the drop options while something is dragged over. */
import { useEffect, useRef, useState, type DragEvent } from "react";
import type { ArchiveFile } from "../api/types";
import { dragging, FILE_MIME } from "./bus";
import type { Snapshot, ViewerEngine } from "./engine";
import { dropOptions, kindOf, SLICE_NAMES, type ItemKind, type Role, type SliceName } from "./model";
import { PinViewer } from "./PinViewer";
import { Viewbar } from "./Viewbar";

export interface Dropped {
  file: ArchiveFile | null;
  local: File[];
}

function draggedKind(e: DragEvent): ItemKind | null {
  if (dragging) return kindOf(dragging.format, dragging.path);
  const item = Array.from(e.dataTransfer.items).find((i) => i.kind === "file");
  return item ? "volume" : null;
}

export function ViewportView(props: {
  engine: ViewerEngine;
  snap: Snapshot;
  index: number;
  hidden: boolean;
  onDrop: (index: number, role: Role, dropped: Dropped) => void;
}) {
  const { engine, snap, index } = props;
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const [over, setOver] = useState<ItemKind | null>(null);
  const depth = useRef(0);

  useEffect(() => {
    if (canvasRef.current) void engine.attach(index, canvasRef.current);
  }, [engine, index]);

  function accepts(e: DragEvent) {
    return e.dataTransfer.types.includes(FILE_MIME) || e.dataTransfer.types.includes("Files");
  }

  function onDragEnter(e: DragEvent) {
    if (!accepts(e)) return;
    e.preventDefault();
    depth.current += 1;
    setOver(draggedKind(e) ?? "volume");
  }

  function onDragLeave() {
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setOver(null);
  }

  function drop(e: DragEvent, role: Role) {
    e.preventDefault();
    e.stopPropagation();
    depth.current = 0;
    setOver(null);
    let file: ArchiveFile | null = null;
    const raw = e.dataTransfer.getData(FILE_MIME);
    if (raw) {
      try {
        file = JSON.parse(raw) as ArchiveFile;
      } catch {
        file = null;
      }
    }
    props.onDrop(index, role, { file, local: Array.from(e.dataTransfer.files) });
  }

  const slice = snap.slices[index] ?? "axial";
  const pin = snap.pin?.index === index ? snap.pin : null;
  const pinned = pin ? snap.entries[index]?.find((e) => e.key === pin.key) : undefined;
  const options = over ? dropOptions(over, engine.hasBackground(index)) : [];
  return (
    <div
      className={`viewport vp-${index}${snap.active === index ? " active" : ""}`}
      data-testid={`viewport-${index}`}
      data-slice={slice}
      style={props.hidden ? { display: "none" } : undefined}
      onDragEnter={onDragEnter}
      onDragOver={(e) => accepts(e) && e.preventDefault()}
      onDragLeave={onDragLeave}
      onDrop={(e) => drop(e, options[0]?.role ?? "background")}
      onContextMenu={(e) => e.preventDefault()}
    >
      <canvas ref={canvasRef} data-testid={`canvas-${index}`} tabIndex={-1} />
      {/* one header row: the slicing on the left, the viewbar on the right, wrapping below it when narrow */}
      <div className="vp-head">
        <div className="vp-top-left">
          <span className="vp-id">{index + 1}</span>
          <select
            data-testid={`slice-select-${index}`}
            value={slice}
            title="slicing of this viewport"
            onChange={(e) => engine.setSlice(index, e.target.value as SliceName)}
          >
            {SLICE_NAMES.map((s) => (
              <option key={s} value={s}>{s === "render" ? "3D" : s}</option>
            ))}
          </select>
        </div>
        <Viewbar engine={engine} snap={snap} index={index} />
      </div>
      {pin && pinned ? <PinViewer pin={pin} frame={pinned.look.frame} onClose={() => engine.closePin()} /> : null}
      {over ? (
        <div className="drop-options" data-testid={`drop-options-${index}`}>
          {options.map((o) => (
            <div
              key={o.role}
              className="drop-option"
              data-testid={`drop-${o.role}`}
              onDragOver={(e) => e.preventDefault()}
              onDrop={(e) => drop(e, o.role)}
            >
              {o.label}
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}
