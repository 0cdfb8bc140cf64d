/**
 * Shared links in the viewer: opening the link a URL names (bus.ts's pending case) with its measurements
 * and ROIs, saving the current view (with them) as a new link or over the current one (the link opened or last saved, when its creator or a
 * project admin asks), and the state of the link box and of the overwrite question.
 */
import { useCallback, useEffect, useState } from "react";
import { openLinkRois, roisState } from "../annotation/roi/links";
import { roiToolOf } from "../annotation/roi/tool";
import { viewerApi, type SharedLink } from "./api";
import { pending, setPending } from "./bus";
import type { ViewerEngine } from "./engine";
import { measurementsFromState, measurementsState } from "./measure/measure";
import { measurementsOf } from "./measure/MeasureTools";
import { useFailure } from "./useFailure";
import type { Case } from "./useAutoloaders";

export function useSharedLinks(engine: ViewerEngine, project: string | null, selected: Case | null) {
  const report = useFailure(engine);
  const [link, setLink] = useState<SharedLink | null>(null);
  const [open, setOpen] = useState(false);
  /** The Share button asks: overwrite the current link or save a new one. */
  const [asking, setAsking] = useState(false);

  const restore = useCallback(
    async (shared: SharedLink) => {
      setLink(shared);
      if (shared.missing.length > 0) {
        engine.message(`${shared.missing.length} file(s) of this link are gone or not visible to you; the rest is shown`);
      }
      await engine.restore(shared.state, (fileId, name, series, kind) => ({
        key: `file:${fileId}`,
        name,
        kind,
        fileId,
        series,
        local: null,
        url: `/api/projects/${encodeURIComponent(shared.project)}/viewer/files/${fileId}/${series ? "series.nii.gz" : "content"}`,
      }));
      measurementsOf(engine).imported(measurementsFromState(shared.state.measurements));
      await openLinkRois(roiToolOf(engine), shared.project, shared.state.rois);
    },
    [engine],
  );

  // A link named in the page's address opens once its project is shown.
  useEffect(() => {
    const want = pending;
    if (!want || !project || want.project !== project || !want.link) return;
    setPending(null);
    viewerApi.openLink(project, want.link).then(restore, (err: unknown) => {
      engine.message(`The shared link could not be opened: ${err instanceof Error ? err.message : String(err)}`);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project]);

  /**
   * The Share button: with a link opened (or saved) that the user may overwrite, ask first whether to
   * overwrite it or make a new one (NORA); otherwise save a new link at once.
   */
  function shareClicked() {
    if (link?.may_overwrite) {
      setOpen(false);
      setAsking(true);
    } else void share(false);
  }

  async function share(overwrite: boolean) {
    setAsking(false);
    if (!project) return;
    const { state: view, skipped } = engine.state(selected?.pid ?? null, selected?.sid ?? null);
    const measured = Object.entries(measurementsOf(engine).exported()).flatMap(([key, m]) => {
      const s = measurementsState(key, m);
      return s && s.distances.length + s.angles.length + s.regions.length > 0 ? [s] : [];
    });
    if (skipped.length > 0) engine.message(`Files from your computer are not part of a link: ${skipped.join(", ")}`, "info");
    try {
      const { rois, notes } = await roisState(roiToolOf(engine), project);
      for (const note of notes) engine.message(note, "info");
      const state = { ...view, measurements: measured, rois };
      const saved =
        overwrite && link ? await viewerApi.overwrite(project, link.link, state, link.title) : await viewerApi.share(project, state, "");
      setLink(saved);
      setOpen(true);
      engine.message(overwrite ? `Link ${saved.link} overwritten with this view` : `New link ${saved.link} saved`, "info");
    } catch (err) {
      report(err, overwrite ? "Overwriting the shared link" : "Saving the shared link");
    }
  }

  return { link, open, setOpen, asking, setAsking, shareClicked, share };
}
