/**
 * The web desktop after login: top bar, subject/study table with the files of the selected study
 * below it, and the (future) viewer on the right. Owns the selection, context menus and tag actions.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef, useState } from "react";
import { projects as projectsApi, tags as tagsApi } from "../api/endpoints";
import { invalidate, keys } from "../api/queries";
import type { ArchiveFile, Me, Project, StudyRow, TagChange } from "../api/types";
import type { FilterParam, Filters, Sort, SortKey } from "../lib/filters";
import { nextSort } from "../lib/filters";
import { chooseProject, LAST_PROJECT_KEY, loadSetting, saveSetting } from "../lib/storage";
import { newTags, withPatientTags, withStudyTags } from "../lib/tags";
import { useErrors } from "../state/errors";
import { useFileActions } from "../files/useFileActions";
import { useHeaderViewer } from "../dicomheader/useHeaderViewer";
import { useStudyBrowser } from "../studybrowser/useStudyBrowser";
import { Processing } from "../processing/Processing";
import { Importing } from "../importing/Importing";
import { Pacs } from "../pacs/Pacs";
import { Administration } from "../admin/Administration";
import { KeyboardHelp } from "../help/KeyboardHelp";
import { ReadingTool } from "../reading/ReadingTool";
import { useDebounced } from "../state/useDebounced";
import { useStudyFiles } from "../state/useStudyFiles";
import { useLiveEvents } from "../state/useLiveEvents";
import { useStudyPages } from "../state/useStudyPages";
import { ContextMenu, type MenuItem } from "./ContextMenu";
import { FilesPanel } from "./FilesPanel";
import { Layout } from "./Layout";
import { rowKey, StudyTable, type Selection, type SelectHow } from "./StudyTable";
import { TagDialog } from "./TagDialog";
import { TopBar } from "./TopBar";
import { TopToolsSlot } from "./TopTools";
import { leaveCase, pending as pendingCase } from "../viewer/bus";
import { Viewer } from "../viewer/Viewer";

const FILTER_DEBOUNCE_MS = 250;
const READONLY_TITLE = "You have read-only rights in this project";
const NO_DOWNLOAD_TITLE = "You have no download right in this project (double-click opens the file in the viewer)";

/** Let the browser save a file: the attachment form of its content address. */
function saveFile(file: ArchiveFile): void {
  const link = document.createElement("a");
  link.href = `${file.url}?download=true`;
  link.download = file.path.split("/").pop() ?? "file";
  document.body.appendChild(link);
  link.click();
  link.remove();
}

interface MenuState {
  x: number;
  y: number;
  title: string;
  items: MenuItem[];
}

interface DialogState {
  title: string;
  onSubmit: (tags: string[]) => Promise<void>;
}

/** `me` is null for a guest: public projects only, read-only, no import, PACS or batch tool. */
export function Desktop(props: { me: Me | null; onLogout: () => void }) {
  const guest = props.me === null;
  const [toolsSlot, setToolsSlot] = useState<HTMLElement | null>(null);
  const { report } = useErrors();
  const client = useQueryClient();
  const projectsQuery = useQuery({ queryKey: keys.projects(), queryFn: ({ signal }) => projectsApi.list(signal) });
  const projectList: Project[] | null = projectsQuery.isError ? [] : (projectsQuery.data ?? null);
  const [projectName, setProjectName] = useState<string | null>(null);
  const [filters, setFilters] = useState<Filters>({});
  const [sort, setSort] = useState<Sort | null>(null);
  const [selection, setSelection] = useState<Selection | null>(null);
  const [menu, setMenu] = useState<MenuState | null>(null);
  const [dialog, setDialog] = useState<DialogState | null>(null);
  const bodyRef = useRef<HTMLDivElement | null>(null);
  const debouncedFilters = useDebounced(filters, FILTER_DEBOUNCE_MS);
  const project = projectList?.find((p) => p.name === projectName) ?? null;
  const readonly = project?.readonly ?? true;
  const writable = (projectList ?? []).filter((p) => !p.readonly).map((p) => p.name);
  // a guest, or a logged-in user reading a public project without a right on it: viewing only
  const viewOnly = guest || project?.role === "guest";
  // a reader confined to a blind reading: the table and the project's tools are closed to them (the server
  // says so in the project's answer), so the page asks for none of them and opens the reading list
  const readingOnly = project?.reading_only === true;

  // The first answer picks the project (a URL call or shared link names one; else the last one used).
  const picked = useRef(false);
  useEffect(() => {
    const list = projectsQuery.data;
    if (list === undefined || picked.current) return;
    picked.current = true;
    const want = pendingCase?.project;
    setProjectName(chooseProject(list.map((p) => p.name), want ?? loadSetting(LAST_PROJECT_KEY)));
    if (want && pendingCase?.pid) setSelection({ pid: pendingCase.pid, sid: pendingCase.sid ?? "", index: -1 });
  }, [projectsQuery.data]);
  useEffect(() => {
    if (projectsQuery.error) report(projectsQuery.error, "Loading projects");
  }, [projectsQuery.error, report]);

  const selectionRef = useRef(selection);
  selectionRef.current = selection;
  const pages = useStudyPages(readingOnly ? null : projectName, debouncedFilters, sort, (newState) => {
    if (newState && bodyRef.current) bodyRef.current.scrollTop = 0;
    const sel = selectionRef.current;
    if (sel) setSelection({ ...sel, index: pages.findIndex((r) => r.pid === sel.pid && r.sid === sel.sid) });
  });
  useLiveEvents(projectName);
  const files = useStudyFiles(projectName, selection?.pid ?? null, selection?.sid ?? null);
  const headerViewer = useHeaderViewer(projectName);
  const studyBrowser = useStudyBrowser(selection, files.files);
  const fileActions = useFileActions({ project: projectName, study: selection, readonly, viewOnly, onChanged: pages.reload });

  function chooseProjectByUser(name: string) {
    setProjectName(name);
    saveSetting(LAST_PROJECT_KEY, name);
    setSelection(null);
    setMarked(new Set());
  }

  const onFilter = useCallback((param: FilterParam, value: string) => {
    setFilters((f) => ({ ...f, [param]: value }));
  }, []);

  /** Arrow up/down in the viewer: the previous / next row of the filtered table. */
  function stepCase(delta: number) {
    const index = (selection?.index ?? -1) + delta;
    const row = index >= 0 ? pages.row(index) : undefined;
    if (row) onSelect(index, row);
    else if (index >= 0) pages.ensureRange(index, index);
  }

  // The selected rows (Shift / Ctrl click): the batch tool ticks them. The range runs from the last
  // plain or Ctrl click (the anchor) over the rows loaded.
  const [marked, setMarked] = useState<ReadonlySet<string>>(new Set());
  const anchor = useRef(-1);
  const pagesRef = useRef(pages);
  pagesRef.current = pages;
  const onSelect = useCallback((index: number, row: StudyRow, how: SelectHow = "only") => {
    const apply = () => {
      const key = rowKey(row);
      if (how === "toggle") {
        setMarked((m) => {
          const next = new Set(m);
          if (!next.delete(key)) next.add(key);
          return next;
        });
      } else if (how === "range" && anchor.current >= 0) {
        const keys: string[] = [];
        for (let i = Math.min(anchor.current, index); i <= Math.max(anchor.current, index); i++) {
          const r = pagesRef.current.row(i);
          if (r) keys.push(rowKey(r));
        }
        setMarked(new Set(keys));
      } else setMarked(new Set([key]));
      if (how !== "range") anchor.current = index;
      setSelection({ pid: row.pid, sid: row.sid, index });
    };
    const was = selectionRef.current;
    // the viewer saves (or asks about) the changed annotation targets of the case being left first
    if (was && (was.pid !== row.pid || was.sid !== row.sid)) leaveCase({ pid: row.pid, sid: row.sid }, apply);
    else apply();
  }, []);

  async function changeStudyTags(row: StudyRow, change: TagChange, doing: string) {
    if (!projectName) return;
    try {
      const answer = await tagsApi.study(projectName, row.pid, row.sid, change);
      pages.updateRows((r) => withStudyTags(r, row.study_id, answer.tags));
      void invalidate(client, { kind: "studies", project: projectName }, false);
    } catch (err) {
      report(err, doing);
      throw err;
    }
  }

  async function changePatientTags(row: StudyRow, change: TagChange, doing: string) {
    if (!projectName) return;
    try {
      const answer = await tagsApi.patient(projectName, row.pid, change);
      pages.updateRows((r) => withPatientTags(r, row.patient_id, answer.tags));
      void invalidate(client, { kind: "studies", project: projectName }, false);
    } catch (err) {
      report(err, doing);
      throw err;
    }
  }

  async function changeFileTags(file: ArchiveFile, change: TagChange, doing: string) {
    if (!projectName) return;
    try {
      const answer = await tagsApi.file(projectName, file.id, change);
      files.updateFile({ ...file, tags: answer.tags });
      void invalidate(client, { kind: "files", project: projectName }, false);
    } catch (err) {
      report(err, doing);
      throw err;
    }
  }

  // Menu actions run after the menu closed; their failures are already in the banner.
  const quietly = (p: Promise<void>) => void p.catch(() => undefined);

  function writeItem(item: MenuItem): MenuItem {
    return readonly ? { ...item, disabled: true, title: READONLY_TITLE } : item;
  }

  function openRowMenu(row: StudyRow, _index: number, x: number, y: number) {
    const items: MenuItem[] = [
      {
        testId: "ctx-add-study-tag",
        label: "Add study tag…",
        onSelect: () =>
          setDialog({
            title: `Add study tag to ${row.pid} / ${row.sid}`,
            onSubmit: (t) => changeStudyTags(row, { add: newTags(row.stags, t), remove: [] }, "Adding study tag"),
          }),
      },
      {
        testId: "ctx-add-patient-tag",
        label: "Add patient tag…",
        onSelect: () =>
          setDialog({
            title: `Add patient tag to ${row.pid}`,
            onSubmit: (t) => changePatientTags(row, { add: newTags(row.ptags, t), remove: [] }, "Adding patient tag"),
          }),
      },
      ...row.stags.map((tag, i) => ({
        testId: "ctx-remove-study-tag",
        label: `Remove study tag “${tag}”`,
        tag,
        separatorBefore: i === 0,
        onSelect: () => quietly(changeStudyTags(row, { add: [], remove: [tag] }, `Removing study tag ${tag}`)),
      })),
      ...row.ptags.map((tag, i) => ({
        testId: "ctx-remove-patient-tag",
        label: `Remove patient tag “${tag}”`,
        tag,
        separatorBefore: i === 0 && row.stags.length === 0,
        onSelect: () => quietly(changePatientTags(row, { add: [], remove: [tag] }, `Removing patient tag ${tag}`)),
      })),
    ];
    setMenu({ x, y, title: `${row.pid} / ${row.sid}`, items: items.map(writeItem) });
  }

  /** Saving a file needs the project's download right (the server checks it too); viewing does not. */
  function downloadItem(file: ArchiveFile): MenuItem {
    const allowed = project?.download ?? false;
    return {
      testId: "ctx-download-file",
      label: "Download",
      disabled: !allowed,
      ...(allowed ? {} : { title: NO_DOWNLOAD_TITLE }),
      onSelect: () => saveFile(file),
    };
  }

  function openFileMenu(file: ArchiveFile, x: number, y: number) {
    const items: MenuItem[] = [
      {
        testId: "ctx-add-file-tag",
        label: "Add file tag…",
        onSelect: () =>
          setDialog({
            title: `Add tag to ${file.path}`,
            onSubmit: (t) => changeFileTags(file, { add: newTags(file.tags, t), remove: [] }, "Adding file tag"),
          }),
      },
      ...file.tags.map((tag, i) => ({
        testId: "ctx-remove-file-tag",
        label: `Remove file tag “${tag}”`,
        tag,
        separatorBefore: i === 0,
        onSelect: () => quietly(changeFileTags(file, { add: [], remove: [tag] }, `Removing file tag ${tag}`)),
      })),
    ];
    setMenu({ x, y, title: file.path, items: [downloadItem(file), ...items.map(writeItem), ...headerViewer.menuItems(file), ...fileActions.menuItems(file)] });
  }

  const closeMenu = useCallback(() => setMenu(null), []);

  return (
    <div className="desktop">
      <TopBar
        me={props.me}
        projects={projectList}
        project={projectName}
        onProject={chooseProjectByUser}
        onLogout={props.onLogout}
        toolsRef={setToolsSlot}
      />
      <Layout
        key={props.me?.username ?? "guest"}
        user={props.me?.username ?? "guest"}
        table={
          project === null ? (
            <div className="empty">{projectList === null ? "Loading projects…" : "No project available to you."}</div>
          ) : readingOnly ? (
            <div className="empty" data-testid="reading-only">
              You read a blind reading of this project that restricts its readers to the reading: open it in <strong>Reading</strong>.
            </div>
          ) : (
            <StudyTable
              project={project}
              pages={pages}
              filters={filters}
              onFilter={onFilter}
              sort={sort}
              onSort={(key: SortKey) => setSort((s) => nextSort(s, key))}
              selection={selection}
              onSelect={onSelect}
              marked={marked}
              onRowMenu={openRowMenu}
              bodyRef={bodyRef}
            />
          )
        }
        files={
          <FilesPanel
            study={selection}
            files={files}
            onFileMenu={openFileMenu}
            tools={
              <>
                {studyBrowser.toggle}
                {fileActions.tools}
              </>
            }
            body={studyBrowser.body}
          />
        }
        viewer={<Viewer project={projectName} selection={selection} onStepCase={stepCase} guest={viewOnly} readonly={readonly}
          rights={{ write: !readonly && !viewOnly, download: !viewOnly && (project?.download === true || project?.role === "admin") }} />}
      />
      {viewOnly ? null : (
        <TopToolsSlot.Provider value={toolsSlot}>
          {readingOnly ? null : (
            <>
              <Processing project={projectName} filters={filters} sort={sort} onFilter={onFilter} marked={marked}
                canLaunch={project !== null && (project.batchtool || project.role === "admin")} />
              {/* only what the user's rights allow: import and PACS retrieve write into a project */}
              {readonly ? null : <Importing project={projectName} onImported={pages.reload} />}
              <Pacs projects={writable} project={projectName !== null && writable.includes(projectName) ? projectName : (writable[0] ?? null)}
                onPulled={pages.reload} />
            </>
          )}
          <ReadingTool project={projectName} canCreate={project?.role === "admin" || (props.me?.is_admin ?? false)} startOpen={readingOnly}
            onOpenCase={(pid, sid) => leaveCase({ pid, sid }, () => setSelection({ pid, sid, index: pages.findIndex((r) => r.pid === pid && r.sid === sid) }))} />
        </TopToolsSlot.Provider>
      )}
      <TopToolsSlot.Provider value={toolsSlot}>
        <Administration me={props.me} project={project} />
        <KeyboardHelp />
      </TopToolsSlot.Provider>
      {menu ? <ContextMenu {...menu} onClose={closeMenu} /> : null}
      {fileActions.dialogs}
      {headerViewer.dialog}
      {dialog ? <TagDialog title={dialog.title} onSubmit={dialog.onSubmit} onClose={() => setDialog(null)} /> : null}
    </div>
  );
}
