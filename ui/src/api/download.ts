// Files from the admin API (suite exports): fetched with the token, saved through a link.

import type { Session } from "./hooks";

export async function download(session: Pick<Session, "origin" | "token">, path: string) {
  const response = await fetch(session.origin + path, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) throw new Error(`Sluice answered ${response.status}`);
  const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1] ?? "suite";
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}
