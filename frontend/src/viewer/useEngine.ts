/**
 * The viewer's engine for one mounted viewer: created once, exposed as `window.noraViewer` for the
 * browser tests and benchmarks, resized with its grid, and the project's colour-limit presets (keys
 * 0-8) and the radiological convention applied to it.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { keys } from "../api/queries";
import { loadLimPresets } from "./colorlim";
import { ViewerEngine } from "./engine";
import { DEFAULT_LIM_PRESETS } from "./model";
import { useFailure } from "./useFailure";

declare global {
  interface Window {
    noraViewer?: ViewerEngine;
  }
}

export function useEngine(project: string | null, radiological: boolean): ViewerEngine {
  const engine = useMemo(() => new ViewerEngine(), []);
  const report = useFailure(engine);

  useEffect(() => {
    window.noraViewer = engine;
    return () => {
      if (window.noraViewer === engine) delete window.noraViewer;
    };
  }, [engine]);

  useEffect(() => {
    const observer = new ResizeObserver(() => engine.resizeAll());
    const el = document.querySelector('[data-testid="viewer-grid"]');
    if (el) observer.observe(el);
    // a viewport's image also shrinks when its header strip grows (more rows in the viewbar)
    el?.querySelectorAll("canvas").forEach((canvas) => observer.observe(canvas));
    return () => observer.disconnect();
  }, [engine]);

  useEffect(() => {
    for (const vp of engine.viewports) {
      vp.nv.opts.isRadiologicalConvention = radiological;
      if (vp.canvas) vp.nv.drawScene();
    }
  }, [engine, radiological]);

  const limPresets = useQuery({
    queryKey: [...keys.project(project ?? ""), "colorlimpresets"],
    queryFn: ({ signal }) => loadLimPresets(project ?? "", signal),
    enabled: !!project,
  });
  useEffect(() => {
    engine.setLimPresets(project && limPresets.data ? limPresets.data : DEFAULT_LIM_PRESETS);
  }, [engine, project, limPresets.data]);
  useEffect(() => {
    if (limPresets.error) report(limPresets.error, "Loading the project's colour-limit presets (keys 0-8 use the built-in windows)");
  }, [limPresets.error, report]);

  return engine;
}
