/** Mounts the PACS query tool on the desktop: the "PACS" button and its window. */
import { useState } from "react";
import { TopTool } from "../components/TopTools";
import { PacsQuery } from "./PacsQuery";
import "./pacs.css";

export function Pacs(props: { projects: string[]; project: string | null; onPulled: () => void }) {
  const [open, setOpen] = useState(false);
  if (props.project === null) return null;
  return (
    <>
      <TopTool>
        <button type="button" data-testid="open-pacs" onClick={() => setOpen((o) => !o)}>
          PACS
        </button>
      </TopTool>
      {open ? (
        <PacsQuery
          projects={props.projects}
          project={props.project}
          onClose={() => setOpen(false)}
          onPulled={props.onPulled}
        />
      ) : null}
    </>
  );
}
