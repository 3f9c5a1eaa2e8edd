import { useInfo, useRotateToken, useSession } from "../api/hooks";
import { CopyField } from "./CopyField";
import { ErrorBox } from "./ErrorBox";

/** The local token: copy it, or replace it (every tool then needs the new one). */
export function TokenControls() {
  const { token } = useSession();
  const info = useInfo();
  const rotate = useRotateToken();
  const regenerate = () => {
    if (window.confirm("Make a new token? Every tool using the current one will be refused until you give it the new one.")) rotate.mutate();
  };
  return (
    <>
      <CopyField label="Token" value={token} secret />
      <div className="row">
        {info.data?.token_fixed ? (
          <span className="muted small">The token is set by SLUICE_TOKEN; change it there.</span>
        ) : (
          <button onClick={regenerate} disabled={rotate.isPending}>
            Regenerate token
          </button>
        )}
        {rotate.isSuccess && <span className="ok-text small">New token in use. Update your tools.</span>}
      </div>
      <ErrorBox error={rotate.error} title="Could not make a new token:" />
    </>
  );
}
