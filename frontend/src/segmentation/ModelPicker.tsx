/**
 * The apply form's model row: a choice among the project's models (name, version, inputs, labels) instead
 * of a typed folder. A value that names no model (a saved batch whose model was deleted) is shown as
 * unknown, here, where the user fills the form; the launch refuses it too, naming the project's models.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect } from "react";
import { keys } from "../api/queries";
import { useErrors } from "../state/errors";
import { segmentation } from "./api";
import { aboutModel, describeModel, modelOf, modelParams, modelValue } from "./models";

export function ModelPicker(props: { project: string; value: string; onChange: (value: string) => void }) {
  const { report } = useErrors();
  const query = useQuery({
    queryKey: keys.models(props.project),
    queryFn: ({ signal }) => segmentation.models(props.project, signal),
  });
  useEffect(() => {
    if (query.error) report(query.error, "Loading the project's models");
  }, [query.error, report]);
  const models = query.data ?? null;
  const chosen = models ? modelOf(models, props.value) : undefined;
  const unknown = models !== null && props.value.trim() !== "" && chosen === undefined;
  return (
    <span className="model-picker">
      <select aria-label="Model" data-testid="model-picker" value={chosen ? modelValue(chosen) : props.value}
        disabled={models === null} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{models === null ? "loading models…" : models.length ? "choose a model…" : "no models yet"}</option>
        {unknown ? <option value={props.value}>{props.value} (unknown)</option> : null}
        {(models ?? []).map((m) => <option key={m.id} value={modelValue(m)}>{m.folder} (v{m.version})</option>)}
      </select>
      {chosen ? <small className="muted" data-testid="model-inputs">{describeModel(chosen)}</small> : null}
      {chosen ? (
        <small className="muted" data-testid="model-about" title={`parameters: ${modelParams(chosen)}`}>{aboutModel(chosen)}</small>
      ) : null}
      {unknown ? (
        <small className="failed" role="alert" data-testid="model-unknown">
          {props.value} is not a model of this project: choose one of its models (or train one with Patchwork 3D)
        </small>
      ) : null}
      {models !== null && models.length === 0 ? (
        <small className="muted">Train a model with Patchwork 3D (training) first.</small>
      ) : null}
    </span>
  );
}
