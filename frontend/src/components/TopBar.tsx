import type { Me, Project } from "../api/types";

/** Project chooser, current user and logout (for a guest: a "Log in" button). */
export function TopBar(props: {
  me: Me | null;
  projects: Project[] | null;
  project: string | null;
  onProject: (name: string) => void;
  onLogout: () => void;
  /** receives the element the desktop tools put their buttons into */
  toolsRef?: (el: HTMLElement | null) => void;
}) {
  const current = props.projects?.find((p) => p.name === props.project) ?? null;
  return (
    <header className="top-bar">
      <span className="brand">NORA</span>
      <label className="project-chooser">
        <span className="muted">Project</span>
        <select
          data-testid="project-select"
          value={props.project ?? ""}
          disabled={props.projects === null || props.projects.length === 0}
          onChange={(e) => props.onProject(e.target.value)}
        >
          {props.projects === null ? <option value="">loading…</option> : null}
          {props.projects !== null && props.projects.length === 0 ? <option value="">no projects</option> : null}
          {props.projects?.map((p) => (
            <option key={p.name} value={p.name} title={p.description ?? ""}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      {current?.role === "guest" ? (
        <span className="badge" data-testid="guest-badge" title="A public project, viewed read-only without an account">
          public · guest
        </span>
      ) : current?.readonly ? (
        <span className="badge" data-testid="readonly-badge" title="You have read-only rights in this project">
          read-only
        </span>
      ) : null}
      {current?.anonymised ? <span className="badge" title="Project is anonymised">anonymised</span> : null}
      {current?.description ? <span className="muted ellipsis top-description">{current.description}</span> : null}
      <span className="spacer" />
      <span className="top-tools" ref={props.toolsRef} />
      <span className="user" data-testid="current-user">
        {props.me ? props.me.username : "guest"}
        {props.me?.is_admin ? <span className="badge">admin</span> : null}
      </span>
      {props.me ? (
        <button type="button" data-testid="logout" onClick={props.onLogout}>
          Log out
        </button>
      ) : (
        <button type="button" data-testid="guest-login" onClick={props.onLogout} title="log in for your own projects">
          Log in
        </button>
      )}
    </header>
  );
}
