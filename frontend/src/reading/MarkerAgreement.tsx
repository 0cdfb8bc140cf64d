/**
 * Marker agreement of the readers' marker sets (the form's markers items) in the Analysis panel: per item,
 * arm and reader pair the pooled counts, sensitivity / precision / F1 of the one-to-one matches within the
 * tolerance and the matched distances; every case in the export (Save CSV).
 */
import { csvText, saveCsv } from "../lib/csv";
import type { ReadingAnalysis } from "./api";
import { fmt } from "./roc";

type MarkerItem = NonNullable<ReadingAnalysis["markers"]>[number];

/** Every compared case as CSV: item, arm, the two readers, counts, ratios and matched distances (mm). */
export function markerCsv(items: readonly MarkerItem[]): string {
  const rows = items.flatMap((r) =>
    r.pairs.flatMap((p) =>
      p.cases.map((c) => [
        r.item, r.arm, p.raters[0] ?? "", p.raters[1] ?? "", c.case, c.n_a, c.n_b, c.matched,
        c.sensitivity, c.precision, c.f1, c.mean_mm, c.max_mm, r.tolerance_mm,
      ]),
    ),
  );
  return csvText(
    ["item", "arm", "reader_a", "reader_b", "case", "n_a", "n_b", "matched", "sensitivity", "precision", "f1",
      "mean_mm", "max_mm", "tolerance_mm"],
    rows,
  );
}

export function MarkerAgreement(props: { reading: string; items: readonly MarkerItem[] }) {
  const first = props.items[0];
  if (first === undefined) return null;
  const reference = props.items.some((r) => r.reference);
  return (
    <section className="rd-analysis-item" data-testid="reading-marker-agreement">
      <h4>Markers: matched one to one within {first.tolerance_mm} mm{first.by_label ? ", by name" : ""}{" "}
        <button type="button" data-testid="reading-marker-csv" onClick={() => saveCsv(`${props.reading}-marker-agreement.csv`, markerCsv(props.items))}>Save CSV</button>
      </h4>
      <p className="muted">
        {reference
          ? "Each reader against the reference: sensitivity is the share of the reference's markers the reader placed, precision the share of the reader's markers that match one."
          : "Sensitivity: the share of the first reader's markers the second matched; precision: of the second's, the first matched; F1 is symmetric."}
      </p>
      <table>
        <thead><tr><th>item</th><th>arm</th><th>readers</th><th>cases</th><th>markers a · b</th><th>matched</th><th>sensitivity</th><th>precision</th><th>F1</th><th>mean (mm)</th><th>max (mm)</th></tr></thead>
        <tbody>
          {props.items.flatMap((r) => r.pairs.map((p) => (
            <tr key={`${r.item}-${r.arm}-${p.raters.join("-")}`} data-testid="reading-marker-pair">
              <td>{r.item}</td><td>{r.arm}</td><td>{p.raters.join(r.reference ? " (ref) · " : " · ")}</td><td>{p.n}</td>
              <td>{p.n_a} · {p.n_b}</td><td>{p.matched}</td><td>{fmt(p.sensitivity)}</td><td>{fmt(p.precision)}</td><td>{fmt(p.f1)}</td>
              <td>{fmt(p.mean_mm)}</td><td>{fmt(p.max_mm)}</td>
            </tr>
          )))}
        </tbody>
      </table>
      {props.items.some((r) => r.notes.length > 0) ? <ul className="rd-problems">{props.items.flatMap((r) => r.notes).map((n, i) => <li key={i}>{n}</li>)}</ul> : null}
    </section>
  );
}
