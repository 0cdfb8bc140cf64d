/**
 * The assistant's part of the ROI tool window (shown while the "Assistant" pen is chosen): the mode
 * (point, scribble, box, lasso), the sign of the next drawing (+ / -), "N: slice only" (NORA's N: the next
 * interaction changes the current slice, or the slices N was held over, only), "Start from ROI" (the ROI's current
 * content as a mask), a patchwork model of the project whose output the session starts from, Undo (the last interaction), Reset (every interaction), Accept (Enter: keep
 * the result in the ROI and end the session), a busy mark (static) while the server computes, and the
 * server's error where the user acted.
 */
import { useQuery } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { keys } from "../../api/queries";
import type { RoiTool } from "../roi/tool";
import { segmentation } from "../../segmentation/api";
import { MODES } from "./controller";
import "./assistant.css";

export function AssistantPanel(props: { tool: RoiTool; project: string | null; canWrite: boolean }) {
  const ctl = props.tool.assistant;
  useSyncExternalStore(ctl.subscribe, ctl.getVersion);
  const project = props.project;
  const models = useQuery({
    queryKey: keys.models(project ?? ""),
    queryFn: ({ signal }) => segmentation.models(project!, signal),
    enabled: project !== null && props.canWrite,
  });
  const roi = props.tool.ws.current;
  const off = !props.canWrite || roi === null;
  const drawing = ctl.mode !== "point";
  return (
    <div className="assistant" data-testid="assistant" data-busy={ctl.busy > 0 ? "1" : "0"} data-interactions={ctl.interactions}>
      <div className="assistant-line">
        {MODES.map((m) => (
          <label key={m.id} title={m.title}>
            <input type="radio" name="assistant-mode" data-testid={`assistant-mode-${m.id}`} checked={ctl.mode === m.id}
              onChange={(e) => { ctl.setMode(m.id); e.target.blur(); }} /> {m.label}
          </label>
        ))}
        <span className="assistant-sign" title="the sign of the next drawing (the right button draws the other)">
          <button type="button" data-testid="assistant-plus" className={ctl.positive ? "on" : ""} disabled={!drawing}
            onClick={() => ctl.setPositive(true)}>+</button>
          <button type="button" data-testid="assistant-minus" className={ctl.positive ? "" : "on"} disabled={!drawing}
            onClick={() => ctl.setPositive(false)}>−</button>
        </span>
        <button type="button" data-testid="assistant-slices" className={`assistant-slices${ctl.slices ? " on" : ""}`} disabled={off}
          onClick={() => ctl.armSlices()} data-armed={ctl.slices ? (ctl.slices.from ? "range" : "slice") : ""}
          title="N: the next interaction changes the ROI on its slice only (hold N while moving to another slice: on the slices between)">
          {ctl.slices?.from ? "N: these slices" : "N: slice only"}</button>
        {ctl.busy > 0 ? <span className="assistant-busy" data-testid="assistant-busy" role="status">computing…</span> : null}
      </div>
      <div className="assistant-line">
        <button type="button" data-testid="assistant-from-roi" disabled={off || !roi || roi.voxels === 0}
          onClick={() => ctl.startFromRoi()} title="add the ROI's current content as a mask (a new session starts from it by itself)">Start from ROI</button>
        <select data-testid="assistant-model" value={ctl.model ?? ""} disabled={off}
          onChange={(e) => { ctl.startFromModel(e.target.value === "" ? null : Number(e.target.value)); e.target.blur(); }}
          title={models.error ? `models: ${models.error.message}` : "a patchwork model of the project proposes the start (it runs on the image once)"}>
          <option value="">no model</option>
          {(models.data ?? []).filter((m) => m.contrasts.length === 1).map((m) => <option key={m.id} value={m.id}>{m.name} v{m.version}</option>)}
        </select>
        <button type="button" data-testid="assistant-undo" disabled={off || ctl.interactions === 0} onClick={() => ctl.undo()}
          title="forget the last interaction">Undo step</button>
        <button type="button" data-testid="assistant-reset" disabled={off || ctl.interactions === 0} onClick={() => ctl.reset()}
          title="forget every interaction (Ctrl+Z brings the ROI's content back)">Reset</button>
        <button type="button" data-testid="assistant-accept" disabled={off || ctl.roiId === null} onClick={() => ctl.accept()}
          title="keep the result in the ROI and end the session (Enter)">Accept</button>
        <span className="muted" data-testid="assistant-count">
          {ctl.interactions} interaction{ctl.interactions === 1 ? "" : "s"}{ctl.backend ? ` · ${ctl.backend}` : ""}
        </span>
      </div>
      <div className="muted assistant-help">
        {!props.canWrite ? "The assistant needs the write right in this project."
          : roi === null ? "Make an ROI current (New ROI) to segment into it."
          : ctl.mode === "point" ? "left click: structure · right click: not · hold Q: several points at once"
          : "left drag: the chosen sign · right drag: the other"}
      </div>
      {ctl.note ? <div className="muted" data-testid="assistant-note">{ctl.note}</div> : null}
      {ctl.error ? <div className="roi-note error" data-testid="assistant-error" role="alert">{ctl.error}</div> : null}
    </div>
  );
}
