/**
 * Mounts the PACS query tool on the desktop: the "PACS" button and its window, offered only to a user
 * who may query a node (PACSQUERY_<node>) and write into a project to retrieve into.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { keys } from "../api/queries";
import { TopTool } from "../components/TopTools";
import { pacsApi } from "./api";
import { PacsQuery } from "./PacsQuery";
import "./pacs.css";

export function Pacs(props: { projects: string[]; project: string | null; onPulled: () => void }) {
  const [open, setOpen] = useState(false);
  const nodes = useQuery({ queryKey: keys.pacsNodes(), queryFn: ({ signal }) => pacsApi.nodes(signal), enabled: props.project !== null });
  const mayQuery = (nodes.data ?? []).some((n) => n.can_query);
  if (props.project === null || !mayQuery) return null;
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
