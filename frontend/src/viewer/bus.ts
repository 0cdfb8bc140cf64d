/**
 * How the rest of the desktop talks to the viewer without prop drilling: the files panel opens a file
 * (double-click) or starts dragging one; the URL call or shared link the page was opened with waits here
 * until the desktop and viewer are up.
 */
import type { ArchiveFile } from "../api/types";
import type { UrlCallAnswer } from "./api";

type OpenListener = (file: ArchiveFile) => void;
const openListeners = new Set<OpenListener>();

/** The archive file being dragged from the files panel (drag data cannot be read before the drop). */
export let dragging: ArchiveFile | null = null;

export const FILE_MIME = "application/x-nora-file";

export function startDrag(file: ArchiveFile, dataTransfer: DataTransfer) {
  dragging = file;
  dataTransfer.setData(FILE_MIME, JSON.stringify(file));
  dataTransfer.setData("text/plain", file.path);
  dataTransfer.effectAllowed = "copy";
}

export function endDrag() {
  dragging = null;
}

export function openFile(file: ArchiveFile) {
  for (const fn of openListeners) fn(file);
}

export function onOpenFile(fn: OpenListener): () => void {
  openListeners.add(fn);
  return () => openListeners.delete(fn);
}

/** What the page's address asked for: a URL call's case, or a shared link. */
export interface PendingCase {
  project: string;
  pid: string | null;
  sid: string | null;
  preset: string | null;
  link: string | null;
}

export let pending: PendingCase | null = null;

export function setPending(value: PendingCase | null) {
  pending = value;
}

export function fromUrlCall(answer: UrlCallAnswer): PendingCase {
  return { project: answer.project, pid: answer.pid, sid: answer.sid, preset: answer.preset, link: null };
}
