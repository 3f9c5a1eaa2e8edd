// The signed-in shell: navigation and the page the URL's hash names.

import { useEffect, useState } from "react";
import { useInfo } from "./api/hooks";
import { ApiError } from "./api/client";
import { Cache } from "./pages/Cache";
import { Dashboard } from "./pages/Dashboard";
import { Connect } from "./pages/Connect";
import { Providers } from "./pages/Providers";
import { Requests } from "./pages/Requests";
import { Routing } from "./pages/Routing";
import { Playground } from "./pages/Playground";
import { Suites } from "./pages/Suites";
import { Quality } from "./pages/Quality";
import { BudgetBanner } from "./components/BudgetBanner";
import { LogBanner } from "./components/LogBanner";
import { Settings } from "./pages/Settings";

const PAGES = {
  dashboard: { title: "Dashboard", Page: Dashboard },
  connect: { title: "Connect", Page: Connect },
  providers: { title: "Providers & keys", Page: Providers },
  routing: { title: "Routing", Page: Routing },
  playground: { title: "Playground", Page: Playground },
  suites: { title: "Suites", Page: Suites },
  quality: { title: "Quality", Page: Quality },
  requests: { title: "Requests", Page: Requests },
  cache: { title: "Cache", Page: Cache },
  settings: { title: "Settings", Page: Settings },
} as const;

type PageId = keyof typeof PAGES;

function currentPage(): PageId {
  const id = window.location.hash.replace(/^#\/?/, "").split("/")[0];
  return id in PAGES ? (id as PageId) : "dashboard";
}

export function App({ onUnauthorized }: { onUnauthorized?: () => void }) {
  const [page, setPage] = useState<PageId>(currentPage);
  const info = useInfo();

  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (info.error instanceof ApiError && info.error.status === 401) onUnauthorized?.();
  }, [info.error, onUnauthorized]);

  const { title, Page } = PAGES[page];
  return (
    <div className="shell">
      <nav className="nav" aria-label="Sections">
        <div className="brand">Sluice</div>
        {(Object.keys(PAGES) as PageId[]).map((id) => (
          <a key={id} href={`#/${id}`} className={id === page ? "active" : undefined} aria-current={id === page ? "page" : undefined}>
            {PAGES[id].title}
          </a>
        ))}
        <div className="nav-foot">
          {info.data?.paused ? <span className="badge warn">Proxy paused</span> : info.data ? <span className="badge ok">Proxy on</span> : null}
          {info.data && <span className="muted small">v{info.data.version}</span>}
        </div>
      </nav>
      <main className="page" aria-labelledby="page-title">
        <LogBanner />
        <BudgetBanner />
        <h1 id="page-title">{title}</h1>
        <Page />
      </main>
    </div>
  );
}
