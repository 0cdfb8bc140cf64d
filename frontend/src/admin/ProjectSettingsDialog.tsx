/**
 * Project settings for project admins (and system admins): description, naming policy, anonymisation,
 * keeping originals, public access; the viewer's colour presets; autoexecution rules; the project's rights.
 * Each tab saves on its own and shows the server's refusal where the user acted.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { invalidate, keys } from "../api/queries";
import { messageOf } from "../state/errors";
import { projectAdmin, type AutoexecRule, type ColorLimPreset, type ProjectSettings, type RightIn } from "./api";
import { AdminDialog, ErrorLine, flagsText, Notice, RightFields, useAction } from "./parts";

const TABS = ["General", "Colour presets", "Autoexecution", "Rights"];
const PRESET_KEYS = ["0", "1", "2", "3", "4", "5", "6", "7", "8"];

export function ProjectSettingsDialog(props: { project: string; onClose: () => void }) {
  const [tab, setTab] = useState(TABS[0]!);
  const query = useQuery({ queryKey: [...keys.project(props.project), "settings"], queryFn: ({ signal }) => projectAdmin.get(props.project, signal) });
  const settings = (query.data?.settings ?? null) as ProjectSettings | null;
  return (
    <AdminDialog label={`Settings of project ${props.project}`} testId="project-settings" tabs={TABS} tab={tab} onTab={setTab} onClose={props.onClose}>
      {query.isError ? <ErrorLine error={messageOf(query.error)} testId="settings-load-error" /> : null}
      {query.data && settings ? (
        tab === "General" ? (
          <GeneralTab project={props.project} description={query.data.description} settings={settings} />
        ) : tab === "Colour presets" ? (
          <PresetsTab project={props.project} presets={settings.colorlimpresets ?? null} />
        ) : tab === "Autoexecution" ? (
          <RulesTab project={props.project} />
        ) : (
          <RightsTab project={props.project} />
        )
      ) : null}
    </AdminDialog>
  );
}

function useSaved(): [string | null, (t: string | null) => void] {
  return useState<string | null>(null);
}

function GeneralTab(props: { project: string; description: string; settings: ProjectSettings }) {
  const client = useQueryClient();
  const [description, setDescription] = useState(props.description);
  const [naming, setNaming] = useState(props.settings.naming ?? "");
  const [anonymised, setAnonymised] = useState(props.settings.anonymised ?? false);
  const [isPublic, setPublic] = useState(props.settings.public ?? false);
  const [keep, setKeep] = useState(props.settings.keep_originals ?? true);
  const [saved, setSaved] = useSaved();
  const action = useAction();

  async function save() {
    setSaved(null);
    const settings: ProjectSettings = { naming, anonymised, public: isPublic, keep_originals: keep };
    if (await action.run(() => projectAdmin.update(props.project, description, settings))) {
      setSaved("Saved.");
      await invalidate(client, { kind: "project-settings", project: props.project });
    }
  }

  return (
    <form
      className="admin-section admin-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label>
        Description
        <textarea data-testid="settings-description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
      </label>
      <label>
        Naming policy of imported series
        <input data-testid="settings-naming" value={naming} onChange={(e) => setNaming(e.target.value)} spellCheck={false} />
        <span className="muted">
          placeholders: {"{series_description} {protocol} {series_number:03d} {modality} {series_uid} {study_date} {acquisition}"}
        </span>
      </label>
      <label className="check">
        <input type="checkbox" data-testid="settings-anonymised" checked={anonymised} onChange={(e) => setAnonymised(e.target.checked)} />
        anonymised: imports get pseudonymous patient IDs; names and birth dates only for users with deanonym
      </label>
      <label className="check">
        <input type="checkbox" data-testid="settings-keep-originals" checked={keep} onChange={(e) => setKeep(e.target.checked)} />
        keep the original DICOM files of converted series
      </label>
      <label className="check">
        <input type="checkbox" data-testid="settings-public" checked={isPublic} onChange={(e) => setPublic(e.target.checked)} />
        public: everyone (also without an account) may view the project read-only
      </label>
      <ErrorLine error={action.error} testId="settings-error" />
      <Notice text={saved} testId="settings-saved" />
      <div className="modal-buttons">
        <button type="submit" className="primary" data-testid="settings-save" disabled={action.busy}>
          Save
        </button>
      </div>
    </form>
  );
}

interface PresetRow {
  name: string;
  form: "window" | "limits";
  a: string;
  b: string;
}

function toRows(presets: Record<string, ColorLimPreset> | null): Record<string, PresetRow> {
  const rows: Record<string, PresetRow> = {};
  for (const key of PRESET_KEYS) {
    const p = presets?.[key];
    if (!p) rows[key] = { name: "", form: "window", a: "", b: "" };
    else if (p.level != null && p.width != null) rows[key] = { name: p.name, form: "window", a: String(p.level), b: String(p.width) };
    else rows[key] = { name: p.name, form: "limits", a: String(p.min ?? ""), b: String(p.max ?? "") };
  }
  return rows;
}

/** The rows as the settings document takes them; an error names the first bad row. */
function fromRows(rows: Record<string, PresetRow>): { ok: true; presets: Record<string, ColorLimPreset> } | { ok: false; error: string } {
  const presets: Record<string, ColorLimPreset> = {};
  for (const key of PRESET_KEYS) {
    const r = rows[key]!;
    if (r.name.trim() === "" && r.a.trim() === "" && r.b.trim() === "") continue;
    const a = Number(r.a);
    const b = Number(r.b);
    if (r.name.trim() === "" || r.a.trim() === "" || r.b.trim() === "" || !Number.isFinite(a) || !Number.isFinite(b)) {
      return { ok: false, error: `Key ${key}: give a name and two numbers (${r.form === "window" ? "level and width" : "min and max"})` };
    }
    presets[key] = r.form === "window" ? { name: r.name.trim(), level: a, width: b } : { name: r.name.trim(), min: a, max: b };
  }
  return { ok: true, presets };
}

function PresetsTab(props: { project: string; presets: Record<string, ColorLimPreset> | null }) {
  const client = useQueryClient();
  const [standard, setStandard] = useState(props.presets === null);
  const [rows, setRows] = useState(() => toRows(props.presets));
  const [saved, setSaved] = useSaved();
  const action = useAction();

  function edit(key: string, change: Partial<PresetRow>) {
    setRows((r) => ({ ...r, [key]: { ...r[key]!, ...change } }));
  }

  async function save() {
    setSaved(null);
    const parsed = standard ? ({ ok: true, presets: null } as const) : fromRows(rows);
    if (!parsed.ok) {
      action.setError(parsed.error);
      return;
    }
    if (await action.run(() => projectAdmin.update(props.project, undefined, { colorlimpresets: parsed.presets }))) {
      setSaved("Saved: the viewer's number keys use these presets.");
      await invalidate(client, { kind: "project-settings", project: props.project });
    }
  }

  return (
    <form
      className="admin-section admin-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label className="check">
        <input type="checkbox" data-testid="presets-standard" checked={standard} onChange={(e) => setStandard(e.target.checked)} />
        the standard windows (CT; see the viewer's help) on the number keys 0-8
      </label>
      <table className="admin-table presets-table">
        <thead>
          <tr>
            <th>Key</th>
            <th>Name</th>
            <th>Given as</th>
            <th>Level / min</th>
            <th>Width / max</th>
          </tr>
        </thead>
        <tbody>
          {PRESET_KEYS.map((key) => {
            const r = rows[key]!;
            return (
              <tr key={key} data-testid="preset-row" data-key={key}>
                <td>{key}</td>
                <td>
                  <input data-testid="preset-name" disabled={standard} value={r.name} onChange={(e) => edit(key, { name: e.target.value })} />
                </td>
                <td>
                  <select data-testid="preset-form" disabled={standard} value={r.form} onChange={(e) => edit(key, { form: e.target.value as PresetRow["form"] })}>
                    <option value="window">level / width</option>
                    <option value="limits">min / max</option>
                  </select>
                </td>
                <td>
                  <input data-testid="preset-a" className="narrow" disabled={standard} value={r.a} onChange={(e) => edit(key, { a: e.target.value })} />
                </td>
                <td>
                  <input data-testid="preset-b" className="narrow" disabled={standard} value={r.b} onChange={(e) => edit(key, { b: e.target.value })} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ErrorLine error={action.error} testId="presets-error" />
      <Notice text={saved} testId="presets-saved" />
      <div className="modal-buttons">
        <button type="submit" className="primary" data-testid="presets-save" disabled={action.busy}>
          Save presets
        </button>
      </div>
    </form>
  );
}

const EMPTY_RULE: AutoexecRule = { name: "", filter: "", batch: "", queue: "", enabled: true };

function RulesTab(props: { project: string }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: keys.autoexec(props.project), queryFn: ({ signal }) => projectAdmin.rules(props.project, signal) });
  const [rules, setRules] = useState<AutoexecRule[] | null>(null);
  const [saved, setSaved] = useSaved();
  const action = useAction();
  useEffect(() => {
    if (query.data && rules === null) setRules(query.data.rules);
  }, [query.data]);

  function edit(i: number, change: Partial<AutoexecRule>) {
    setRules((list) => (list ?? []).map((r, j) => (j === i ? { ...r, ...change } : r)));
  }

  async function save() {
    setSaved(null);
    if (await action.run(() => projectAdmin.setRules(props.project, rules ?? []))) {
      setSaved("Saved: new studies matching a rule's filter get its batch once.");
      await invalidate(client, { kind: "project-settings", project: props.project });
    }
  }

  return (
    <form
      className="admin-section admin-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <div className="muted">When an import completes a study that matches a rule's filter, the rule's saved batch runs on it (once per study).</div>
      {query.isError ? <ErrorLine error={messageOf(query.error)} testId="rules-load-error" /> : null}
      <table className="admin-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Filter (file search)</th>
            <th>Saved batch</th>
            <th>Queue</th>
            <th>On</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(rules ?? []).map((r, i) => (
            <tr key={i} data-testid="rule-row">
              <td>
                <input data-testid="rule-name" value={r.name} onChange={(e) => edit(i, { name: e.target.value })} />
              </td>
              <td>
                <input data-testid="rule-filter" value={r.filter ?? ""} placeholder="t1* & STAG:baseline" onChange={(e) => edit(i, { filter: e.target.value })} spellCheck={false} />
              </td>
              <td>
                <input data-testid="rule-batch" value={r.batch} onChange={(e) => edit(i, { batch: e.target.value })} />
              </td>
              <td>
                <input data-testid="rule-queue" className="narrow" value={r.queue ?? ""} placeholder="default" onChange={(e) => edit(i, { queue: e.target.value })} />
              </td>
              <td>
                <input type="checkbox" data-testid="rule-enabled" checked={r.enabled ?? true} onChange={(e) => edit(i, { enabled: e.target.checked })} />
              </td>
              <td>
                <button type="button" data-testid="rule-remove" onClick={() => setRules((list) => (list ?? []).filter((_, j) => j !== i))}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorLine error={action.error} testId="rules-error" />
      <Notice text={saved} testId="rules-saved" />
      <div className="modal-buttons">
        <button type="button" data-testid="rule-add" onClick={() => setRules((list) => [...(list ?? []), { ...EMPTY_RULE }])}>
          Add rule
        </button>
        <button type="submit" className="primary" data-testid="rules-save" disabled={action.busy || rules === null}>
          Save rules
        </button>
      </div>
    </form>
  );
}

function RightsTab(props: { project: string }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: keys.projectRights(props.project), queryFn: ({ signal }) => projectAdmin.rights(props.project, signal) });
  const [username, setUsername] = useState("");
  const [right, setRight] = useState<RightIn>({ role: "user" });
  const action = useAction();

  async function grant(name: string, r: RightIn) {
    if (await action.run(() => projectAdmin.grant(props.project, name, r))) {
      setUsername("");
      await invalidate(client, { kind: "project-settings", project: props.project });
    }
  }

  async function revoke(name: string) {
    if (await action.run(() => projectAdmin.revoke(props.project, name))) await invalidate(client, { kind: "project-settings", project: props.project });
  }

  return (
    <div className="admin-section">
      <form
        className="admin-row"
        onSubmit={(e) => {
          e.preventDefault();
          void grant(username.trim(), right);
        }}
      >
        <input data-testid="grant-user" placeholder="user name" value={username} onChange={(e) => setUsername(e.target.value)} />
        <RightFields value={right} onChange={setRight} testPrefix="grant" />
        <button type="submit" className="primary" data-testid="grant-submit" disabled={action.busy || username.trim() === ""}>
          Grant
        </button>
      </form>
      <ErrorLine error={action.error ?? (query.isError ? messageOf(query.error) : null)} testId="rights-error" />
      <table className="admin-table">
        <thead>
          <tr>
            <th>User</th>
            <th>Right</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(query.data ?? []).map((r) => (
            <tr key={r.username} data-testid="right-row" data-username={r.username}>
              <td>{r.username}</td>
              <td>{flagsText(r)}</td>
              <td className="admin-actions">
                <button type="button" data-testid="right-edit" onClick={() => { setUsername(r.username); setRight({ role: r.role, readonly: r.readonly, download: r.download, batchtool: r.batchtool, deanonym: r.deanonym }); }}>
                  Edit
                </button>
                <button type="button" data-testid="right-revoke" disabled={action.busy} onClick={() => void revoke(r.username)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
