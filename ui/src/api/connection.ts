// Where the admin API is and the token for it. In the desktop window the app says (a Tauri
// command); in a browser the UI is served by Sluice itself, so the API is same-origin and the
// token is what the person signed in with.

import { invoke } from "@tauri-apps/api/core";

export interface Connection {
  /** Origin of the gateway, e.g. http://127.0.0.1:8990; "" for same-origin. */
  origin: string;
  token: string;
}

/** What the desktop app reports about its gateway. */
export type DesktopState =
  | { state: "running"; origin: string; token: string }
  | { state: "port_in_use"; listen: string; suggestion: string; message: string; remembered: boolean }
  | { state: "failed"; message: string };

export const isDesktop = (): boolean => typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;

export const desktop = {
  state: () => invoke<DesktopState>("gateway_state"),
  start: (listen: string) => invoke<DesktopState>("start_gateway", { listen }),
  settings: () => invoke<DesktopSettings>("desktop_settings"),
  saveSettings: (settings: DesktopSettings) => invoke<DesktopSettings>("set_desktop_settings", { settings }),
  checkUpdate: () => invoke<UpdateStatus>("check_update"),
  installUpdate: () => invoke<void>("install_update"),
  relaunch: () => invoke<void>("relaunch"),
};

export interface DesktopSettings {
  start_at_login: boolean;
  start_minimized: boolean;
}

export type UpdateStatus = { available: false; current: string } | { available: true; current: string; version: string; notes: string | null };

const TOKEN_KEY = "sluice.token";

/** The browser's token lives as long as its tab: it survives a reload, but not the tab being
 * closed, and other tabs and later visits sign in again. (localStorage would keep it on disk
 * for any script of this origin, for good.) */
export const browserToken = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};
