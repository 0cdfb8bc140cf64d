/**
 * The files panel's write actions, for the desktop to wire in with small edits: the panel's tool buttons
 * (Upload…, Trash), the entries of a file's context menu (Rename…, Move to trash) and their dialogs.
 * What the user may do follows the project's rights (read-only: disabled with a reason; guests: nothing).
 */
import { useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { invalidate } from "../api/queries";
import type { ArchiveFile } from "../api/types";
import type { MenuItem } from "../components/ContextMenu";
import { useErrors } from "../state/errors";
import { fileActions } from "./api";
import { RenameDialog, TrashDialog, UploadDialog } from "./FileDialogs";
import "./files.css";

type Open = { kind: "upload" } | { kind: "rename"; file: ArchiveFile } | { kind: "trash" } | null;

export interface FileActions {
  /** buttons for the files panel's title bar */
  tools: ReactNode;
  /** context-menu entries for one file */
  menuItems: (file: ArchiveFile) => MenuItem[];
  /** the open dialog, if any */
  dialogs: ReactNode;
}

export function useFileActions(props: {
  project: string | null;
  study: { pid: string; sid: string } | null;
  readonly: boolean;
  viewOnly: boolean;
  /** the table's #files and the study list changed */
  onChanged: () => void;
}): FileActions {
  const client = useQueryClient();
  const { report } = useErrors();
  const [open, setOpen] = useState<Open>(null);
  const project = props.project;

  function changed() {
    if (project === null) return;
    void invalidate(client, { kind: "files", project });
    void invalidate(client, { kind: "studies", project });
    props.onChanged();
  }

  async function toTrash(file: ArchiveFile) {
    if (project === null) return;
    try {
      await fileActions.trash(project, file.id);
      changed();
    } catch (err) {
      report(err, `Moving ${file.path} to the trash`);
    }
  }

  if (project === null || props.viewOnly) return { tools: null, menuItems: () => [], dialogs: null };
  const why = props.readonly ? "You have read-only rights in this project" : undefined;

  const tools = (
    <span className="files-tools">
      <button
        type="button"
        data-testid="files-upload"
        disabled={props.readonly || props.study === null}
        title={why ?? (props.study === null ? "Select a study first" : "Upload NIfTI, NRRD, MGZ, GIFTI, TCK, TRK… into this study or its patient")}
        onClick={() => setOpen({ kind: "upload" })}
      >
        Upload…
      </button>
      <button type="button" data-testid="files-trash" title="Files moved to the trash, to restore" onClick={() => setOpen({ kind: "trash" })}>
        Trash
      </button>
    </span>
  );

  const menuItems = (file: ArchiveFile): MenuItem[] => [
    {
      testId: "ctx-rename-file",
      label: "Rename…",
      separatorBefore: true,
      disabled: props.readonly,
      title: why,
      onSelect: () => setOpen({ kind: "rename", file }),
    },
    {
      testId: "ctx-trash-file",
      label: "Move to trash",
      disabled: props.readonly,
      title: why,
      onSelect: () => void toTrash(file),
    },
  ];

  const close = () => setOpen(null);
  let dialogs: ReactNode = null;
  if (open?.kind === "upload" && props.study !== null) {
    dialogs = (
      <UploadDialog
        project={project}
        study={props.study}
        onClose={close}
        onDone={() => {
          close();
          changed();
        }}
      />
    );
  } else if (open?.kind === "rename") {
    dialogs = (
      <RenameDialog
        project={project}
        file={open.file}
        onClose={close}
        onDone={() => {
          close();
          changed();
        }}
      />
    );
  } else if (open?.kind === "trash") {
    dialogs = <TrashDialog project={project} readonly={props.readonly} onClose={close} onChanged={changed} />;
  }
  return { tools, menuItems, dialogs };
}
