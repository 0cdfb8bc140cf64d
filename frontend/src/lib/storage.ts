/** localStorage access that never throws (private mode, disabled storage). */
export function loadSetting(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

export function saveSetting(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Storage unavailable: the setting simply is not remembered.
  }
}

export const LAST_PROJECT_KEY = "nora.lastProject";

/** The project to open: the remembered one if the user may still see it, else the first. */
export function chooseProject(names: readonly string[], remembered: string | null): string | null {
  if (remembered !== null && names.includes(remembered)) return remembered;
  return names[0] ?? null;
}
