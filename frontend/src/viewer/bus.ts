/**
 * How the rest of the desktop talks to the viewer without prop drilling: the files panel opens a file
 * (double-click) or starts dragging one, the study browser opens a study; a preset dropped on a table row runs for that row's case; the
 * URL call or shared link the page was opened with waits here until the desktop and viewer are up.
 */
import { useSyncExternalStore } from "react";
import type { ArchiveFile } from "../api/types";
import type { AutoloaderDef, UrlCallAnswer } from "./api";

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

/** An autoloader preset dragged from the autoloader panel onto a table row carries its name. */
export const PRESET_MIME = "application/x-nora-preset";

type PresetListener = (name: string, pid: string, sid: string) => void;
const presetListeners = new Set<PresetListener>();

export function startPresetDrag(name: string, dataTransfer: DataTransfer) {
  dataTransfer.setData(PRESET_MIME, name);
  dataTransfer.setData("text/plain", name);
  dataTransfer.effectAllowed = "copy";
}

/** Whether a drag carries a preset (its data can be read only on the drop; its type before). */
export function carriesPreset(dataTransfer: DataTransfer | null): boolean {
  return !!dataTransfer && Array.from(dataTransfer.types).includes(PRESET_MIME);
}

/** A preset was dropped on a table row: the viewer runs it for that case. */
export function applyPreset(name: string, pid: string, sid: string) {
  for (const fn of presetListeners) fn(name, pid, sid);
}

export function onApplyPreset(fn: PresetListener): () => void {
  presetListeners.add(fn);
  return () => presetListeners.delete(fn);
}

/** A reading opens a case with its own autoloader (its viewer context), whatever preset the user chose. */
type DefinitionListener = (definition: AutoloaderDef, pid: string, sid: string) => void;
const definitionListeners = new Set<DefinitionListener>();
const prefetchListeners = new Set<DefinitionListener>();

export function applyAutoloader(definition: AutoloaderDef, pid: string, sid: string) {
  for (const fn of definitionListeners) fn(definition, pid, sid);
}

export function onApplyAutoloader(fn: DefinitionListener): () => void {
  definitionListeners.add(fn);
  return () => definitionListeners.delete(fn);
}

/** A reading fetches its next case ahead (autoload answer and image bytes) while the reader is on this one. */
export function prefetchCase(definition: AutoloaderDef, pid: string, sid: string) {
  for (const fn of prefetchListeners) fn(definition, pid, sid);
}

export function onPrefetchCase(fn: DefinitionListener): () => void {
  prefetchListeners.add(fn);
  return () => prefetchListeners.delete(fn);
}

/** The viewer's autoloader as it stands (the reading designer's template copies it). */
export let currentAutoloader: { preset: string; definition: AutoloaderDef; layout: string } | null = null;

export function setCurrentAutoloader(value: typeof currentAutoloader) {
  currentAutoloader = value;
}

export function openFile(file: ArchiveFile) {
  for (const fn of openListeners) fn(file);
}

export function onOpenFile(fn: OpenListener): () => void {
  openListeners.add(fn);
  return () => openListeners.delete(fn);
}

/** One series of a study the study browser opens ("Open study"). */
export interface StudyItem {
  file: ArchiveFile;
  kind: "volume" | "mesh" | "tract";
}

type StudyListener = (items: StudyItem[]) => void;
const studyListeners = new Set<StudyListener>();

export function openStudy(items: StudyItem[]) {
  for (const fn of studyListeners) fn(items);
}

export function onOpenStudy(fn: StudyListener): () => void {
  studyListeners.add(fn);
  return () => studyListeners.delete(fn);
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

/**
 * The viewer's say before another case is selected (the arrow keys, a table click, a reading's case):
 * its changed annotation targets are saved or asked about first (annotation/nextcase.ts); it calls `go`
 * when the move may happen, or never (the user stays).
 */
export type LeaveGuard = (next: { pid: string; sid: string }, go: () => void) => void;
let leaveGuard: LeaveGuard | null = null;

export function setLeaveGuard(fn: LeaveGuard): () => void {
  leaveGuard = fn;
  return () => {
    if (leaveGuard === fn) leaveGuard = null;
  };
}

/** Select case `next` by `go`, once the viewer agrees. */
export function leaveCase(next: { pid: string; sid: string }, go: () => void): void {
  if (leaveGuard) leaveGuard(next, go);
  else go();
}

/** The annotation tools the open reading's case view offers (its `tools`); every tool when no reading is open. */
export interface ReadingTools {
  roi: boolean;
  markers: boolean;
  measure: boolean;
}
const ALL_TOOLS: ReadingTools = { roi: true, markers: true, measure: true };
let readingTools: ReadingTools = ALL_TOOLS;
const toolListeners = new Set<() => void>();

/** A reading's case window opened (its `tools` configuration) or closed (null: every tool again). */
export function setReadingTools(tools: Record<string, unknown> | null) {
  readingTools = tools === null ? ALL_TOOLS : { roi: tools["roi"] !== false, markers: tools["markers"] !== false, measure: tools["measure"] !== false };
  for (const fn of toolListeners) fn();
}

/** The tools to show now (re-rendered when a reading opens or closes). */
export function useReadingTools(): ReadingTools {
  return useSyncExternalStore(
    (fn) => {
      toolListeners.add(fn);
      return () => toolListeners.delete(fn);
    },
    () => readingTools,
  );
}
