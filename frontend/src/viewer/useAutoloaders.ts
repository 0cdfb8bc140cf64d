/**
 * The viewer's autoloader state: the project's presets (one query per project), the chosen preset and
 * its definition being edited, whether autoloading is on, and running a preset on a case: when the
 * selected case changes, when a preset is dropped on a table row, or by "Relaunch".
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { keys } from "../api/queries";
import type { ArchiveFile } from "../api/types";
import { prepareAnnotations } from "../annotation/markers/loaders";
import { markersOf } from "../annotation/markers/registry";
import { emptyDefinition, plainIntent, viewerApi, type AutoloaderDef, type Preset } from "./api";
import { applyAutoload, type AutoloadAnswer } from "./autoload";
import { onApplyAutoloader, onApplyPreset, onPrefetchCase, pending, setCurrentAutoloader, setPending } from "./bus";
import { Prefetched, prefetchKey } from "./prefetch";
import type { ViewerEngine } from "./engine";
import { useFailure } from "./useFailure";
import type { Source } from "./model";

const AUTOLOAD_KEY = "nora.viewer.autoload";

export interface Case {
  pid: string;
  sid: string;
}

/** A case as messages name it: a blind reading's case key (`~...`, never a PID) as "the reading's case". */
export function caseName(pid: string, sid: string | null): string {
  if (pid.startsWith("~")) return "the reading's case";
  return `${pid}${sid ? ` / ${sid}` : ""}`;
}

function pick(list: Preset[], name: string): Preset | undefined {
  return list.find((x) => x.name === name && x.mine) ?? list.find((x) => x.name === name);
}

/** What runs after a preset's files are shown (the ROI tool's loaders), with the server's answer. */
export type AfterAutoload = (def: AutoloaderDef, answer: AutoloadAnswer, pid: string, sid: string | null, generation: number) => Promise<void>;

export function useAutoloaders(
  engine: ViewerEngine,
  project: string | null,
  selected: Case | null,
  sourceOf: (file: ArchiveFile) => Source | null,
  after?: AfterAutoload,
) {
  const report = useFailure(engine);
  const [presetName, setPresetName] = useState("");
  const [definition, setDefinition] = useState<AutoloaderDef>(emptyDefinition);
  const [enabled, setEnabledState] = useState(() => localStorage.getItem(AUTOLOAD_KEY) === "1");
  const [busy, setBusy] = useState(false);

  const setEnabled = useCallback((on: boolean) => {
    setEnabledState(on);
    localStorage.setItem(AUTOLOAD_KEY, on ? "1" : "0");
  }, []);

  // Presets are one query per project: an answer for a project the user already left is never shown.
  const client = useQueryClient();
  const presetQuery = useCallback(
    (name: string) => ({ queryKey: keys.presets(name), queryFn: ({ signal }: { signal: AbortSignal }) => viewerApi.presets(name, signal) }),
    [],
  );
  const presetList = useQuery({ ...presetQuery(project ?? ""), enabled: !!project });
  const presets: Preset[] = useMemo(() => presetList.data ?? [], [presetList.data]);
  useEffect(() => {
    if (presetList.error) report(presetList.error, "Loading autoloader presets");
  }, [presetList.error, report]);
  /** The project's presets as the server has them now (after a save or delete, or to open one by name). */
  const refreshPresets = useCallback(async (): Promise<Preset[]> => {
    if (!project) return [];
    try {
      return await client.fetchQuery({ ...presetQuery(project), staleTime: 0 });
    } catch (err) {
      report(err, "Loading autoloader presets");
      return [];
    }
  }, [client, presetQuery, project, report]);

  useEffect(() => {
    setPresetName("");
    setDefinition(emptyDefinition());
  }, [project]);

  const prefetched = useRef(new Prefetched<AutoloadAnswer>());
  useEffect(() => {
    prefetched.current = new Prefetched<AutoloadAnswer>();
  }, [project]);
  // The reading's next case, fetched ahead: its autoload answer kept for the move, its images' bytes cached.
  useEffect(
    () =>
      onPrefetchCase((def, pid, sid) => {
        const key = prefetchKey(def, pid, sid);
        if (!project || prefetched.current.has(key) || def.loaders.length + def.rois.length === 0) return;
        const answer = viewerApi.autoload(project, def, pid, sid);
        prefetched.current.put(key, answer);
        void answer
          .then((a) => {
            for (const file of a.loaders.flatMap((l) => l.files)) {
              const url = sourceOf(file)?.url;
              if (url) void engine.cache.get(url).catch(() => undefined);
            }
          })
          .catch(() => undefined); // the move asks again
      }),
    [engine, project, sourceOf],
  );

  const run = useCallback(
    async (def: AutoloaderDef, pid: string, sid: string | null) => {
      if (!project) return;
      const generation = engine.newGeneration();
      setBusy(true);
      try {
        if (def.loaders.length > 0 || def.rois.length > 0) {
          const fresh = () => viewerApi.autoload(project, def, pid, sid);
          const answer = await (prefetched.current.take(prefetchKey(def, pid, sid))?.catch(fresh) ?? fresh());
          // a preset of ROI or annotation loaders alone keeps the images shown
          if (def.loaders.length > 0) {
            await applyAutoload(engine, def, answer, caseName(pid, sid), sourceOf, generation);
          }
          if (after && generation === engine.generation) await after(def, answer, pid, sid, generation);
        }
        if (generation === engine.generation) await prepareAnnotations(markersOf(engine).ws, project, pid, def.annotations, (t) => engine.message(t));
      } catch (err) {
        engine.message(`Autoloader: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        setBusy(false);
      }
    },
    [engine, project, sourceOf, after],
  );

  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  /** The case a preset was just dropped on: its selection does not also run the chosen preset. */
  const droppedOn = useRef<string | null>(null);
  // (leaving a case saves its changed annotation targets first: annotation/useNextCase.tsx)
  useEffect(() => {
    const dropped = droppedOn.current;
    droppedOn.current = null;
    if (selected && dropped === `${selected.pid}\n${selected.sid}`) return;
    if (!enabled || !selected || definition.loaders.length + definition.annotations.length === 0 || !definition.enabled) return;
    void run(definition, selected.pid, selected.sid);
    // Run when the case changes; edits run with "Relaunch".
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, selected?.pid, selected?.sid, presetName]);

  // A preset dropped on a table row (the row is selected too): run it for that case, whatever preset is chosen.
  useEffect(
    () =>
      onApplyPreset((name, pid, sid) => {
        const p = pick(presets, name);
        if (!p) {
          engine.message(`There is no autoloader preset named ${name} in this project`);
          return;
        }
        const was = selectedRef.current;
        if (!was || was.pid !== pid || was.sid !== sid) droppedOn.current = `${pid}\n${sid}`;
        void run(p.definition, pid, sid);
      }),
    [engine, presets, run],
  );

  // A reading opens its case with its own autoloader: like a dropped preset, the selection does not also run the chosen one.
  useEffect(
    () =>
      onApplyAutoloader((def, pid, sid) => {
        const was = selectedRef.current;
        if (!was || was.pid !== pid || was.sid !== sid) droppedOn.current = `${pid}\n${sid}`;
        void run(def, pid, sid);
      }),
    [run],
  );
  useEffect(() => setCurrentAutoloader({ preset: presetName, definition, layout: engine.layout }), [presetName, definition, engine]);

  function choose(name: string, list = presets) {
    setPresetName(name);
    const p = pick(list, name);
    setDefinition(p ? p.definition : emptyDefinition());
  }

  // A URL call or link that names a preset: choose it and switch autoloading on.
  useEffect(() => {
    const want = pending;
    if (!want || !project || want.project !== project || want.link || !want.preset) return;
    setPending(null);
    void refreshPresets().then((list) => {
      choose(want.preset ?? "", list);
      setEnabled(true);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project]);

  async function save(name: string, shared: boolean) {
    if (!project || !name) {
      engine.message("Give the preset a name first");
      return;
    }
    try {
      await viewerApi.savePreset(project, name, definition, shared);
      choose(name, await refreshPresets());
    } catch (err) {
      report(err, `Saving autoloader preset ${name}`);
    }
  }

  async function remove() {
    const p = presets.find((x) => x.name === presetName && x.mine);
    if (!project || !p) return;
    try {
      await viewerApi.deletePreset(project, p.name, p.shared);
      choose("", await refreshPresets());
    } catch (err) {
      report(err, `Deleting autoloader preset ${p.name}`);
    }
  }

  /** Turn the current view into loader entries (patterns from the server); true when it did. */
  async function snapshot(mode: "smart" | "strict" | "tag"): Promise<boolean> {
    if (!project) return false;
    const { state } = engine.state(null, null);
    const entries = state.viewports.flatMap((vp, index) => vp.items.map((it) => ({ it, index })));
    const ids = [...new Set(entries.map((e) => e.it.file_id))];
    if (ids.length === 0) {
      engine.message("Load some archive files first: a snapshot turns the current view into loader entries");
      return false;
    }
    try {
      const patterns = await viewerApi.snapshot(project, mode, ids);
      const byId = new Map(ids.map((id, i) => [id, patterns[i] ?? ""]));
      const loaders = ids.map((id) => {
        const uses = entries.filter((e) => e.it.file_id === id);
        const first = uses[0]!.it;
        return {
          pattern: byId.get(id) ?? "",
          viewports: [...new Set(uses.map((u) => u.index))],
          enabled: true,
          intent: { ...plainIntent(first.role), colormap: first.colormap, cal_min: first.cal_min, cal_max: first.cal_max, opacity: first.opacity },
        };
      });
      setDefinition({ ...definition, layout: engine.layout, loaders });
      return true;
    } catch (err) {
      report(err, "Taking a snapshot");
      return false;
    }
  }

  return { presets, presetName, definition, setDefinition, enabled, setEnabled, busy, run, choose, save, remove, snapshot };
}
