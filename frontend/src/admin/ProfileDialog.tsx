/** The profile: every user changes their own password and creates or revokes their own API tokens. */
import { useState } from "react";
import { keys } from "../api/queries";
import type { Me } from "../api/types";
import { account } from "./api";
import { AdminDialog, ErrorLine, Notice, TokenPanel, useAction } from "./parts";

const TABS = ["Password", "API tokens"];

export function ProfileDialog(props: { me: Me; onClose: () => void }) {
  const [tab, setTab] = useState(TABS[0]!);
  return (
    <AdminDialog label={`Profile of ${props.me.username}`} testId="profile-dialog" tabs={TABS} tab={tab} onTab={setTab} onClose={props.onClose}>
      {tab === "Password" ? <PasswordForm /> : <TokenPanel queryKey={keys.myTokens()} list={account.tokens} create={account.createToken} />}
    </AdminDialog>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const action = useAction();

  async function submit() {
    setDone(null);
    if (next !== again) {
      action.setError("The new password and its repetition differ");
      return;
    }
    if (await action.run(() => account.changePassword(current, next))) {
      setCurrent("");
      setNext("");
      setAgain("");
      setDone("Password changed.");
    }
  }

  return (
    <form
      className="admin-section admin-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        Current password
        <input type="password" autoComplete="current-password" data-testid="pw-current" value={current} onChange={(e) => setCurrent(e.target.value)} />
      </label>
      <label>
        New password (at least 8 characters)
        <input type="password" autoComplete="new-password" data-testid="pw-new" value={next} onChange={(e) => setNext(e.target.value)} />
      </label>
      <label>
        New password again
        <input type="password" autoComplete="new-password" data-testid="pw-again" value={again} onChange={(e) => setAgain(e.target.value)} />
      </label>
      <ErrorLine error={action.error} testId="pw-error" />
      <Notice text={done} testId="pw-done" />
      <div className="modal-buttons">
        <button type="submit" className="primary" data-testid="pw-submit" disabled={action.busy || current === "" || next === ""}>
          Change password
        </button>
      </div>
    </form>
  );
}
