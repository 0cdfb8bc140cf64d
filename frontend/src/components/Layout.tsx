/**
 * Three resizable areas: table (top left), files (bottom left) and viewer (right). The viewer gets the
 * larger share by default; where the user puts the splitters is remembered per user (of this browser).
 */
import { useRef, useState, type ReactNode } from "react";
import { loadSetting, saveSetting } from "../lib/storage";
import { Splitter } from "./Splitter";

/** The table's default share of the width: the viewer gets the rest, the larger part. */
export const TABLE_SHARE = 0.42;
const leftKey = (user: string) => `nora.layout.leftWidth.${user}`;
const filesKey = (user: string) => `nora.layout.filesHeight.${user}`;

function storedNumber(key: string, fallback: number): number {
  const value = Number(loadSetting(key));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export function Layout(props: { user: string; table: ReactNode; files: ReactNode; viewer: ReactNode }) {
  const LEFT_KEY = leftKey(props.user);
  const FILES_KEY = filesKey(props.user);
  const [leftWidth, setLeftWidth] = useState(() => storedNumber(LEFT_KEY, Math.round(window.innerWidth * TABLE_SHARE)));
  const [filesHeight, setFilesHeight] = useState(() => storedNumber(FILES_KEY, 210));
  const dragStart = useRef(0);

  const clampLeft = (w: number) => Math.max(420, Math.min(window.innerWidth - 160, w));
  const clampFiles = (h: number) => Math.max(80, Math.min(window.innerHeight - 220, h));

  return (
    <main className="layout">
      <div className="left-pane" style={{ width: clampLeft(leftWidth) }}>
        <div className="table-area">{props.table}</div>
        <Splitter
          direction="horizontal"
          label="Resize files panel"
          onDragStart={() => (dragStart.current = filesHeight)}
          onDrag={(d) => {
            const h = clampFiles(dragStart.current - d);
            setFilesHeight(h);
            saveSetting(FILES_KEY, String(h));
          }}
        />
        <div className="files-area" style={{ height: clampFiles(filesHeight) }}>
          {props.files}
        </div>
      </div>
      <Splitter
        direction="vertical"
        label="Resize viewer"
        onDragStart={() => (dragStart.current = clampLeft(leftWidth))}
        onDrag={(d) => {
          const w = clampLeft(dragStart.current + d);
          setLeftWidth(w);
          saveSetting(LEFT_KEY, String(w));
        }}
      />
      <div className="right-pane">{props.viewer}</div>
    </main>
  );
}
