/** The world point (RAS mm) of the rendered surface under a 3D viewport's canvas pixel, by niivue's depth picking. */
import type { Niivue } from "@niivue/niivue";

export function surfacePoint(nv: Niivue, x: number, y: number): [number, number, number] | null {
  const before = Array.from(nv.scene.crosshairPos);
  nv.mousePos = [x, y];
  nv.uiData.mouseDepthPicker = true;
  nv.drawScene();
  nv.drawScene(); // niivue picks on the frame after it was asked (as its own click does)
  const after = Array.from(nv.scene.crosshairPos);
  if (after.every((v, k) => v === before[k])) return null;
  const mm = nv.frac2mm(nv.scene.crosshairPos, 0, true);
  return [Number(mm[0]), Number(mm[1]), Number(mm[2])];
}
