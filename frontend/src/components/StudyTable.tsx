/**
 * The subject/study table: file-search bar, sortable headers with a filter bar under each, and a
 * virtualised body that asks for pages of rows as they scroll into view.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, type CSSProperties, type DragEvent, type KeyboardEvent, type MouseEvent, type RefObject } from "react";
import type { Project, StudyRow } from "../api/types";
import { jobSummary } from "../lib/format";
import type { FilterParam, Filters, Sort, SortKey } from "../lib/filters";
import type { StudyPages } from "../state/useStudyPages";
import { applyPreset, carriesPreset, PRESET_MIME } from "../viewer/bus";
import { COLUMNS, GRID_TEMPLATE, ROW_HEIGHT } from "./columns";

export interface Selection {
  pid: string;
  sid: string;
  index: number;
}

/** A click on a row: select only it, Ctrl/Cmd toggles it in the selection, Shift selects the range to it. */
export type SelectHow = "only" | "toggle" | "range";

export const rowKey = (row: { pid: string; sid: string }): string => `${row.pid}#${row.sid}`;

interface Props {
  project: Project;
  pages: StudyPages;
  filters: Filters;
  onFilter: (param: FilterParam, value: string) => void;
  sort: Sort | null;
  onSort: (key: SortKey) => void;
  selection: Selection | null;
  onSelect: (index: number, row: StudyRow, how?: SelectHow) => void;
  /** the selected rows (`rowKey`): the batch tool's ticked rows */
  marked: ReadonlySet<string>;
  onRowMenu: (row: StudyRow, index: number, x: number, y: number) => void;
  bodyRef: RefObject<HTMLDivElement | null>;
}

const FILE_PLACEHOLDER = "file search, e.g. t1*/s0*.nii & STAG:control";
const FILTER_HELP =
  "Space = OR, & = AND, * any characters, _ one character; every pattern has an implicit trailing *";

export function StudyTable(props: Props) {
  const { pages, selection, bodyRef } = props;
  const total = pages.total ?? 0;

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => bodyRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 30,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  const { ensureRange } = pages;
  const headerRef = useRef<HTMLDivElement | null>(null);

  useEffect(() => {
    ensureRange(first, last);
  }, [first, last, pages.version, ensureRange]);

  function move(index: number) {
    if (total === 0) return;
    const target = Math.max(0, Math.min(total - 1, index));
    virtualizer.scrollToIndex(target, { align: "auto" });
    const row = pages.row(target);
    if (row) props.onSelect(target, row);
    else ensureRange(target, target);
  }

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const current = selection?.index ?? -1;
    const pageRows = Math.max(1, Math.floor((bodyRef.current?.clientHeight ?? ROW_HEIGHT) / ROW_HEIGHT) - 1);
    const step: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: pageRows, PageUp: -pageRows };
    if (event.key in step) {
      event.preventDefault();
      move(current < 0 ? 0 : current + (step[event.key] ?? 0));
    } else if (event.key === "Home") {
      event.preventDefault();
      move(0);
    } else if (event.key === "End") {
      event.preventDefault();
      move(total - 1);
    } else if ((event.key === "ContextMenu" || (event.key === "F10" && event.shiftKey)) && selection) {
      event.preventDefault();
      const row = pages.row(selection.index);
      const el = bodyRef.current?.querySelector<HTMLElement>(`[data-index="${selection.index}"]`);
      if (row && el) {
        const rect = el.getBoundingClientRect();
        props.onRowMenu(row, selection.index, rect.left + 40, rect.bottom);
      }
    }
  }

  function onRowContextMenu(event: MouseEvent, row: StudyRow, index: number) {
    event.preventDefault();
    props.onSelect(index, row);
    props.onRowMenu(row, index, event.clientX, event.clientY);
  }

  const countText =
    pages.total === null ? "… studies" : `${pages.total} of ${props.project.n_studies} studies`;

  return (
    <div className="study-table">
      <div className="file-search">
        <input
          data-testid="filter-files"
          className="file-search-input"
          placeholder={FILE_PLACEHOLDER}
          title={`File search: folder/file patterns plus STAG:, PTAG:, FTAG:, JOB:q|r|e, SDESC:. ${FILTER_HELP}`}
          value={props.filters.files ?? ""}
          onChange={(e) => props.onFilter("files", e.target.value)}
          onKeyDown={(e) => e.key === "Escape" && props.onFilter("files", "")}
          spellCheck={false}
        />
        <span className="study-count" data-testid="study-count" aria-live="polite">
          {countText}
        </span>
      </div>

      <div className="table-head" ref={headerRef} role="rowgroup">
        <div className="head-row" role="row" style={{ gridTemplateColumns: GRID_TEMPLATE }}>
          {COLUMNS.map((col) => (
            <HeaderCell key={col.id} label={col.label} sortKey={col.sortKey} sort={props.sort} onSort={props.onSort} align={col.align} />
          ))}
        </div>
        <div className="filter-row" role="row" style={{ gridTemplateColumns: GRID_TEMPLATE }}>
          {COLUMNS.map((col) =>
            col.filter ? (
              <div key={col.id} role="columnheader" className="filter-cell">
                <input
                  data-testid={`filter-${col.filter}`}
                  aria-label={`Filter ${col.label}`}
                  placeholder={col.placeholder ?? "filter"}
                  title={FILTER_HELP}
                  value={props.filters[col.filter] ?? ""}
                  onChange={(e) => props.onFilter(col.filter as FilterParam, e.target.value)}
                  onKeyDown={(e) => e.key === "Escape" && props.onFilter(col.filter as FilterParam, "")}
                  spellCheck={false}
                />
              </div>
            ) : (
              <div key={col.id} role="columnheader" className="filter-cell" />
            ),
          )}
        </div>
      </div>
      {pages.filterError !== null ? (
        <div className="filter-error" role="alert" data-testid="filter-error">
          {pages.filterError}
        </div>
      ) : null}
      <div className={`progress ${pages.loading ? "active" : ""}`} data-testid="table-loading" aria-hidden={!pages.loading} />

      <div
        className="table-body"
        ref={bodyRef}
        tabIndex={0}
        role="grid"
        aria-label="Subjects and studies"
        aria-rowcount={total}
        onKeyDown={onKeyDown}
        onScroll={(e) => {
          if (headerRef.current) headerRef.current.scrollLeft = e.currentTarget.scrollLeft;
        }}
      >
        {pages.total === 0 ? <div className="empty">No studies match the filters.</div> : null}
        <div className="table-spacer" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = pages.row(item.index);
            const style = { transform: `translateY(${item.start}px)`, height: ROW_HEIGHT, gridTemplateColumns: GRID_TEMPLATE };
            if (row === undefined) {
              return (
                <div key={item.key} className="row placeholder" style={style} data-index={item.index} role="row">
                  <div className="cell muted">…</div>
                </div>
              );
            }
            const selected = selection !== null && row.pid === selection.pid && row.sid === selection.sid;
            return (
              <StudyRowView
                key={item.key}
                row={row}
                index={item.index}
                style={style}
                selected={selected}
                marked={props.marked.has(rowKey(row))}
                onClick={(e) => props.onSelect(item.index, row, e.shiftKey ? "range" : e.ctrlKey || e.metaKey ? "toggle" : "only")}
                onContextMenu={(e) => onRowContextMenu(e, row, item.index)}
                onPresetDrop={(name) => {
                  props.onSelect(item.index, row);
                  applyPreset(name, row.pid, row.sid);
                }}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

function HeaderCell(props: {
  label: string;
  sortKey: SortKey | undefined;
  sort: Sort | null;
  onSort: (key: SortKey) => void;
  align: "right" | undefined;
}) {
  const { sortKey, sort } = props;
  const active = sortKey !== undefined && sort?.key === sortKey;
  const ariaSort = active ? (sort?.desc ? "descending" : "ascending") : "none";
  const className = `head-cell ${props.align === "right" ? "right" : ""}`;
  if (sortKey === undefined) {
    return <div role="columnheader" className={className}>{props.label}</div>;
  }
  const sortKeyDefined: SortKey = sortKey;
  return (
    <div role="columnheader" className={className} aria-sort={ariaSort}>
      <button
        type="button"
        className={`sort-button ${active ? "active" : ""}`}
        data-testid={`sort-${sortKeyDefined}`}
        title={`Sort by ${props.label}`}
        onClick={() => props.onSort(sortKeyDefined)}
      >
        {props.label}
        <span className="sort-mark">{active ? (sort?.desc ? "▼" : "▲") : ""}</span>
      </button>
    </div>
  );
}

function StudyRowView(props: {
  row: StudyRow;
  index: number;
  style: CSSProperties;
  selected: boolean;
  marked: boolean;
  onClick: (e: MouseEvent) => void;
  onContextMenu: (e: MouseEvent) => void;
  onPresetDrop: (name: string) => void;
}) {
  const { row } = props;
  // An autoloader preset dragged from the viewer's panel: selecting the row and running the preset.
  const over = (e: DragEvent<HTMLDivElement>) => {
    if (!carriesPreset(e.dataTransfer)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
    e.currentTarget.classList.add("preset-drop");
  };
  return (
    <div
      className={`row ${props.selected ? "selected" : ""} ${props.marked ? "marked" : ""} ${props.index % 2 ? "odd" : ""}`}
      style={props.style}
      role="row"
      aria-selected={props.selected || props.marked}
      onMouseDown={(e) => e.shiftKey && e.preventDefault()}
      data-testid="study-row"
      data-pid={row.pid}
      data-sid={row.sid}
      data-index={props.index}
      onClick={props.onClick}
      onContextMenu={props.onContextMenu}
      onDragEnter={over}
      onDragOver={over}
      onDragLeave={(e) => e.currentTarget.classList.remove("preset-drop")}
      onDrop={(e) => {
        e.currentTarget.classList.remove("preset-drop");
        const name = carriesPreset(e.dataTransfer) ? e.dataTransfer.getData(PRESET_MIME) : "";
        if (!name) return;
        e.preventDefault();
        props.onPresetDrop(name);
      }}
    >
      <div className="cell" role="gridcell" title={row.pid}>{row.pid}</div>
      <div className="cell" role="gridcell" title={row.name ?? ""}>{row.name ?? <span className="muted">—</span>}</div>
      <div className="cell" role="gridcell">{row.birth_date ?? ""}</div>
      <div className="cell" role="gridcell">{row.sex ?? ""}</div>
      <div className="cell" role="gridcell" title={row.sid}>{row.sid}</div>
      <div className="cell" role="gridcell">{row.study_date ?? ""}</div>
      <div className="cell" role="gridcell" title={row.sdesc ?? ""}>{row.sdesc ?? ""}</div>
      <div className="cell" role="gridcell">{row.modality ?? ""}</div>
      <div className="cell tags" role="gridcell" title={tagTitle(row)}>
        {row.ptags.map((t) => (
          <span key={`p:${t}`} className="chip chip-patient" data-testid="ptag-chip">{t}</span>
        ))}
        {row.stags.map((t) => (
          <span key={`s:${t}`} className="chip chip-study" data-testid="stag-chip">{t}</span>
        ))}
      </div>
      <div className="cell right" role="gridcell">{row.n_files}</div>
      <div className="cell jobs" role="gridcell">
        {jobSummary(row.jobs).map((j) => (
          <span key={j.state} className={`job job-${j.state}`} title={JOB_TITLES[j.state]}>
            {j.state}{j.count}
          </span>
        ))}
      </div>
    </div>
  );
}

const JOB_TITLES = { q: "queued jobs", r: "running jobs", e: "failed jobs" } as const;

function tagTitle(row: StudyRow): string {
  const parts: string[] = [];
  if (row.ptags.length) parts.push(`patient: ${row.ptags.join(", ")}`);
  if (row.stags.length) parts.push(`study: ${row.stags.join(", ")}`);
  return parts.join("\n");
}
