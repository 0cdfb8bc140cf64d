/**
 * Dice and HD95 of the readers' ROIs (the form's roi items) in the Analysis panel: per item, arm and reader
 * pair the mean / SD / median over the cases, and every case in the export (Save CSV).
 */
import { csvText, saveCsv } from "../lib/csv";
import type { ReadingAnalysis } from "./api";
import { fmt } from "./roc";

type RoiItem = NonNullable<ReadingAnalysis["rois"]>[number];

/** Every compared case as CSV: item, arm, the two readers, Dice, HD95 (mm). */
export function roiCsv(rois: readonly RoiItem[]): string {
  const rows = rois.flatMap((r) =>
    r.pairs.flatMap((p) => p.cases.map((c) => [r.item, r.arm, p.raters[0] ?? "", p.raters[1] ?? "", c.case, c.dice, c.hd95_mm])),
  );
  return csvText(["item", "arm", "reader_a", "reader_b", "case", "dice", "hd95_mm"], rows);
}

export function RoiAgreement(props: { reading: string; rois: readonly RoiItem[] }) {
  if (props.rois.length === 0) return null;
  return (
    <section className="rd-analysis-item" data-testid="reading-roi-agreement">
      <h4>ROIs: Dice and HD95 <button type="button" data-testid="reading-roi-csv" onClick={() => saveCsv(`${props.reading}-roi-agreement.csv`, roiCsv(props.rois))}>Save CSV</button></h4>
      <table>
        <thead><tr><th>item</th><th>arm</th><th>readers</th><th>cases</th><th>Dice mean (SD)</th><th>Dice median</th><th>HD95 mean (mm)</th><th>HD95 median</th></tr></thead>
        <tbody>
          {props.rois.flatMap((r) => r.pairs.map((p) => (
            <tr key={`${r.item}-${r.arm}-${p.raters.join("-")}`} data-testid="reading-roi-pair">
              <td>{r.item}</td><td>{r.arm}</td><td>{p.raters.join(r.reference ? " (ref) · " : " · ")}</td><td>{p.n}</td>
              <td>{fmt(p.dice_mean)} ({fmt(p.dice_sd)})</td><td>{fmt(p.dice_median)}</td><td>{fmt(p.hd95_mean)}</td><td>{fmt(p.hd95_median)}</td>
            </tr>
          )))}
        </tbody>
      </table>
      {props.rois.some((r) => r.notes.length > 0) ? <ul className="rd-problems">{props.rois.flatMap((r) => r.notes).map((n, i) => <li key={i}>{n}</li>)}</ul> : null}
    </section>
  );
}
