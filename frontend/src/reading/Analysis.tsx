/**
 * The analysis of a reading's results (reading admins): agreement per item and arm, accuracy against a
 * reference (an uploaded case,item,value table or a reader), the MRMC ROC analysis over the arms, and the
 * ROC curves of every reader per arm, and Dice / HD95 of the readers' ROIs. Computed by the server (POST …/analysis); nothing is stored.
 */
import { useState } from "react";
import { useErrors } from "../state/errors";
import { readingApi, type ReadingAnalysis } from "./api";
import { fmt, readerColour, rocPoints } from "./roc";
import { MarkerAgreement } from "./MarkerAgreement";
import { RoiAgreement } from "./RoiAgreement";

type Item = ReadingAnalysis["items"][number];
type Report = NonNullable<Item["mrmc"]>;

/** "q=b; finding=yes,1" -> {q: ["b"], finding: ["yes", "1"]} */
export function parsePositive(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of text.split(";")) {
    const [item, values] = part.split("=");
    if (item?.trim() && values !== undefined) out[item.trim()] = values.split(",").map((v) => v.trim()).filter(Boolean);
  }
  return out;
}

function RocPlot(props: { report: Report; arm: string }) {
  const size = 200;
  const pad = 16;
  const curves = props.report.curves.filter((c) => c.arm === props.arm);
  return (
    <figure className="rd-roc" data-testid="reading-roc" data-arm={props.arm}>
      <svg width={size} height={size} role="img" aria-label={`ROC curves, ${props.arm}`}>
        <rect x={pad} y={pad} width={size - 2 * pad} height={size - 2 * pad} fill="none" stroke="#666" />
        <line x1={pad} y1={size - pad} x2={size - pad} y2={pad} stroke="#555" strokeDasharray="3 3" />
        {curves.map((c) => (
          <polyline key={c.reader} data-reader={c.reader} points={rocPoints(c.fpr, c.tpr, size, pad)} fill="none"
            stroke={readerColour(props.report.readers, c.reader)} strokeWidth={1.5} />
        ))}
      </svg>
      <figcaption>
        <strong>{props.arm}</strong>{" "}
        {curves.map((c) => (
          <span key={c.reader} style={{ color: readerColour(props.report.readers, c.reader) }}>{c.reader} {fmt(c.auc)} </span>
        ))}
      </figcaption>
    </figure>
  );
}

function ItemView(props: { item: Item }) {
  const { item } = props;
  const report = item.mrmc;
  return (
    <section className="rd-analysis-item" data-testid="reading-analysis-item" data-item={item.item}>
      <h4>{item.item} <span className="muted">({item.kind}; readers {item.readers.join(", ")}; arms {item.arms.join(", ")})</span></h4>
      {item.inter_rater.length > 0 ? (
        <table data-testid="reading-agreement">
          <thead><tr><th>arm</th><th>measure</th><th>raters</th><th>n</th><th>value</th><th>95% CI</th><th>p</th></tr></thead>
          <tbody>
            {item.inter_rater.flatMap((g) => g.measures.map((m, i) => (
              <tr key={`${g.arm}-${i}`}>
                <td>{g.arm}</td><td>{m.measure}</td><td>{m.raters.join(" · ")}</td><td>{m.n}</td><td>{fmt(m.value)}</td>
                <td>{fmt(m.ci_low)} … {fmt(m.ci_high)}</td><td>{fmt(m.p, 4)}</td>
              </tr>
            )))}
          </tbody>
        </table>
      ) : null}
      {item.accuracy.length > 0 ? (
        <table data-testid="reading-accuracy">
          <thead><tr><th>reader</th><th>arm</th><th>n</th><th>sensitivity</th><th>specificity</th><th>AUC (95% CI)</th></tr></thead>
          <tbody>
            {item.accuracy.map((a) => (
              <tr key={`${a.reader}-${a.arm}`}>
                <td>{a.reader}</td><td>{a.arm}</td><td>{a.n}</td>
                <td>{fmt(a.sensitivity?.value)}</td><td>{fmt(a.specificity?.value)}</td>
                <td>{a.auc ? `${fmt(a.auc.estimate)} (${fmt(a.auc.ci_low)} … ${fmt(a.auc.ci_high)})` : "–"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {report ? (
        <div data-testid="reading-mrmc">
          <p className="muted">MRMC (Obuchowski-Rockette, Hillis df; {report.covariance}): {report.n_diseased} diseased, {report.n_normal} normal cases</p>
          <table>
            <thead><tr><th>analysis</th><th>test</th><th>difference</th><th>95% CI</th><th>p</th></tr></thead>
            <tbody>
              {report.analyses.map((a) => (
                <tr key={a.name}>
                  <td>{a.name}</td>
                  <td>{a.test ? `${a.test.kind}(${fmt(a.test.df1, 0)}${a.test.df2 !== null ? `, ${fmt(a.test.df2, 2)}` : ""}) = ${fmt(a.test.statistic)}, p ${fmt(a.test.p, 4)}` : "–"}</td>
                  <td>{a.differences.map((d) => `${d.label}: ${fmt(d.estimate)}`).join("; ") || "–"}</td>
                  <td>{a.differences.map((d) => `${fmt(d.ci_low)} … ${fmt(d.ci_high)}`).join("; ") || "–"}</td>
                  <td>{a.differences.map((d) => fmt(d.p, 4)).join("; ") || "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="rd-rocs">{report.arms.map((arm) => <RocPlot key={arm} report={report} arm={arm} />)}</div>
        </div>
      ) : null}
      {item.notes.length > 0 ? <ul className="rd-problems">{item.notes.map((n, i) => <li key={i}>{n}</li>)}</ul> : null}
    </section>
  );
}

export function Analysis(props: { project: string; reading: string; readers: string[] }) {
  const { report } = useErrors();
  const [reference, setReference] = useState<string>("");
  const [referenceReader, setReferenceReader] = useState("");
  const [covariance, setCovariance] = useState<"jackknife" | "delong">("jackknife");
  const [positive, setPositive] = useState("");
  const [tolerance, setTolerance] = useState("5");
  const [byLabel, setByLabel] = useState(false);
  const [result, setResult] = useState<ReadingAnalysis | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = () => {
    setBusy(true);
    setError(null);
    readingApi
      .analyse(props.project, props.reading, {
        reference_csv: reference || null,
        reference_reader: referenceReader || null,
        covariance,
        positive: parsePositive(positive),
        marker_tolerance_mm: Number(tolerance),
        markers_by_label: byLabel,
      })
      .then(setResult)
      .catch((err: unknown) => {
        setError(err instanceof Error ? err.message : String(err));
        report(err, "Analysing the results");
      })
      .finally(() => setBusy(false));
  };
  return (
    <div className="rd-analysis" data-testid="reading-analysis">
      <div className="rd-analysis-form">
        <label>Reference table (case,item,value){" "}
          <input type="file" accept=".csv,text/csv" data-testid="reading-reference-file"
            onChange={(e) => { const f = e.target.files?.[0]; if (f) void f.text().then(setReference); else setReference(""); }} />
        </label>
        <label>or reader{" "}
          <select value={referenceReader} data-testid="reading-reference-reader" onChange={(e) => setReferenceReader(e.target.value)}>
            <option value="">—</option>
            {props.readers.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </label>
        <label>Positive answers <input data-testid="reading-positive" placeholder="item=value,value; …" value={positive} onChange={(e) => setPositive(e.target.value)} /></label>
        <label>Covariance{" "}
          <select value={covariance} onChange={(e) => setCovariance(e.target.value as "jackknife" | "delong")}>
            <option value="jackknife">jackknife</option><option value="delong">DeLong</option>
          </select>
        </label>
        <label>Marker tolerance (mm){" "}
          <input type="number" min="0.1" step="0.5" className="rd-tolerance" data-testid="reading-marker-tolerance" value={tolerance} onChange={(e) => setTolerance(e.target.value)} />
        </label>
        <label className="rd-check"><input type="checkbox" data-testid="reading-marker-by-label" checked={byLabel} onChange={(e) => setByLabel(e.target.checked)} /> markers by name</label>
        <button type="button" data-testid="reading-analyse" disabled={busy} onClick={run}>{busy ? "Analysing…" : "Analyse"}</button>
      </div>
      {error ? <div className="rd-problems" data-testid="reading-analysis-error" role="alert">{error}</div> : null}
      {result ? result.items.map((item) => <ItemView key={item.item} item={item} />) : null}
      {result ? <RoiAgreement reading={props.reading} rois={result.rois ?? []} /> : null}
      {result ? <MarkerAgreement reading={props.reading} items={result.markers ?? []} /> : null}
    </div>
  );
}
