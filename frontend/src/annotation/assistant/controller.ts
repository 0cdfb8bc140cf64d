/**
 * The segmentation assistant as a pen of the ROI tool (docs/segmentation-assistant.md): its modes
 * (point, scribble, box, lasso), the sign of the next drawing, the server session of the current ROI, the
 * interactions on their way, and the result. Each answer's result replaces the ROI's content through the
 * ROI workspace's `replace`, so it is one step of the ROI's undo history (Ctrl+Z undoes it like a stroke)
 * and the ROI tool's Save stores it. Interactions are sent one after the other (the server computes them
 * in order); the user can draw the next one while the last is computed, and only the answer of the
 * highest `version` is shown. When the ROI was changed outside the assistant since its last result (another
 * pen, Ctrl+Z), the next interaction opens a new session from the ROI's content as it is then. No niivue
 * here: the press handling is in `gestures.ts`.
 */
import type { Vec3 } from "../grid";
import type { OpenRoi, RoiWorkspace } from "../roi/workspace";
import { assistant, type AssistantInteraction, type AssistantResult, type AssistantSession, decodeResult, encodeMask, type InitialMask } from "./api";

export type Mode = "point" | "scribble" | "box" | "lasso";
export type Plane = "axial" | "coronal" | "sagittal";

export const MODES: { id: Mode; label: string; title: string }[] = [
  { id: "point", label: "Point", title: "left click: part of the structure, right click: not part (hold Q to send several at once)" },
  { id: "scribble", label: "Scribble", title: "draw over the structure (+) or over what is not part of it (-)" },
  { id: "box", label: "Box", title: "a box around the structure on the current slice (+), or around what to remove (-)" },
  { id: "lasso", label: "Lasso", title: "an outline of the structure on the current slice (+), or of what to remove (-)" },
];

/** A drawing in progress (or points collected while Q is held) in one tile of one viewport. */
export interface Draft {
  viewport: number;
  tile: number;
  plane: Plane;
  kind: Mode;
  /** world mm */
  points: Vec3[];
  /** per point for points, one sign for a drawing */
  positive: boolean[];
}

interface Open {
  session: AssistantSession;
  roiId: number;
  shown: number;
  /** the ROI's history depth when the last result landed: another depth means the user changed the ROI */
  depth: number;
}

export class AssistantController {
  mode: Mode = "point";
  /** the sign of a drawing made with the left button (the right button draws the other sign) */
  positive = true;
  /** Q held: clicks are collected and sent together when it is released */
  collecting = false;
  draft: Draft | null = null;
  /** requests under way (the busy indicator) */
  busy = 0;
  error: string | null = null;
  note: string | null = null;
  /** how many interactions the server's session holds */
  interactions = 0;
  project: string | null = null;
  /** the patchwork model whose output the next session starts from (null: none) */
  model: number | null = null;
  private open: Open | null = null;
  private opening: Promise<Open> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private version = 0;
  private listeners = new Set<() => void>();

  constructor(private readonly ws: RoiWorkspace) {}

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }

  /** The session's backend ("builtin", "patchwork", "nninteractive") once one is open. */
  get backend(): string | null {
    return this.open?.session.backend ?? null;
  }

  /** The ROI the open session works on (null: none open). */
  get roiId(): number | null {
    return this.open?.roiId ?? null;
  }

  setMode(mode: Mode): void {
    this.mode = mode;
    this.draft = null;
    this.changed();
  }

  setPositive(positive: boolean): void {
    this.positive = positive;
    this.changed();
  }

  setDraft(draft: Draft | null): void {
    this.draft = draft;
    this.changed();
  }

  /** Q pressed (collect the next clicks) or released (send what was collected as one interaction). */
  setCollecting(on: boolean): void {
    if (this.collecting === on) return;
    this.collecting = on;
    const draft = this.draft;
    if (!on && draft?.kind === "point" && draft.points.length > 0) {
      this.draft = null;
      this.send({ kind: "points", points: draft.points, positive: draft.positive });
    }
    this.changed();
  }

  /** A click of the point mode: sent at once, or collected while Q is held. */
  point(at: Vec3, positive: boolean, where: { viewport: number; tile: number; plane: Plane }): void {
    if (!this.collecting) {
      this.send({ kind: "points", points: [at], positive: [positive] });
      return;
    }
    const d = this.draft?.kind === "point" ? this.draft : { ...where, kind: "point" as const, points: [], positive: [] };
    this.setDraft({ ...d, points: [...d.points, at], positive: [...d.positive, positive] });
  }

  /** A finished scribble, box or lasso (the draft) sent as one interaction. */
  finishDrawing(): void {
    const d = this.draft;
    if (!d || d.kind === "point") return;
    this.setDraft(null);
    const positive = d.positive[0] ?? true;
    if (d.kind === "scribble" && d.points.length >= 1) this.send({ kind: "scribble", points: d.points, positive });
    else if (d.kind === "box" && d.points.length === 2) this.send({ kind: "box", plane: d.plane, corners: d.points, positive });
    else if (d.kind === "lasso") {
      if (d.points.length < 3) this.fail("draw the lasso around a region: it needs at least 3 points");
      else this.send({ kind: "lasso", plane: d.plane, points: d.points, positive });
    }
  }

  /** Add the ROI's current content in the page (saved or not) as a mask interaction. */
  startFromRoi(): void {
    const r = this.ws.current;
    if (!r) return this.fail("choose the ROI to segment first (make it current)");
    this.run(async (o) => {
      const packed = await encodeMask(r.roi.data, r.roi.grid.dims);
      if (!packed) throw new Error(`${r.name} is empty: draw or load its content first`);
      return assistant.add(this.need(), o.session.id, { kind: "mask", roi: null, file_id: null, packed, positive: true });
    });
  }

  /** Choose the patchwork model (or none) and start a session from its output on the image now. */
  startFromModel(model: number | null): void {
    this.model = model;
    this.forget();
    if (model !== null) this.run(async (o) => o.session);
    else this.changed();
  }

  /** End the open session (a new one opens with the next interaction). */
  private forget(): void {
    const old = this.open;
    this.open = null;
    this.interactions = 0;
    if (old && this.project) void assistant.close(this.project, old.session.id).catch(() => undefined);
  }

  /** The assistant's own undo: the server forgets the last interaction; the ROI shows the result before it. */
  undo(): void {
    this.run(async (o) => assistant.undo(this.need(), o.session.id));
  }

  /** Reset: the server forgets every interaction; the ROI is empty again (Ctrl+Z restores it). */
  reset(): void {
    this.run(async (o) => assistant.reset(this.need(), o.session.id));
  }

  /** Accept (M): the result stays in the ROI (save it with the ROI tool), the session ends. */
  accept(): void {
    const o = this.open;
    this.draft = null;
    if (!o) return this.changed();
    this.chain = this.chain.then(async () => {
      this.open = null;
      this.interactions = 0;
      this.note = "accepted: the result is in the ROI; save it with the ROI's Save";
      this.changed();
      try {
        await assistant.close(this.need(), o.session.id);
      } catch {
        // an expired session is gone already
      }
    });
  }

  /** The chain of requests settled (tests, the page's busy indicator). */
  idle(): Promise<unknown> {
    return this.chain;
  }

  private need(): string {
    if (!this.project) throw new Error("choose a project first: the assistant works on archive images");
    return this.project;
  }

  send(interaction: AssistantInteraction): void {
    this.run(async (o) => assistant.add(this.need(), o.session.id, interaction));
  }

  private fail(text: string): void {
    this.error = text;
    this.changed();
  }

  /** One request after the others; its answer lands in the ROI when it is the newest. */
  private run(call: (o: Open) => Promise<{ version: number; interactions: number; result: AssistantResult }>): void {
    const roi = this.ws.current;
    if (!roi) return this.fail("choose the ROI to segment first (make it current)");
    this.busy += 1;
    this.error = null;
    this.note = null;
    this.changed();
    this.chain = this.chain.then(async () => {
      try {
        const o = await this.sessionFor(roi);
        const step = await call(o);
        await this.show(o, roi, step.version, step.interactions, step.result);
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        if (/no assistant session/.test(text)) this.open = null; // expired: the next interaction opens a new one
        this.error = text;
      } finally {
        this.busy -= 1;
        this.changed();
      }
    });
  }

  /** The open session of `roi`, or a new one (a session of another ROI ends). */
  private async sessionFor(roi: OpenRoi): Promise<Open> {
    // the ROI changed outside the assistant (another pen, Ctrl+Z): the next step starts from it as it is now
    if (this.open?.roiId === roi.id && this.ws.byId(roi.id) && this.open.depth === roi.history.depth) return this.open;
    this.forget();
    if (!roi.case || roi.reference.fileId === null) {
      throw new Error(`${roi.name}: the assistant works on ROIs of an archive image of a study (its reference is ${roi.reference.path || "local"})`);
    }
    // the ROI's current content (saved or not) is where the assistant starts, unless a model proposes it
    const packed = roi.voxels > 0 && this.model === null ? await encodeMask(roi.roi.data, roi.roi.grid.dims) : null;
    const initial: InitialMask | undefined = packed ? { kind: "mask", roi: null, file_id: null, packed, positive: true } : undefined;
    this.opening ??= assistant.open(this.need(), roi.reference.fileId, roi.name, initial, this.model).then((session) => {
      const dims = roi.roi.grid.dims;
      if (!session.matrix.every((n, a) => n === dims[a])) {
        void assistant.close(this.need(), session.id).catch(() => undefined);
        throw new Error(`${roi.name} (${dims.join("×")}) is not on its image's grid (${session.matrix.join("×")}): start a new ROI on the image`);
      }
      return { session, roiId: roi.id, shown: -1, depth: roi.history.depth }; // its result (a model's proposal) is shown too
    });
    try {
      this.open = await this.opening;
    } finally {
      this.opening = null;
    }
    this.interactions = this.open.session.interactions;
    return this.open;
  }

  private async show(o: Open, roi: OpenRoi, version: number, interactions: number, result: AssistantResult): Promise<void> {
    if (version <= o.shown || this.open !== o) return;
    const mask = await decodeResult(result, o.session.matrix);
    if (version <= o.shown || !this.ws.byId(roi.id)) return;
    o.shown = version;
    this.interactions = interactions;
    this.ws.replace(roi, mask);
    o.depth = roi.history.depth;
  }
}
