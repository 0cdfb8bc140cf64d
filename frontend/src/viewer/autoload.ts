/**
 * Running an autoloader preset on one case: the server's answer (which file each loader matched) turned
 * into loads in the engine's viewports, keeping what the viewports already show of it.
 */
import type { ArchiveFile } from "../api/types";
import type { AutoloaderDef, viewerApi } from "./api";
import type { ViewerEngine } from "./engine";
import { defaultLook, MAX_VIEWPORTS, viewportCount, type Look, type Role, type Source } from "./model";

export type AutoloadAnswer = Awaited<ReturnType<typeof viewerApi.autoload>>;
type Intent = AutoloadAnswer["loaders"][number]["intent"];

interface Wanted {
  source: Source;
  role: Role;
  look: Partial<Look>;
  index: number;
}

/** The look a loader's intent asks for (only what it sets). */
export function intentLook(intent: Intent): Partial<Look> {
  const look: Partial<Look> = {};
  if (intent.colormap) look.colormap = intent.colormap;
  if (intent.cal_min !== null && intent.cal_min !== undefined) look.calMin = intent.cal_min;
  if (intent.cal_max !== null && intent.cal_max !== undefined) look.calMax = intent.cal_max;
  if (intent.opacity !== null && intent.opacity !== undefined) look.opacity = intent.opacity;
  if (intent.frame !== null && intent.frame !== undefined) look.frame = intent.frame;
  if (intent.outline) look.outline = true;
  return look;
}

/** What `look` sets differently from `first`. */
function differing(look: Partial<Look>, first: Partial<Look>): Partial<Look> {
  const out: Partial<Look> = {};
  for (const k of Object.keys(look) as (keyof Look)[]) {
    if (!Object.is(look[k], first[k])) (out as Record<string, unknown>)[k] = look[k];
  }
  return out;
}

/** Show the files of `answer` (the server's resolution of `def` for case `label`) in the engine. */
export async function applyAutoload(
  engine: ViewerEngine,
  def: AutoloaderDef,
  answer: AutoloadAnswer,
  label: string,
  sourceOf: (file: ArchiveFile) => Source | null,
  generation: number,
) {
  if (generation !== engine.generation) return; // another case was opened meanwhile
  if (answer.layout) engine.setLayout(answer.layout);
  const count = viewportCount(engine.layout);
  const wanted: Wanted[] = [];
  for (const loader of answer.loaders) {
    const entry = def.loaders[loader.index];
    const name = `loader ${loader.index + 1} (${entry?.pattern ?? "?"})`;
    const file = loader.files[0];
    if (!file) {
      engine.message(`No file matches ${name} for ${label}`);
      continue;
    }
    const source = sourceOf(file);
    if (!source) {
      engine.message(`${name}: ${file.path} is not a format the viewer shows`);
      continue;
    }
    const look = intentLook(loader.intent);
    for (const index of loader.viewports) {
      if (index >= count) {
        engine.message(`The preset's ${name} names viewport ${index + 1}; the ${engine.layout} layout has ${count}`);
        continue;
      }
      wanted.push({ source, role: loader.intent.role, look, index });
      if (loader.intent.slice) engine.setSlice(index, loader.intent.slice);
    }
  }
  for (let index = 0; index < MAX_VIEWPORTS; index++) {
    engine.retain(index, new Set(wanted.filter((w) => w.index === index).map((w) => w.source.key)));
  }
  // A loader's intent is the starting look of the object it loads (the user's later changes win); only
  // a second loader of the same file asking for another look keeps that look in its own viewport.
  const firstLook = new Map<string, Partial<Look>>();
  for (const w of wanted) if (!firstLook.has(w.source.key)) firstLook.set(w.source.key, w.look);
  await Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const mine = wanted.filter((w) => w.index === index);
      // Backgrounds first, so overlays land on top of them.
      const ordered = [...mine.filter((w) => w.role === "background"), ...mine.filter((w) => w.role !== "background")];
      for (const w of ordered) {
        if (engine.shows(index, w.source.key)) continue;
        const first = firstLook.get(w.source.key) ?? {};
        const look = { ...defaultLook(w.role, 0), ...first };
        const ok = await engine.load(w.source, index, w.role, look, generation);
        const own = differing(w.look, first);
        if (ok && Object.keys(own).length > 0) engine.override(index, w.source.key, own);
      }
    }),
  );
  engine.setActive(Math.min(answer.main_viewport, count - 1));
}
