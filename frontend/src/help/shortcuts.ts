/**
 * The keyboard and mouse shortcuts of each tool, for the help overlay (`?`). One list per tool; a tool
 * that adds keys adds its rows here (docs/viewer.md's table says the same for the viewer).
 */

export type ToolId = "viewer" | "table" | "files" | "reading" | "markers";

export interface Shortcut {
  keys: string;
  action: string;
}

export interface ToolHelp {
  id: ToolId;
  title: string;
  rows: Shortcut[];
}

export const TOOLS: ToolHelp[] = [
  {
    id: "viewer",
    title: "Viewer",
    rows: [
      { keys: "Wheel", action: "change slice (by the step size)" },
      { keys: "Ctrl + wheel", action: "zoom (2D views)" },
      { keys: "Shift + wheel", action: "4D: next / previous time point; mosaic: more / fewer columns" },
      { keys: "Left click / drag", action: "move the crosshair" },
      { keys: "Shift + left drag", action: "pan this viewport" },
      { keys: "Ctrl + left drag, Shift + right drag", action: "pan all 2D viewports together" },
      { keys: "Ctrl + Shift + left click", action: "4D: pin a time-series plot at the point" },
      { keys: "Right drag", action: "pan" },
      { keys: "Middle drag", action: "window (colour limits)" },
      { keys: "0 … 8", action: "colour-limit presets (the toolbar's Window list)" },
      { keys: "X / Y, Z", action: "one slice step forward / back in the viewport under the mouse" },
      { keys: "Shift + X / Shift + Y", action: "larger / smaller step size" },
      { keys: "↑ / ↓", action: "previous / next case of the table (autoload runs)" },
      { keys: "S", action: "viewer settings" },
      { keys: "R", action: "reset the crosshair" },
      { keys: "C / Shift + C", action: "centre on the crosshair / reset zoom and pan" },
      { keys: "Hold Shift while changing the viewbar", action: "change this viewport only" },
      { keys: "Measure: Distance / Rectangle / Ellipse", action: "left drag measures (List: results, Clear)" },
      { keys: "Measure: Angle", action: "drag the first line, click the end of the second" },
      { keys: "Esc", action: "close boxes and the time-series plot; ROI tool: no drawing target" },
      { keys: "D", action: "ROI tool (toolbar “ROI”)" },
      { keys: "ROI: left / right drag", action: "paint / erase on the current ROI with the pen (every 2D viewport and mosaic tile; in 3D a sphere at the rendered surface)" },
      { keys: "ROI: Shift + wheel, Alt + drag", action: "pen size" },
      { keys: "ROI: Space", action: "drawing on / off (hold Shift: suspended, the viewer's Shift gestures work); drawing, the marker pen and measuring share the left click: choosing one ends the other" },
      { keys: "ROI: V", action: "hide / restore all ROIs" },
      { keys: "ROI: Ctrl + Z / Ctrl + Shift + Z", action: "undo / redo on the current ROI" },
      { keys: "ROI: Polygon pen", action: "click or drag points, drag a point to move it, right click removes the last; Render" },
      { keys: "ROI: 3D region growing", action: "press on the seed, drag right / left: more / less similar voxels" },
      { keys: "ROI: W", action: "the assistant pen on the current ROI (again: the plain pen)" },
      { keys: "Assistant: left / right click", action: "point mode: part of the structure / not part; hold Q to send several points at once" },
      { keys: "Assistant: drag", action: "scribble, box or lasso with the chosen sign (+ / -); right drag: the other sign" },
      { keys: "Assistant: N", action: "the next interaction changes the ROI on its slice only (again: not); hold N while moving to another slice, release: on the slices between" },
      { keys: "Assistant: Ctrl + Z / Ctrl + Shift + Z", action: "undo / redo an assistant step, on the server too: the next interaction goes on in the same session" },
      { keys: "Assistant: Enter", action: "accept: the result stays in the ROI, the session ends (save with the ROI's Save)" },
      { keys: "?", action: "this help" },
    ],
  },
  {
    id: "table",
    title: "Study table",
    rows: [
      { keys: "↑ / ↓, Page Up / Page Down", action: "previous / next row (page)" },
      { keys: "Home / End", action: "first / last row" },
      { keys: "Right click, Menu key, Shift + F10", action: "tags of the row" },
      { keys: "Esc in a filter field", action: "clear that filter" },
      { keys: "t1* mpr* & STAG:control", action: "filter syntax: spaces = or, & = and, * and _ wildcards" },
      { keys: "?", action: "this help" },
    ],
  },
  {
    id: "files",
    title: "Files panel",
    rows: [
      { keys: "Double click", action: "show the file in the next free viewport" },
      { keys: "Drag", action: "drop the file into a viewport" },
      { keys: "Right click", action: "file tags, rename, move to trash" },
      { keys: "Upload… / Trash", action: "add files to the study; restore trashed files" },
      { keys: "?", action: "this help" },
    ],
  },
  {
    id: "reading",
    title: "Reading",
    rows: [
      { keys: "Alt + N, Enter, Space", action: "next unrated case" },
      { keys: "↑ / ↓", action: "previous / next case of the reading" },
      { keys: "0 … 9 (and the numpad)", action: "the form item with that shortcut: next option, toggle, next point" },
      { keys: "Shift / Ctrl / CapsLock + 0 … 9", action: "the form items 10 … 19" },
      { keys: "Esc", action: "close the reading window" },
      { keys: "?", action: "this help" },
    ],
  },
  {
    id: "markers",
    title: "Marker tool",
    rows: [
      { keys: "M", action: "open / close the marker tool (toolbar: Markers)" },
      { keys: "Left click in a 2D viewport", action: "with “Add points” on: a point of the current set, at the click" },
      { keys: "Shift + left click in 3D", action: "with “Add points” on: a point on the rendered surface" },
      { keys: "Shift + right click", action: "with “Add points” on: delete the point under the pointer (2D)" },
      { keys: "Shift + wheel in 3D", action: "with “Add points” on: marker size of the current set" },
      { keys: "Click a point in the list", action: "go to the point (every viewport)" },
      { keys: "Delete / Backspace", action: "delete the selected point" },
      { keys: "Esc", action: "close the marker tool" },
      { keys: "?", action: "this help" },
    ],
  },
];

/** The tool a page element belongs to (where the mouse or the focus last was). */
export function toolOf(el: Element | null): ToolId {
  if (el?.closest('[data-testid="files-panel"]')) return "files";
  if (el?.closest('[data-testid="marker-tool"]')) return "markers";
  if (el?.closest(".study-table")) return "table";
  if (el?.closest('[data-testid="reading-case"]')) return "reading";
  return "viewer";
}
