// Finds the gateway and the token before anything else renders: from the desktop app, or from
// what the person signed in with in a browser.

import { useCallback, useEffect, useMemo, useState } from "react";
import { createClient } from "./api/client";
import { browserToken, desktop, isDesktop, type DesktopState } from "./api/connection";
import { SessionContext, type Session } from "./api/hooks";
import { App } from "./App";
import { SignIn } from "./pages/SignIn";
import { PortInUse } from "./pages/PortInUse";

type Boot = { kind: "loading" } | { kind: "signed-out"; error: string | null } | { kind: "desktop-problem"; state: Exclude<DesktopState, { state: "running" }> } | { kind: "ready"; origin: string; token: string };

export function Boot() {
  const [boot, setBoot] = useState<Boot>({ kind: "loading" });

  const fromDesktop = useCallback((state: DesktopState) => {
    setBoot(state.state === "running" ? { kind: "ready", origin: state.origin, token: state.token } : { kind: "desktop-problem", state });
  }, []);

  useEffect(() => {
    if (isDesktop()) {
      desktop.state().then(fromDesktop, (e) => setBoot({ kind: "desktop-problem", state: { state: "failed", message: String(e) } }));
    } else {
      const token = browserToken.get();
      setBoot(token ? { kind: "ready", origin: "", token } : { kind: "signed-out", error: null });
    }
  }, [fromDesktop]);

  const onToken = useCallback((token: string) => {
    if (!isDesktop()) browserToken.set(token);
    setBoot((b) => (b.kind === "ready" ? { ...b, token } : b));
  }, []);

  const signOut = useCallback((error: string | null) => {
    browserToken.clear();
    setBoot({ kind: "signed-out", error });
  }, []);

  const session: Session | null = useMemo(
    () => (boot.kind === "ready" ? { client: createClient({ origin: boot.origin, token: boot.token }), origin: boot.origin, token: boot.token, onToken } : null),
    [boot, onToken],
  );

  switch (boot.kind) {
    case "loading":
      return <div className="boot">Starting Sluice…</div>;
    case "signed-out":
      return <SignIn error={boot.error} onSignedIn={(token) => { browserToken.set(token); setBoot({ kind: "ready", origin: "", token }); }} />;
    case "desktop-problem":
      return <PortInUse state={boot.state} onStarted={fromDesktop} />;
    case "ready":
      return (
        <SessionContext.Provider value={session}>
          <App onUnauthorized={isDesktop() ? undefined : () => signOut("The token was changed or is no longer valid. Sign in with the current one.")} />
        </SessionContext.Provider>
      );
  }
}
