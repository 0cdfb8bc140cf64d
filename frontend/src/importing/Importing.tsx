/** Mounts the import tool on the desktop: the "Import" button and its dialog. */
import { useState } from "react";
import { TopTool } from "../components/TopTools";
import { ImportDialog } from "./ImportDialog";
import "./importing.css";

export function Importing(props: { project: string | null; onImported: () => void }) {
  const [open, setOpen] = useState(false);
  if (props.project === null) return null;
  return (
    <>
      <TopTool>
        <button type="button" data-testid="open-import" onClick={() => setOpen((o) => !o)}>
          Import
        </button>
      </TopTool>
      {open ? <ImportDialog project={props.project} onClose={() => setOpen(false)} onImported={props.onImported} /> : null}
    </>
  );
}
