/**
 * The time-series pin viewer (Ctrl + Shift + left click on 4D data): a static SVG line plot of one voxel's
 * values over all frames, the current frame marked. Closed with × or Esc. Nothing in it animates (see
 * Viewer.tsx on why the viewer has no animations).
 */
import type { Pin } from "./engine";
import { plotPoints } from "./model";

const W = 240;
const H = 110;
const PAD = { left: 34, right: 6, top: 6, bottom: 16 };

function short(v: number): string {
  if (!Number.isFinite(v)) return "–";
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(3);
}

export function PinViewer(props: { pin: Pin; frame: number; onClose: () => void }) {
  const { pin, frame } = props;
  const box = { x: PAD.left, y: PAD.top, w: W - PAD.left - PAD.right, h: H - PAD.top - PAD.bottom };
  const { points, min, max } = plotPoints(pin.values, box);
  const current = points[Math.min(frame, points.length - 1)];
  return (
    <div
      className="pin-viewer"
      data-testid="pin-viewer"
      data-values={JSON.stringify(pin.values)}
      data-vox={pin.vox.join(",")}
      data-mm={pin.mm.join(",")}
      data-frame={frame}
      onPointerDown={(e) => e.stopPropagation()}
    >
      <div className="pin-head">
        <span title={pin.name}>
          {pin.name} [{pin.vox.join(",")}] t={frame}: <b data-testid="pin-current">{short(pin.values[frame] ?? Number.NaN)}</b>
        </span>
        <button className="vb-btn" data-testid="pin-close" title="close (Esc)" onClick={props.onClose}>
          ×
        </button>
      </div>
      <svg className="pin-plot" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`time series of ${pin.name} at voxel ${pin.vox.join(",")}`}>
        <rect x={box.x} y={box.y} width={box.w} height={box.h} className="pin-frame" />
        <text x={box.x - 3} y={box.y + 8} className="pin-axis" textAnchor="end">{short(max)}</text>
        <text x={box.x - 3} y={box.y + box.h} className="pin-axis" textAnchor="end">{short(min)}</text>
        <text x={box.x} y={H - 3} className="pin-axis">0</text>
        <text x={box.x + box.w} y={H - 3} className="pin-axis" textAnchor="end">{pin.values.length - 1}</text>
        {current ? <line x1={current[0]} x2={current[0]} y1={box.y} y2={box.y + box.h} className="pin-now" data-testid="pin-now" /> : null}
        <polyline data-testid="pin-line" className="pin-line" points={points.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(" ")} />
        {current ? <circle cx={current[0]} cy={current[1]} r={3} className="pin-dot" /> : null}
      </svg>
    </div>
  );
}
