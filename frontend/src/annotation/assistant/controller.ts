/**
 * The segmentation assistant as a pen of the ROI tool (docs/segmentation-assistant.md): its modes
 * (point, scribble, box, lasso), the sign of the next drawing, a server session per ROI of the page (and
 * so per image: an ROI has one reference), the interactions on their way, and the results. Each answer's
 * result replaces the ROI's content through the ROI workspace's `replace`, so it is one step of the ROI's
 * undo history and the ROI tool's Save stores it. Making another ROI current keeps the first ROI's
 * session: coming back to it goes on with its interactions (the server holds a few per user and ends the
 * least recently used; an ended one is opened again from the ROI's content by itself).
 *
 * Ctrl+Z of an assistant step (the ROI's history undoing the change an answer landed) is the session's
 * undo on the server too, and Ctrl+Shift+Z sends that interaction again, so the next interaction goes on
 * in the same session from what the ROI shows. When the ROI was changed otherwise since its last result
 * (another pen, an operation), the next interaction opens a new session from the ROI's content as it is
 * then. NORA's N: the next interaction's answer changes the ROI on the current slice only (`armSlices`),
 * or on the slices between where N was pressed and released. Interactions are sent one after the other
 * (the server computes them in order); the user can draw the next one while the last is computed, and only
 * the answer of the highest `version` is shown. No niivue here: the press handling is in `gestures.ts`.
 */
import type { Vec3 } from "../grid";
import type { Change } from "../history";
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

/** NORA's N armed: the next interaction changes these slices only (null ends: the interaction's own slice). */
export interface SliceHold {
  from: Vec3 | null;
  to: Vec3 | null;
}

/** One server interaction as the page knows it: what was sent and the change of the ROI its answer made. */
interface Step {
  sent: AssistantInteraction | null;
  change: Change | null;
}

export interface Open {
  session: AssistantSession;
  roiId: number;
  shown: number;
  /** the ROI's history depth when the last result landed: another depth means the user changed the ROI */
  depth: number;
  /** per interaction the server holds, oldest first */
  steps: Step[];
  /** the steps Ctrl+Z took back, newest last (Ctrl+Shift+Z sends them again) */
  undone: Step[];
}

type Answer = { version: number; interactions: number; result: AssistantResult };

export class AssistantController {
  mode: Mode = "point";
  /** the sign of a drawing made with the left button (the right button draws the other sign) */
  positive = true;
  /** Q held: clicks are collected and sent together when it is released */
  collecting = false;
  draft: Draft | null = null;
  /** NORA's N: the next interaction's answer changes these slices only (null: the whole 3D result) */
  slices: SliceHold | null = null;
  /** requests under way (the busy indicator) */
  busy = 0;
  error: string | null = null;
  note: string | null = null;
  project: string | null = null;
  /** the patchwork model whose output the next session starts from (null: none) */
  model: number | null = null;
  /** the page's sessions, by ROI (each ROI is on one image) */
  private sessions = new Map<number, Open>();
  private opening = new Map<number, Promise<Open>>();
  private chain: Promise<unknown> = Promise.resolve();
  private version = 0;
  private listeners = new Set<() => void>();

  constructor(private readonly ws: RoiWorkspace) {
    ws.onHistory = (r, change, undo) => (undo ? this.undone(r, change) : this.redone(r, change));
  }

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  private changed(): void {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }

  /** The current ROI's session (null: none open for it). */
  get open(): Open | null {
    const id = this.ws.currentId;
    return id === null ? null : (this.sessions.get(id) ?? null);
  }

  /** The current ROI's session's backend ("builtin", "patchwork", "nninteractive") once one is open. */
  get backend(): string | null {
    return this.open?.session.backend ?? null;
  }

  /** The current ROI when it has an open session (null: none). */
  get roiId(): number | null {
    return this.open?.roiId ?? null;
  }

  /** How many interactions the current ROI's session holds. */
  get interactions(): number {
    return this.open?.steps.length ?? 0;
  }

  /** The ROIs with a session in the page. */
  get sessionRois(): number[] {
    return [...this.sessions.keys()];
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

  /** N: arm (or, armed for one slice, disarm) the next interaction for the current slice only; `from` and
   * `to` given (N held while moving to another slice): for the slices between them. */
  armSlices(from: Vec3 | null = null, to: Vec3 | null = null): void {
    this.slices = this.slices && from === null ? null : { from, to };
    this.changed();
  }

  /** Q pressed (collect the next clicks) or released (send what was collected as one interaction). */
  setCollecting(on: boolean): void {
    if (this.collecting === on) return;
    this.collecting = on;
    const draft = this.draft;
    if (!on && draft?.kind === "point" && draft.points.length > 0) {
      this.draft = null;
      this.send({ kind: "points", points: draft.points, positive: draft.positive }, draft.plane);
    }
    this.changed();
  }

  /** A click of the point mode: sent at once, or collected while Q is held. */
  point(at: Vec3, positive: boolean, where: { viewport: number; tile: number; plane: Plane }): void {
    if (!this.collecting) {
      this.send({ kind: "points", points: [at], positive: [positive] }, where.plane);
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
    if (d.kind === "scribble" && d.points.length >= 1) this.send({ kind: "scribble", points: d.points, positive }, d.plane);
    else if (d.kind === "box" && d.points.length === 2) this.send({ kind: "box", plane: d.plane, corners: d.points, positive }, d.plane);
    else if (d.kind === "lasso") {
      if (d.points.length < 3) this.fail("draw the lasso around a region: it needs at least 3 points");
      else this.send({ kind: "lasso", plane: d.plane, points: d.points, positive }, d.plane);
    }
  }

  /** Add the ROI's current content in the page (saved or not) as a mask interaction. */
  startFromRoi(): void {
    const r = this.ws.current;
    if (!r) return this.fail("choose the ROI to segment first (make it current)");
    void (async () => {
      const packed = await encodeMask(r.roi.data, r.roi.grid.dims);
      if (!packed) return this.fail(`${r.name} is empty: draw or load its content first`);
      this.send({ kind: "mask", roi: null, file_id: null, packed, positive: true });
    })();
  }

  /** Choose the patchwork model (or none) and start a session from its output on the image now. */
  startFromModel(model: number | null): void {
    this.model = model;
    const roi = this.ws.current;
    if (roi) this.forget(roi.id);
    if (model !== null) this.run(async (o) => ({ ...o.session, interactions: o.steps.length }), null);
    else this.changed();
  }

  /** End the session of ROI `id` (a new one opens with its next interaction). */
  private forget(id: number): void {
    const old = this.sessions.get(id);
    this.sessions.delete(id);
    if (old && this.project) void assistant.close(this.project, old.session.id).catch(() => undefined);
  }

  /** Undo step: the ROI's undo where its last change is the session's last answer (the server forgets that
   * interaction with it, see `undone`); else the server forgets it and the ROI shows the result before it. */
  undo(): void {
    const roi = this.ws.current;
    const o = this.open;
    const top = o?.steps[o.steps.length - 1];
    if (roi && o && top?.change && roi.history.top === top.change && o.depth === roi.history.depth) {
      this.ws.undo(roi.id);
      return;
    }
    this.run(async (o) => {
      const answer = await assistant.undo(this.need(), o.session.id);
      o.steps.pop();
      o.undone = [];
      return answer;
    }, null);
  }

  /** Reset: the server forgets every interaction; the ROI is empty again (Ctrl+Z restores it). */
  reset(): void {
    this.run(async (o) => {
      const answer = await assistant.reset(this.need(), o.session.id);
      o.steps = [];
      o.undone = [];
      return answer;
    }, null);
  }

  /** Accept (Enter): the result stays in the ROI (save it with the ROI tool), the ROI's session ends. */
  accept(): void {
    const o = this.open;
    this.draft = null;
    if (!o) return this.changed();
    this.chain = this.chain.then(async () => {
      this.sessions.delete(o.roiId);
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

  /** Send one interaction drawn on `plane` (N armed: its answer is held to the slices). */
  send(interaction: AssistantInteraction, plane: Plane | null = null): void {
    const hold = this.slices;
    let body = interaction;
    if (hold && plane) {
      const own = firstPoint(interaction);
      const from = hold.from ?? own;
      if (from) body = { ...interaction, slices: { plane, from, to: hold.to ?? null } };
      this.slices = null;
    }
    this.run(async (o) => {
      const answer = await assistant.add(this.need(), o.session.id, body);
      o.steps.push({ sent: body, change: null });
      o.undone = [];
      return answer;
    }, body);
  }

  private fail(text: string): void {
    this.error = text;
    this.changed();
  }

  /** One request after the others; its answer lands in the ROI when it is the newest. `retry`: the
   * interaction to send again in a new session when the server has ended this one (expired, or the user's
   * least recently used beyond the server's bound). */
  private run(call: (o: Open) => Promise<Answer>, retry: AssistantInteraction | null): void {
    const roi = this.ws.current;
    if (!roi) return this.fail("choose the ROI to segment first (make it current)");
    this.busy += 1;
    this.error = null;
    this.note = null;
    this.changed();
    this.chain = this.chain.then(async () => {
      try {
        for (let attempt = 0; ; attempt++) {
          const o = await this.sessionFor(roi);
          try {
            const step = await call(o);
            await this.show(o, roi, step.version, step.result, retry !== null);
            return;
          } catch (err) {
            if (!/no assistant session/.test(String(err)) || this.sessions.get(roi.id) !== o) throw err;
            this.sessions.delete(roi.id); // ended on the server: the next try opens one from the ROI as it is
            if (attempt > 0 || retry === null) throw err;
          }
        }
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
      } finally {
        this.busy -= 1;
        this.changed();
      }
    });
  }

  /** The open session of `roi`, or a new one from the ROI's content as it is now. */
  private async sessionFor(roi: OpenRoi): Promise<Open> {
    this.prune();
    const have = this.sessions.get(roi.id);
    // the ROI changed outside the assistant (another pen, an operation): the next step starts from it as it is now
    if (have && this.ws.byId(roi.id) && have.depth === roi.history.depth) return have;
    if (have) this.forget(roi.id);
    if (!roi.case || roi.reference.fileId === null) {
      throw new Error(`${roi.name}: the assistant works on ROIs of an archive image of a study (its reference is ${roi.reference.path || "local"})`);
    }
    let opening = this.opening.get(roi.id);
    if (!opening) {
      opening = this.openFor(roi, roi.reference.fileId);
      this.opening.set(roi.id, opening);
    }
    try {
      const o = await opening;
      this.sessions.set(roi.id, o);
      return o;
    } finally {
      this.opening.delete(roi.id);
    }
  }

  private async openFor(roi: OpenRoi, fileId: number): Promise<Open> {
    // the ROI's current content (saved or not) is where the assistant starts, unless a model proposes it
    const packed = roi.voxels > 0 && this.model === null ? await encodeMask(roi.roi.data, roi.roi.grid.dims) : null;
    const initial: InitialMask | undefined = packed ? { kind: "mask", roi: null, file_id: null, packed, positive: true } : undefined;
    const session = await assistant.open(this.need(), fileId, roi.name, initial, this.model);
    const dims = roi.roi.grid.dims;
    if (!session.matrix.every((n, a) => n === dims[a])) {
      void assistant.close(this.need(), session.id).catch(() => undefined);
      throw new Error(`${roi.name} (${dims.join("×")}) is not on its image's grid (${session.matrix.join("×")}): start a new ROI on the image`);
    }
    // its result (a model's proposal) is shown too; the initial mask is an interaction no Ctrl+Z takes back
    const steps: Step[] = session.history.map(() => ({ sent: null, change: null }));
    return { session, roiId: roi.id, shown: -1, depth: roi.history.depth, steps, undone: [] };
  }

  /** Sessions of ROIs no longer open in the page end. */
  private prune(): void {
    for (const id of [...this.sessions.keys()]) if (!this.ws.byId(id)) this.forget(id);
  }

  /** `landed`: the answer of an interaction (its change of the ROI is that step's, for Ctrl+Z). */
  private async show(o: Open, roi: OpenRoi, version: number, result: AssistantResult, landed: boolean): Promise<void> {
    if (version <= o.shown || this.sessions.get(roi.id) !== o) return;
    const mask = await decodeResult(result, o.session.matrix);
    if (version <= o.shown || !this.ws.byId(roi.id)) return;
    o.shown = version;
    const before = roi.history.depth;
    this.ws.replace(roi, mask);
    const last = o.steps[o.steps.length - 1];
    if (landed && last && roi.history.depth > before) last.change = roi.history.top ?? null;
    o.depth = roi.history.depth;
  }

  /** The ROI's history undid `change`: where it is the session's last answer, the server undoes it too
   * (with the interactions after it whose answers changed nothing in the ROI). */
  private undone(roi: OpenRoi, change: Change): void {
    const o = this.sessions.get(roi.id);
    if (!o || o.depth !== roi.history.depth + 1) return;
    let at = o.steps.length - 1;
    while (at >= 0 && o.steps[at]!.change === null && o.steps[at]!.sent !== null) at--;
    if (at < 0 || o.steps[at]!.change !== change) return;
    if (this.busy > 0) return; // an interaction is on its way: the server's last is not this one (the next opens anew)
    const taken = o.steps.splice(at);
    o.undone.push(taken[0]!); // Ctrl+Shift+Z sends the one whose change it redoes
    o.depth = roi.history.depth;
    for (let n = 0; n < taken.length; n++) this.quietly(roi, o, () => assistant.undo(this.need(), o.session.id));
  }

  /** The ROI's history redid `change`: where Ctrl+Z took it back from the session, the interaction goes
   * to the server again (the ROI already shows its result). */
  private redone(roi: OpenRoi, change: Change): void {
    const o = this.sessions.get(roi.id);
    const step = o?.undone[o.undone.length - 1];
    if (!o || !step || step.change !== change || !step.sent || o.depth !== roi.history.depth - 1) return;
    o.undone.pop();
    o.steps.push(step);
    o.depth = roi.history.depth;
    const sent = step.sent;
    this.quietly(roi, o, () => assistant.add(this.need(), o.session.id, sent));
  }

  /** A server call whose answer the ROI shows already (Ctrl+Z, Ctrl+Shift+Z): only its version counts. */
  private quietly(roi: OpenRoi, o: Open, call: () => Promise<Answer>): void {
    this.busy += 1;
    this.changed();
    this.chain = this.chain.then(async () => {
      try {
        const answer = await call();
        o.shown = Math.max(o.shown, answer.version);
      } catch (err) {
        // the session has ended or failed: the next interaction opens a new one from the ROI as it is
        if (this.sessions.get(roi.id) === o) this.sessions.delete(roi.id);
        this.error = err instanceof Error ? err.message : String(err);
      } finally {
        this.busy -= 1;
        this.changed();
      }
    });
  }
}

/** A point of the interaction on its plane (a click, the first point of a drawing). */
function firstPoint(i: AssistantInteraction): Vec3 | null {
  if (i.kind === "box") return (i.corners[0] as Vec3 | undefined) ?? null;
  if (i.kind === "mask") return null;
  return (i.points[0] as Vec3 | undefined) ?? null;
}

