/**
 * The viewer on the right of the desktop: layout selector and tools in the central toolbar, the
 * viewports, position and values at the crosshair, messages, settings (S), autoloaders and shared links.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import { keys } from "../api/queries";
import type { ArchiveFile } from "../api/types";
import { useErrors } from "../state/errors";
import { emptyDefinition, plainIntent, viewerApi, type AutoloaderDef, type Preset, type SharedLink } from "./api";
import { AutoloaderPanel } from "./AutoloaderPanel";
import { loadLimPresets } from "./colorlim";
import { endDrag, onApplyPreset, onOpenFile, pending, setPending } from "./bus";
import { ViewerEngine } from "./engine";
import {
  archiveSource,
  DEFAULT_LIM_PRESETS,
  defaultLook,
  LAYOUTS,
  LAYOUT_NAMES,
  limPresetLines,
  localSource,
  MAX_VIEWPORTS,
  viewportCount,
  type LayoutName,
  type Look,
  type Role,
  type Source,
} from "./model";
import { ViewportView, type Dropped } from "./ViewportView";
import "./viewer.css";

const AUTOLOAD_KEY = "nora.viewer.autoload";

declare global {
  interface Window {
    noraViewer?: ViewerEngine;
  }
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName));
}

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "–";
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 1000) / 1000) : v.toPrecision(5);
}

export function Viewer(props: {
  project: string | null;
  selection: { pid: string; sid: string } | null;
  onStepCase: (delta: number) => void;
  /** a guest of a public project: may view and use presets, but not save presets or links */
  guest?: boolean;
}) {
  const { report } = useErrors();
  const engine = useMemo(() => new ViewerEngine(), []);
  const snap = useSyncExternalStore(engine.subscribe, engine.snapshot);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [autoOpen, setAutoOpen] = useState(false);
  const [presetName, setPresetName] = useState("");
  const [definition, setDefinition] = useState<AutoloaderDef>(emptyDefinition);
  const [autoload, setAutoload] = useState(() => localStorage.getItem(AUTOLOAD_KEY) === "1");
  const [busy, setBusy] = useState(false);
  const [link, setLink] = useState<SharedLink | null>(null);
  const [shareOpen, setShareOpen] = useState(false);
  const [radiological, setRadiological] = useState(false);
  const project = props.project;
  const stepCase = useRef(props.onStepCase);
  stepCase.current = props.onStepCase;

  useEffect(() => {
    window.noraViewer = engine;
    return () => {
      if (window.noraViewer === engine) delete window.noraViewer;
    };
  }, [engine]);

  const sourceOf = useCallback(
    (file: ArchiveFile): Source | null => (project ? archiveSource(project, file) : null),
    [project],
  );

  // ------------------------------------------------------------------ loading by double-click and drop

  const open = useCallback(
    (file: ArchiveFile, index = engine.nextFreeViewport(), role?: Role) => {
      const source = sourceOf(file);
      if (source === null) {
        engine.message(`${file.path}: the viewer cannot show ${file.format || "this kind of"} files`);
        return;
      }
      const chosen = role ?? (source.kind === "volume" ? "background" : "3d");
      void engine.load(source, index, chosen);
    },
    [engine, sourceOf],
  );

  useEffect(() => onOpenFile((file) => open(file)), [open]);

  function onDrop(index: number, role: Role, dropped: Dropped) {
    endDrag();
    if (dropped.file) {
      open(dropped.file, index, role);
      return;
    }
    for (const f of dropped.local) {
      const source = localSource(f);
      if (typeof source === "string") engine.message(source);
      else void engine.load(source, index, source.kind === "volume" ? role : "3d");
    }
  }

  // ------------------------------------------------------------------ autoloaders

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

  const runAutoload = useCallback(
    async (def: AutoloaderDef, pid: string, sid: string | null) => {
      if (!project) return;
      const generation = engine.newGeneration();
      setBusy(true);
      try {
        const result = await viewerApi.autoload(project, def, pid, sid);
        if (result.layout) engine.setLayout(result.layout);
        const count = viewportCount(engine.layout);
        const wanted: { source: Source; role: Role; look: Partial<Look>; index: number }[] = [];
        for (const loader of result.loaders) {
          const entry = def.loaders[loader.index];
          const label = `loader ${loader.index + 1} (${entry?.pattern ?? "?"})`;
          const file = loader.files[0];
          if (!file) {
            engine.message(`No file matches ${label} for ${pid}${sid ? ` / ${sid}` : ""}`);
            continue;
          }
          const source = sourceOf(file);
          if (!source) {
            engine.message(`${label}: ${file.path} is not a format the viewer shows`);
            continue;
          }
          const look: Partial<Look> = {};
          const intent = loader.intent;
          if (intent.colormap) look.colormap = intent.colormap;
          if (intent.cal_min !== null && intent.cal_min !== undefined) look.calMin = intent.cal_min;
          if (intent.cal_max !== null && intent.cal_max !== undefined) look.calMax = intent.cal_max;
          if (intent.opacity !== null && intent.opacity !== undefined) look.opacity = intent.opacity;
          if (intent.frame !== null && intent.frame !== undefined) look.frame = intent.frame;
          if (intent.outline) look.outline = true;
          for (const index of loader.viewports) {
            if (index >= count) {
              engine.message(`The preset's ${label} names viewport ${index + 1}; the ${engine.layout} layout has ${count}`);
              continue;
            }
            wanted.push({ source, role: intent.role, look, index });
            if (intent.slice) engine.setSlice(index, intent.slice);
          }
        }
        for (let index = 0; index < MAX_VIEWPORTS; index++) {
          engine.retain(index, new Set(wanted.filter((w) => w.index === index).map((w) => w.source.key)));
        }
        await Promise.all(
          Array.from({ length: count }, async (_, index) => {
            const mine = wanted.filter((w) => w.index === index);
            const ordered = [...mine.filter((w) => w.role === "background"), ...mine.filter((w) => w.role !== "background")];
            for (const w of ordered) {
              if (engine.shows(index, w.source.key)) continue;
              const look = { ...defaultLook(w.role, 0), ...w.look };
              const ok = await engine.load(w.source, index, w.role, look, generation);
              if (ok && Object.keys(w.look).length > 0) engine.override(index, w.source.key, w.look);
            }
          }),
        );
        engine.setActive(Math.min(result.main_viewport, count - 1));
      } catch (err) {
        engine.message(`Autoloader: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        setBusy(false);
      }
    },
    [engine, project, sourceOf],
  );

  const selected = props.selection;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  /** The case a preset was just dropped on: its selection does not also run the chosen preset. */
  const droppedOn = useRef<string | null>(null);
  useEffect(() => {
    const dropped = droppedOn.current;
    droppedOn.current = null;
    if (selected && dropped === `${selected.pid}\n${selected.sid}`) return;
    if (!autoload || !selected || definition.loaders.length === 0 || !definition.enabled) return;
    void runAutoload(definition, selected.pid, selected.sid);
    // Run when the case changes; edits run with "Relaunch".
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [autoload, selected?.pid, selected?.sid, presetName]);

  // A preset dropped on a table row (the row is selected too): run it for that case, whatever preset is chosen.
  useEffect(
    () =>
      onApplyPreset((name, pid, sid) => {
        const p = presets.find((x) => x.name === name && x.mine) ?? presets.find((x) => x.name === name);
        if (!p) {
          engine.message(`There is no autoloader preset named ${name} in this project`);
          return;
        }
        const was = selectedRef.current;
        if (!was || was.pid !== pid || was.sid !== sid) droppedOn.current = `${pid}\n${sid}`;
        void runAutoload(p.definition, pid, sid);
      }),
    [engine, presets, runAutoload],
  );

  function choosePreset(name: string, list = presets) {
    setPresetName(name);
    const p = list.find((x) => x.name === name && x.mine) ?? list.find((x) => x.name === name);
    setDefinition(p ? p.definition : emptyDefinition());
  }

  async function savePreset(name: string, shared: boolean) {
    if (!project || !name) {
      engine.message("Give the preset a name first");
      return;
    }
    try {
      await viewerApi.savePreset(project, name, definition, shared);
      const list = await refreshPresets();
      choosePreset(name, list);
    } catch (err) {
      report(err, `Saving autoloader preset ${name}`);
    }
  }

  async function deletePreset() {
    const p = presets.find((x) => x.name === presetName && x.mine);
    if (!project || !p) return;
    try {
      await viewerApi.deletePreset(project, p.name, p.shared);
      const list = await refreshPresets();
      choosePreset("", list);
    } catch (err) {
      report(err, `Deleting autoloader preset ${p.name}`);
    }
  }

  async function snapshot(mode: "smart" | "strict" | "tag") {
    if (!project) return;
    const { state } = engine.state(null, null);
    const entries = state.viewports.flatMap((vp, index) => vp.items.map((it) => ({ it, index })));
    const ids = [...new Set(entries.map((e) => e.it.file_id))];
    if (ids.length === 0) {
      engine.message("Load some archive files first: a snapshot turns the current view into loader entries");
      return;
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
      setAutoOpen(true);
    } catch (err) {
      report(err, "Taking a snapshot");
    }
  }

  // ------------------------------------------------------------------ shared links and URL calls

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
    },
    [engine],
  );

  useEffect(() => {
    const want = pending;
    if (!want || !project || want.project !== project) return;
    setPending(null);
    if (want.link) {
      viewerApi.openLink(project, want.link).then(restore, (err: unknown) => {
        engine.message(`The shared link could not be opened: ${err instanceof Error ? err.message : String(err)}`);
      });
    } else if (want.preset) {
      void refreshPresets().then((list) => {
        choosePreset(want.preset ?? "", list);
        setAutoload(true);
      });
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [project]);

  async function share(overwrite: boolean) {
    if (!project) return;
    const { state, skipped } = engine.state(props.selection?.pid ?? null, props.selection?.sid ?? null);
    if (skipped.length > 0) engine.message(`Files from your computer are not part of a link: ${skipped.join(", ")}`);
    try {
      const saved =
        overwrite && link ? await viewerApi.overwrite(project, link.link, state, link.title) : await viewerApi.share(project, state, "");
      setLink(saved);
      setShareOpen(true);
    } catch (err) {
      report(err, "Saving the shared link");
    }
  }

  // ------------------------------------------------------------------ colour-limit presets (keys 0-8)

  const limPresets = useQuery({
    queryKey: [...keys.project(project ?? ""), "colorlimpresets"],
    queryFn: ({ signal }) => loadLimPresets(project ?? "", signal),
    enabled: !!project,
  });
  useEffect(() => {
    engine.setLimPresets(project && limPresets.data ? limPresets.data : DEFAULT_LIM_PRESETS);
  }, [engine, project, limPresets.data]);
  useEffect(() => {
    if (limPresets.error) report(limPresets.error, "Loading the project's colour-limit presets (keys 0-8 use the CT windows)");
  }, [limPresets.error, report]);

  // ------------------------------------------------------------------ keyboard

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key === "Shift") engine.shift = e.type === "keydown";
      if (e.type !== "keydown" || e.defaultPrevented || typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key.toLowerCase();
      const index = engine.active;
      if (/^[0-8]$/.test(e.key)) engine.applyLimPreset(e.key);
      else if (key === "x" && e.shiftKey) engine.setScrollSpeed(engine.scrollSpeed + 1);
      else if (key === "y" && e.shiftKey) engine.setScrollSpeed(engine.scrollSpeed - 1);
      else if (key === "x") engine.step(index, 1);
      else if (key === "y" || key === "z") engine.step(index, -1);
      else if (key === "s") setSettingsOpen((o) => !o);
      else if (key === "r") engine.resetCrosshair();
      else if (key === "c" && e.shiftKey) engine.resetView(index);
      else if (key === "c") engine.centre(index);
      else if (e.key === "Escape") {
        setSettingsOpen(false);
        setShareOpen(false);
        engine.closePin();
      } else if (e.key === "ArrowDown") stepCase.current(1);
      else if (e.key === "ArrowUp") stepCase.current(-1);
      else return;
      e.preventDefault();
    }
    window.addEventListener("keydown", onKey);
    window.addEventListener("keyup", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      window.removeEventListener("keyup", onKey);
    };
  }, [engine]);

  useEffect(() => {
    const observer = new ResizeObserver(() => engine.resizeAll());
    const el = document.querySelector('[data-testid="viewer-grid"]');
    if (el) observer.observe(el);
    return () => observer.disconnect();
  }, [engine]);

  useEffect(() => {
    for (const vp of engine.viewports) {
      vp.nv.opts.isRadiologicalConvention = radiological;
      if (vp.canvas) vp.nv.drawScene();
    }
  }, [engine, radiological]);

  const count = viewportCount(snap.layout);
  const mm = snap.crosshairMM;
  return (
    <section className="viewer" aria-label="Viewer" data-testid="viewer">
      <div className="viewer-toolbar">
        <select
          data-testid="layout-select"
          value={snap.layout}
          title="viewport layout"
          onChange={(e) => engine.setLayout(e.target.value as LayoutName)}
        >
          {LAYOUT_NAMES.map((l) => (
            <option key={l} value={l}>{LAYOUTS[l].label}</option>
          ))}
        </select>
        <button data-testid="autoloader-button" className={autoload ? "on" : ""} onClick={() => setAutoOpen((o) => !o)} title="autoloaders">
          Autoload{autoload && presetName ? `: ${presetName}` : ""}
        </button>
        {props.guest ? null : (
          <button data-testid="share-button" onClick={() => void share(false)} disabled={!project} title="save this view as a link">
            Share
          </button>
        )}
        {link?.owner && shareOpen ? (
          <button data-testid="share-overwrite" onClick={() => void share(true)} title="overwrite the opened link">Overwrite link</button>
        ) : null}
        <button data-testid="settings-button" onClick={() => setSettingsOpen((o) => !o)} title="settings (S)">⚙</button>
        <button onClick={() => engine.clearAll()} title="close all images">Clear</button>
        {snap.loading > 0 || busy ? (
          // Deliberately static: a CSS animation keeps the compositor busy, and with software WebGL that
          // made niivue's volume upload 15x slower (benchmarks/viewer_load.py).
          <span className="loading-note" aria-label="loading images" data-testid="viewer-loading">
            {snap.loading > 0 ? `loading ${snap.loading} image${snap.loading === 1 ? "" : "s"}…` : "working…"}
          </span>
        ) : null}
        <select
          data-testid="colorlim-select"
          className="vt-presets"
          value=""
          title={`colour-limit presets (keys 0-8, from the project settings):\n${limPresetLines(snap.limPresets).map((l) => l.text).join("\n")}`}
          onChange={(e) => {
            engine.applyLimPreset(e.target.value);
            e.target.blur(); // the number keys work again at once
          }}
        >
          <option value="" disabled>Window</option>
          {limPresetLines(snap.limPresets).map((l) => (
            <option key={l.key} value={l.key} data-testid="colorlim-option">{l.text}</option>
          ))}
        </select>
        <span className="muted vt-speed" title="slice step (Shift+X / Shift+Y)">step {snap.scrollSpeed}</span>
      </div>
      {autoOpen ? (
        <AutoloaderPanel
          presets={presets}
          current={presetName}
          definition={definition}
          enabled={autoload}
          busy={busy}
          onEnabled={(on) => {
            setAutoload(on);
            localStorage.setItem(AUTOLOAD_KEY, on ? "1" : "0");
          }}
          onChoose={(name) => choosePreset(name)}
          onChange={setDefinition}
          onSave={props.guest ? null : (name, shared) => void savePreset(name, shared)}
          onDelete={() => void deletePreset()}
          onSnapshot={(mode) => void snapshot(mode)}
          onRelaunch={() => {
            if (props.selection) void runAutoload(definition, props.selection.pid, props.selection.sid);
            else engine.message("Select a case in the table first");
          }}
          onClose={() => setAutoOpen(false)}
        />
      ) : null}
      {shareOpen && link ? (
        <div className="share-box" data-testid="share-box">
          Link:{" "}
          <input data-testid="share-url" readOnly value={`${window.location.origin}${link.url}`} onFocus={(e) => e.target.select()} />
          <button onClick={() => setShareOpen(false)}>×</button>
        </div>
      ) : null}
      {settingsOpen ? (
        <div className="viewer-settings" data-testid="viewer-settings" role="dialog" aria-label="Viewer settings">
          <div className="panel-title">Viewer settings</div>
          <label>
            Slice step
            <input type="number" min={1} max={20} value={snap.scrollSpeed} onChange={(e) => engine.setScrollSpeed(Number(e.target.value))} />
          </label>
          <label>
            <input type="checkbox" checked={radiological} onChange={(e) => setRadiological(e.target.checked)} /> Radiological convention (left is right)
          </label>
          <div className="muted">
            Wheel: slice · Ctrl+wheel: zoom · Shift+wheel: 4D frame / mosaic columns · right-drag or Shift+drag: pan · Ctrl+drag: pan all · Ctrl+Shift+click: time series (4D) · middle-drag: window · 0-8: colour-limit presets (toolbar “Window”) · X / Y, Z: step · Shift+X / Shift+Y: step size · ↑ / ↓: next case · R: reset crosshair · C: centre on crosshair · Shift+C: reset zoom
          </div>
          <button onClick={() => setSettingsOpen(false)}>Close</button>
        </div>
      ) : null}
      <div className="viewer-messages">
        {snap.messages.map((m) => (
          <div key={m.id} className="viewer-message" role="alert" data-testid="viewer-message">
            {m.text}
            <button onClick={() => engine.dismiss(m.id)} aria-label="dismiss">×</button>
          </div>
        ))}
      </div>
      <div className={`viewer-grid layout-${snap.layout.replace("+", "p")}`} data-testid="viewer-grid" data-layout={snap.layout}>
        {Array.from({ length: MAX_VIEWPORTS }, (_, i) => (
          <ViewportView key={i} engine={engine} snap={snap} index={i} hidden={i >= count} onDrop={onDrop} />
        ))}
      </div>
      <div className="viewer-info" data-testid="viewer-info">
        <span data-testid="crosshair-mm">
          {mm ? `${mm.map((v) => v.toFixed(1)).join(", ")} mm` : "no image"}
        </span>
        {snap.values.map((v) => (
          <span key={v.key} className="value" data-testid="voxel-value" data-name={snap.items[v.key]?.source.name ?? v.name} data-value={v.value ?? ""}>
            {v.name}: <b>{fmt(v.value)}</b>
            {v.vox ? <span className="muted"> [{v.vox.join(",")}]</span> : null}
          </span>
        ))}
      </div>
    </section>
  );
}
