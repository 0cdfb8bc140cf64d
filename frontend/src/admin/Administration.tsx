/**
 * Mounts administration on the desktop: "Settings" (the current project; its project admins and system
 * admins), "Users" (system admins) and "Profile" (every logged-in user) in the top bar, and their dialogs.
 */
import { useState } from "react";
import type { Me, Project } from "../api/types";
import { TopTool } from "../components/TopTools";
import { ProfileDialog } from "./ProfileDialog";
import { ProjectSettingsDialog } from "./ProjectSettingsDialog";
import { UsersDialog } from "./UsersDialog";
import "./admin.css";

type Open = "settings" | "users" | "profile" | null;

export function Administration(props: { me: Me | null; project: Project | null }) {
  const [open, setOpen] = useState<Open>(null);
  const me = props.me;
  if (me === null) return null;
  const project = props.project;
  const projectAdmin = project !== null && (me.is_admin || project.role === "admin");
  const toggle = (what: Open) => setOpen((o) => (o === what ? null : what));
  const close = () => setOpen(null);
  return (
    <>
      <TopTool>
        {projectAdmin ? (
          <button type="button" data-testid="open-project-settings" title={`Settings, presets, autoexecution and rights of ${project.name}`} onClick={() => toggle("settings")}>
            Settings
          </button>
        ) : null}
        {me.is_admin ? (
          <button type="button" data-testid="open-users" title="Users, rights, capabilities, tokens and the audit log" onClick={() => toggle("users")}>
            Users
          </button>
        ) : null}
        <button type="button" data-testid="open-profile" title="Your password and API tokens" onClick={() => toggle("profile")}>
          Profile
        </button>
      </TopTool>
      {open === "settings" && projectAdmin ? <ProjectSettingsDialog key={project.name} project={project.name} onClose={close} /> : null}
      {open === "users" && me.is_admin ? <UsersDialog me={me.username} onClose={close} /> : null}
      {open === "profile" ? <ProfileDialog me={me} onClose={close} /> : null}
    </>
  );
}
