/** The viewer toolbar's note of which tool owns the left click in the viewports, with × to end its mode. */
import { useSyncExternalStore } from "react";
import type { ViewerEngine } from "./engine";
import { CLICK_TOOL_LABELS } from "./leftclick";

export function LeftClickOwner(props: { engine: ViewerEngine }) {
  const lc = props.engine.leftClick;
  useSyncExternalStore(lc.subscribe, lc.getVersion);
  if (lc.owner === null) return null;
  return (
    <span className="left-click-owner" data-testid="left-click-owner" data-owner={lc.owner}
      title="the left click in the viewports belongs to this tool; choosing another tool ends its mode">
      left click: {CLICK_TOOL_LABELS[lc.owner]}
      <button type="button" data-testid="left-click-stop" onClick={() => lc.stop()} aria-label="end this tool's mode (the click moves the crosshair)">×</button>
    </span>
  );
}
