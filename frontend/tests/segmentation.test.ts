import { describe, expect, it } from "vitest";
import type { Model } from "../src/segmentation/api";
import { aboutModel, describeModel, modelOf, modelParams, modelValue } from "../src/segmentation/models";

const model = (folder: string, name: string, dice: number | null): Model => ({
  id: 1, name, folder, kind: "patchwork", version: 3, contrasts: ["t1*/*.nii*", "flair*/*.nii*"], labels: ["ROIS/gm.nii.gz"],
  training: [], validation: [], params: {}, figures: dice === null ? {} : { dice }, creator: "jane",
  created_at: "2026-12-02T00:00:00Z", updated_at: "2026-12-02T00:00:00Z",
});

describe("the apply form's model picker", () => {
  const models = [model("models/brain", "brain", 0.9123), model("models/tissue", "tissue", null)];

  it("finds the model a value names, by folder or by its JSON, and nothing else", () => {
    expect(modelOf(models, "models/brain/model_patchwork.json")?.name).toBe("brain");
    expect(modelOf(models, "models/tissue")?.name).toBe("tissue");
    expect(modelOf(models, " models/tissue/ ")?.name).toBe("tissue");
    expect(modelOf(models, "models/bra")).toBeUndefined();
    expect(modelOf(models, "models/gone/model_patchwork.json")).toBeUndefined();
    expect(modelValue(models[0]!)).toBe("models/brain/model_patchwork.json");
  });

  it("describes a model by its version, inputs in order, labels and last Dice", () => {
    expect(describeModel(models[0]!)).toBe(
      "brain v3: contrast1 t1*/*.nii*, contrast2 flair*/*.nii* → label 1 ROIS/gm.nii.gz, Dice 0.912");
    expect(describeModel(models[1]!)).not.toContain("Dice");
  });

  it("says who trained a model on how many studies", () => {
    expect(aboutModel({ ...models[0]!, training: ["P1#S1", "P2#S1"], validation: ["P3#S1"] }))
      .toBe("by jane, trained on 2 studies, 1 held out, 2026-12-02");
    expect(aboutModel({ ...models[0]!, creator: "", training: ["P1#S1"] })).toBe("trained on 1 study, 0 held out, 2026-12-02");
    expect(modelParams({ ...models[0]!, params: { depth: 2, patch: 16, augment: true } })).toBe("depth 2, patch 16, augment true");
  });
});
