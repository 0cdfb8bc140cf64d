/**
 * The top bar's tool slot: desktop tools (import, PACS, batch tool, job monitor) put their launcher
 * buttons into it with a portal, in the top bar's flow, so they never overlap the project description.
 */
import { createContext, useContext, type ReactNode } from "react";
import { createPortal } from "react-dom";

export const TopToolsSlot = createContext<HTMLElement | null>(null);

export function TopTool(props: { children: ReactNode }) {
  const slot = useContext(TopToolsSlot);
  return slot ? createPortal(props.children, slot) : null;
}
