/** Mounts the processing windows on the desktop: the Batchtool and Gridstats buttons and their windows. */
import { useState } from "react";
import { TopTool } from "../components/TopTools";
import type { FilterParam, Filters, Sort } from "../lib/filters";
import { BatchTool } from "./BatchTool";
import { JobMonitor } from "./JobMonitor";
import "./processing.css";

export function Processing(props: {
  project: string | null;
  filters: Filters;
  sort: Sort | null;
  onFilter: (param: FilterParam, value: string) => void;
}) {
  const [open, setOpen] = useState<{ batch: boolean; monitor: boolean }>({ batch: false, monitor: false });
  if (props.project === null) return null;
  const project = props.project;
  return (
    <>
      <TopTool>
        <button type="button" data-testid="open-batchtool" onClick={() => setOpen((o) => ({ ...o, batch: !o.batch }))}>
          Batchtool
        </button>
        <button type="button" data-testid="open-gridstats" onClick={() => setOpen((o) => ({ ...o, monitor: !o.monitor }))}>
          Gridstats
        </button>
      </TopTool>
      {open.batch ? (
        <BatchTool project={project} filters={props.filters} sort={props.sort}
          onClose={() => setOpen((o) => ({ ...o, batch: false }))} onLaunched={() => setOpen((o) => ({ ...o, monitor: true }))} />
      ) : null}
      {open.monitor ? (
        <JobMonitor project={project} onClose={() => setOpen((o) => ({ ...o, monitor: false }))}
          onRerunFailed={() => { props.onFilter("files", "JOB:e"); setOpen({ batch: true, monitor: true }); }} />
      ) : null}
    </>
  );
}
