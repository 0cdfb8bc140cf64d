/**
 * The viewer's guard on leaving a case (bus.ts's `leaveCase`, nextcase.ts's rule): with the preset's
 * `on_next_case` "save" the changed targets are saved and the move goes on; with "ask" this hook's box
 * asks first: save and go on, go on without saving, or stay. A failed save (a 409, no write right ...)
 * keeps the user on the case and asks the same, with the reason.
 */
import { useEffect, useRef, useState, type ReactNode } from "react";
import type { AutoloaderDef } from "../viewer/api";
import { setLeaveGuard } from "../viewer/bus";
import type { ViewerEngine } from "../viewer/engine";
import { markersOf } from "./markers/registry";
import { type Case, type Changed, changedOnLeaving, discard, names, saveAll } from "./nextcase";
import type { RoiTool } from "./roi/tool";

interface Now {
  project: string | null;
  selected: Case | null;
  def: AutoloaderDef;
  enabled: boolean;
}

export function useNextCase(engine: ViewerEngine, tool: RoiTool, now: Now): ReactNode {
  const [asking, setAsking] = useState<{ changed: Changed; go: () => void; problem: string | null } | null>(null);
  const current = useRef(now);
  current.current = now;

  useEffect(
    () =>
      setLeaveGuard((next, go) => {
        const { project, selected, def, enabled } = current.current;
        if (!project || !selected || !enabled || !def.enabled) return go();
        const changed = changedOnLeaving(tool, markersOf(engine).ws, def, selected, next);
        if (changed.rois.length + changed.sets.length === 0) return go();
        if (def.on_next_case === "ask") setAsking({ changed, go, problem: null });
        else void save(project, changed, go);
      }),
    [engine, tool],
  );

  /** Save, then go on; a failed save (a 409, no write right ...) asks again with the reason. */
  async function save(project: string, changed: Changed, go: () => void) {
    const problem = await saveAll(tool, markersOf(engine).ws, project, changed);
    if (problem === null) go();
    else setAsking({ changed: { rois: changed.rois.filter((r) => r.dirty), sets: changed.sets.filter((s) => s.dirty) }, go, problem });
  }

  function answer(saving: boolean) {
    const a = asking;
    const project = current.current.project;
    setAsking(null);
    if (!a || !project) return;
    if (!saving) {
      discard(tool, a.changed);
      a.go();
      return;
    }
    void save(project, a.changed, a.go);
  }

  if (!asking) return null;
  return (
    <div className="share-box" data-testid="next-case-ask" role="dialog" aria-label="Unsaved annotations">
      {asking.problem ? <span className="error" role="alert" data-testid="next-case-problem">{asking.problem}</span> : null}
      <span>Changed: <b>{names(asking.changed).join(", ")}</b>. Save before moving on?</span>
      <button data-testid="next-case-save" onClick={() => answer(true)}>Save and go on</button>
      <button data-testid="next-case-discard" onClick={() => answer(false)}>Go on without saving</button>
      <button data-testid="next-case-stay" onClick={() => setAsking(null)}>Stay</button>
    </div>
  );
}
