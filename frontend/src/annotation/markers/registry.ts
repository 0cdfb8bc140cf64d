/**
 * The one marker workspace and marker view of a viewer engine: the tool window, the autoloader's
 * annotation loaders and the browser tests reach the same sets.
 */
import type { ViewerEngine } from "../../viewer/engine";
import { MarkerView } from "./view";
import { MarkerWorkspace } from "./workspace";

export interface Markers {
  ws: MarkerWorkspace;
  view: MarkerView;
}

declare global {
  interface Window {
    /** the viewer's marker sets and their drawing (the browser tests read them) */
    noraMarkers?: Markers;
  }
}

const all = new WeakMap<ViewerEngine, Markers>();

export function markersOf(engine: ViewerEngine): Markers {
  let m = all.get(engine);
  if (!m) {
    const ws = new MarkerWorkspace();
    m = { ws, view: new MarkerView(engine, ws) };
    // the pen owns the viewers' left click while it is on; another tool taking it turns the pen off
    engine.leftClick.register("markers", () => ws.setPen(false));
    ws.subscribe(() => engine.leftClick.set("markers", ws.pen));
    all.set(engine, m);
    window.noraMarkers = m;
  }
  return m;
}
