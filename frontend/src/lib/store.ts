/** A page store that React reads with useSyncExternalStore: subscribers, and a version every change bumps. */
export class VersionedStore {
  private listeners = new Set<() => void>();
  private version = 0;

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = (): number => this.version;

  /** Tell the subscribers (every change ends with it). */
  protected changed() {
    this.version += 1;
    for (const fn of this.listeners) fn();
  }
}
