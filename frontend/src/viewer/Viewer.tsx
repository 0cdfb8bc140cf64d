/**
 * The viewer on the right of the desktop: layout selector and tools in the central toolbar, the
 * viewports, position and values at the crosshair, messages, settings (S), autoloaders and shared links.
 * The state behind it lives in hooks: useEngine (the engine, colour-limit presets), useAutoloaders,
 * useSharedLinks and useViewerKeys; this component loads what is double-clicked or dropped and draws.
 */
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { PenCursor } from "../annotation/roi/PenCursor";
import { AssistantLayer } from "../annotation/assistant/AssistantLayer";
import { PolygonLayer } from "../annotation/roi/PolygonLayer";
import { RoiStatsWindow } from "../annotation/roi/RoiStats";
import { RoiToolWindow, type Rights } from "../annotation/roi/RoiTool";
import { roiToolOf } from "../annotation/roi/tool";
import { useRoiKeys } from "../annotation/roi/useRoiKeys";
import type { ArchiveFile } from "../api/types";
import { useAddressProject } from "./address";
import { AutoloaderPanel } from "./AutoloaderPanel";
import { layoutStudy } from "../studybrowser/layoutStudy";
import { MeasureTools } from "./measure/MeasureTools";
import { MarkerTool } from "../annotation/markers/MarkerTool";
import { LeftClickOwner } from "./LeftClickOwner";
import { endDrag, onOpenFile, onOpenStudy, useReadingTools } from "./bus";
import { caseKey } from "./engine";
import { Messages } from "./Messages";
import { archiveSource, DEFAULT_LIM_PRESETS, LAYOUTS, LAYOUT_NAMES, limPresetLines, localSource, MAX_VIEWPORTS, viewportCount, type LayoutName, type Role, type Source } from "./model";
import { useAutoloaders, type AfterAutoload } from "./useAutoloaders";
import { applyRoiLoaders } from "../annotation/roi/autoload";
import { useNextCase } from "../annotation/useNextCase";
import { useEngine } from "./useEngine";
import { useSharedLinks } from "./useSharedLinks";
import { useViewerKeys } from "./useViewerKeys";
import { MR_PRESETS, PET_PRESETS } from "./windows";
import { ViewportView, type Dropped } from "./ViewportView";
import "./viewer.css";

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
  /** read-only rights: annotations are shown, not saved */
  readonly?: boolean;
  /** what the user may do with annotations (the ROI tool: save needs write, download the download right) */
  rights?: Rights;
}) {
  const project = props.project;
  const [radiological, setRadiological] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [autoOpen, setAutoOpen] = useState(false);
  const engine = useEngine(project, radiological);
  const snap = useSyncExternalStore(engine.subscribe, engine.snapshot);
  const roiTool = useMemo(() => roiToolOf(engine), [engine]);
  const [roiOpen, setRoiOpen] = useState(false);
  const [roiStatsOpen, setRoiStatsOpen] = useState(false);
  useEffect(() => {
    roiTool.onOpened = () => setRoiOpen(true);
  }, [roiTool]);
  const tools = useReadingTools();
  // a reading that hides a tool ends that tool's mode if it had the left click
  useEffect(() => {
    const owner = engine.leftClick.owner;
    if (owner !== null && !tools[owner]) engine.leftClick.stop();
  }, [engine, tools]);
  useRoiKeys(roiTool, () => setRoiOpen((o) => tools.roi && !o), tools.roi);

  const sourceOf = useCallback(
    (file: ArchiveFile): Source | null => (project ? archiveSource(project, file) : null),
    [project],
  );
  // Before the autoloader's effect: the new case's messages must not be cleared with the old ones.
  const sel = props.selection;
  useEffect(() => engine.setCase(sel ? caseKey(sel.pid, sel.sid) : null), [engine, sel?.pid, sel?.sid]);
  const afterAutoload = useCallback<AfterAutoload>(
    async (def, answer, pid, sid) => {
      if (project && (await applyRoiLoaders(roiTool, project, def, answer, pid, sid)) > 0) setRoiOpen(true);
    },
    [project, roiTool],
  );
  const auto = useAutoloaders(engine, project, props.selection, sourceOf, afterAutoload);
  // Leaving a case (arrow keys, table clicks) with changed annotation targets: saved or asked first.
  const nextCaseAsk = useNextCase(engine, roiTool, { project, selected: sel, def: auto.definition, enabled: auto.enabled });
  const links = useSharedLinks(engine, project, props.selection);
  useAddressProject(engine, project);
  useViewerKeys(engine, {
    toggleSettings: () => setSettingsOpen((o) => !o),
    closeBoxes: () => {
      setSettingsOpen(false);
      links.setOpen(false);
      links.setAsking(false);
    },
    stepCase: props.onStepCase,
  });

  // ------------------------------------------------------------------ loading by double-click and drop

  const open = useCallback(
    (file: ArchiveFile, index?: number, role?: Role) => {
      const source = sourceOf(file);
      if (source === null) {
        engine.message(`${file.path}: the viewer cannot show ${file.format || "this kind of"} files`);
        return;
      }
      const chosen = role ?? (source.kind === "volume" ? "background" : "3d");
      for (const i of index === undefined ? engine.openTargets(source.kind) : [index]) void engine.load(source, i, chosen);
    },
    [engine, sourceOf],
  );

  useEffect(() => onOpenFile((file) => open(file)), [open]);
  useEffect(() => onOpenStudy((items) => layoutStudy(engine, items, open)), [engine, open]);

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

  const count = viewportCount(snap.layout);
  const presetSource =
    snap.limPresets === DEFAULT_LIM_PRESETS || snap.limPresets === MR_PRESETS || snap.limPresets === PET_PRESETS
      ? `for ${snap.windowKind ?? "CT"} images`
      : "from the project settings";
  const mm = snap.crosshairMM;
  return (
    <section className="viewer" aria-label="Viewer" data-testid="viewer">
      <div className="viewer-toolbar">
        <select
          data-testid="layout-select"
          value={snap.layout}
          title="viewport layout"
          onChange={(e) => void engine.switchLayout(e.target.value as LayoutName)}
        >
          {LAYOUT_NAMES.map((l) => (
            <option key={l} value={l}>{LAYOUTS[l].label}</option>
          ))}
        </select>
        <button data-testid="autoloader-button" className={auto.enabled ? "on" : ""} onClick={() => setAutoOpen((o) => !o)} title="autoloaders">
          Autoload{auto.enabled && auto.presetName ? `: ${auto.presetName}` : ""}
        </button>
        {props.guest ? null : (
          <button data-testid="share-button" onClick={links.shareClicked} disabled={!project} title="save this view as a link">
            Share
          </button>
        )}
        <button data-testid="settings-button" onClick={() => setSettingsOpen((o) => !o)} title="settings (S)">⚙</button>
        <button data-testid="clear-button" onClick={() => engine.clearAll()} title="close all images">Clear</button>
        {tools.roi ? <button data-testid="roi-tool-button" className={roiOpen ? "on" : ""} onClick={() => setRoiOpen((o) => !o)} title="ROI tool (D)">ROI</button> : null}
        {tools.measure ? <MeasureTools engine={engine} /> : null}
        {tools.markers ? <MarkerTool engine={engine} project={project} pid={sel?.pid ?? null} readOnly={!!props.guest || !!props.readonly} /> : null}
        <LeftClickOwner engine={engine} />
        {snap.loading > 0 || auto.busy ? (
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
          data-kind={snap.windowKind ?? ""}
          title={`window presets (keys 0-8) ${presetSource}:\n${limPresetLines(snap.limPresets).map((l) => l.text).join("\n")}`}
          onChange={(e) => {
            engine.applyLimPreset(e.target.value);
            e.target.blur(); // the number keys work again at once
          }}
        >
          <option value="" disabled>{snap.windowKind ? `Window · ${snap.windowKind}` : "Window"}</option>
          {limPresetLines(snap.limPresets).map((l) => (
            <option key={l.key} value={l.key} data-testid="colorlim-option">{l.text}</option>
          ))}
        </select>
        <span className="muted vt-speed" title="slice step (Shift+X / Shift+Y)">step {snap.scrollSpeed}</span>
      </div>
      <Messages messages={snap.messages} onDismiss={(id) => engine.dismiss(id)} onClear={() => engine.clearMessages()} />
      {autoOpen ? (
        <AutoloaderPanel
          presets={auto.presets}
          current={auto.presetName}
          definition={auto.definition}
          enabled={auto.enabled}
          busy={auto.busy}
          onEnabled={auto.setEnabled}
          onChoose={(name) => auto.choose(name)}
          onChange={auto.setDefinition}
          onSave={props.guest ? null : (name, shared) => void auto.save(name, shared)}
          onDelete={() => void auto.remove()}
          onSnapshot={(mode) => void auto.snapshot(mode).then((done) => done && setAutoOpen(true))}
          onRelaunch={() => {
            if (props.selection) void auto.run(auto.definition, props.selection.pid, props.selection.sid);
            else engine.message("Select a case in the table first", "info");
          }}
          onClose={() => setAutoOpen(false)}
        />
      ) : null}
      {roiOpen && tools.roi ? (
        <RoiToolWindow tool={roiTool} project={project} rights={props.rights ?? { write: false, download: false }}
          onStats={() => setRoiStatsOpen(true)} onClose={() => setRoiOpen(false)} />
      ) : null}
      <PolygonLayer tool={roiTool} />
      <AssistantLayer tool={roiTool} />
      <PenCursor tool={roiTool} />
      {roiStatsOpen ? <RoiStatsWindow tool={roiTool} onClose={() => setRoiStatsOpen(false)} /> : null}
      {nextCaseAsk}
      {links.asking && links.link ? (
        <div className="share-box" data-testid="share-choice" role="dialog" aria-label="Share">
          <span>
            Current link <b>{links.link.title || links.link.link}</b>
            {links.link.owner ? ` (by ${links.link.owner})` : ""}:
          </span>
          <button data-testid="share-overwrite" onClick={() => void links.share(true)} title="replace what the link shows with this view">
            Overwrite that link
          </button>
          <button data-testid="share-new" onClick={() => void links.share(false)}>New link</button>
          <button onClick={() => links.setAsking(false)}>Cancel</button>
        </div>
      ) : null}
      {links.open && links.link ? (
        <div className="share-box" data-testid="share-box">
          Link:{" "}
          <input data-testid="share-url" readOnly value={`${window.location.origin}${links.link.url}`} onFocus={(e) => e.target.select()} />
          <button onClick={() => links.setOpen(false)}>×</button>
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
