// Throw-away mock of the NORA REST contract for looking at the page without the backend.
// Not part of the build or the tests. Serves ../dist at "/" and fake JSON under "/api".
// Run: npm run build && node dev/mock-server.mjs [port]   (users: admin/admin, reader/reader)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const PORT = Number(process.argv[2] ?? process.env.MOCK_PORT ?? 8010);
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const LATENCY_MS = Number(process.env.MOCK_LATENCY_MS ?? 60);

// ---- deterministic fake archive ----
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(rand() * list.length)];
const FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans", "Ida", "Jonas", "Karin", "Lukas", "Mia", "Noah"];
const LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"];
const SERIES = [
  { sdesc: "MPRAGE T1 3D", modality: "MR", files: ["t1_mprage/s003.nii.gz", "t1_mprage/s003.json"] },
  { sdesc: "DTI 64 directions", modality: "MR", files: ["dti_64/s005.nii.gz", "dti_64/s005.bval", "dti_64/s005.bvec"] },
  { sdesc: "rs-fMRI", modality: "MR", files: ["rsfmri/s007.nii.gz", "rsfmri/s007.json"] },
  { sdesc: "CT head native", modality: "CT", files: ["ct_head/s002.nii.gz"] },
  { sdesc: "FDG PET brain", modality: "PT", files: ["pet_fdg/s004.nii.gz", "pet_fdg/s004.mgz"] },
];
const TAGS = ["control", "patient", "followup", "excluded", "qc_ok", "needs_review"];

function makeProject(name, nStudies, extra) {
  const patients = [];
  const studies = [];
  let fileId = extra.fileIdBase;
  for (let p = 1; studies.length < nStudies; p++) {
    const patient = {
      patient_id: extra.idBase + p,
      pid: `${extra.prefix}${String(p).padStart(5, "0")}`,
      name: `${pick(LAST)}^${pick(FIRST)}`,
      birth_date: `19${40 + Math.floor(rand() * 60)}-${String(1 + Math.floor(rand() * 12)).padStart(2, "0")}-${String(1 + Math.floor(rand() * 28)).padStart(2, "0")}`,
      sex: pick(["F", "M"]),
      ptags: rand() < 0.3 ? [pick(TAGS.slice(0, 2))] : [],
      files: [],
    };
    patients.push(patient);
    const n = 1 + Math.floor(rand() * 4);
    for (let s = 1; s <= n && studies.length < nStudies; s++) {
      const series = [pick(SERIES), ...(rand() < 0.5 ? [pick(SERIES)] : [])];
      const files = [...new Set(series.flatMap((x) => x.files))].map((path) => {
        fileId += 1;
        const image = /\.(nii\.gz|mgz|nii)$/.test(path);
        return {
          id: fileId, path, format: image ? (path.endsWith(".mgz") ? "mgh" : "nifti") : path.split(".").pop(),
          size: image ? 2_000_000 + Math.floor(rand() * 30_000_000) : 200 + Math.floor(rand() * 4000),
          header: image ? { dims: [256, 256, 120 + Math.floor(rand() * 60)], voxel_size: [1, 1, 1.2] } : {},
          tags: rand() < 0.1 ? ["qc_ok"] : [], modified_at: "2024-05-01T10:00:00Z",
        };
      });
      studies.push({
        patient,
        study_id: extra.idBase * 10 + studies.length + 1,
        sid: `S${String(s).padStart(3, "0")}`,
        study_date: `20${10 + Math.floor(rand() * 14)}-${String(1 + Math.floor(rand() * 12)).padStart(2, "0")}-${String(1 + Math.floor(rand() * 28)).padStart(2, "0")}`,
        sdesc: series[0].sdesc,
        modality: series[0].modality,
        stags: rand() < 0.25 ? [pick(TAGS)] : [],
        files,
        jobs: { q: rand() < 0.03 ? 1 : 0, r: rand() < 0.02 ? 1 : 0, e: rand() < 0.02 ? 2 : 0 },
      });
    }
  }
  return { ...extra.info, name, patients, studies };
}

const PROJECTS = [
  makeProject("demo", 10000, { idBase: 0, fileIdBase: 0, prefix: "P", info: { description: "10 000 fake studies", anonymised: false } }),
  makeProject("archive_ro", 40, { idBase: 100000, fileIdBase: 900000, prefix: "R", info: { description: "read-only sample", anonymised: true } }),
];
const USERS = { admin: { password: "admin", is_admin: true }, reader: { password: "reader", is_admin: false } };
const sessions = new Map();

// ---- selection language (subset) ----
class BadFilter extends Error {}
function parseExpr(text, param) {
  const conjuncts = [];
  let pos = 0;
  for (const part of text.split("&")) {
    const alts = part.trim().split(/\s+/).filter(Boolean);
    if (alts.length === 0) throw new BadFilter(`${param}: empty expression at position ${pos + 1} of "${text}"`);
    for (const a of alts) {
      if (/^[A-Z]+:$/i.test(a)) throw new BadFilter(`${param}: "${a}" needs a value at position ${text.indexOf(a) + 1}`);
    }
    conjuncts.push(alts);
    pos += part.length + 1;
  }
  return conjuncts;
}
const toRegex = (pattern) =>
  new RegExp("^" + pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/_/g, ".") + ".*", "i");
const anyMatch = (values, pattern) => values.some((v) => v != null && toRegex(pattern).test(String(v)));

function fileAlt(study, alt) {
  const m = /^(STAG|PTAG|FTAG|JOB|SDESC):(.*)$/i.exec(alt);
  if (!m) return anyMatch(study.files.map((f) => f.path), alt);
  const [, attr, value] = m;
  switch (attr.toUpperCase()) {
    case "STAG": return anyMatch(study.stags, value);
    case "PTAG": return anyMatch(study.patient.ptags, value);
    case "FTAG": return anyMatch(study.files.flatMap((f) => f.tags), value);
    case "SDESC": return anyMatch([study.sdesc], value);
    case "JOB": return [...value.toLowerCase()].some((s) => (study.jobs[s] ?? 0) > 0);
  }
  return false;
}

const COLUMN = {
  pid: (s) => [s.patient.pid], name: (s) => [s.patient.name], birth_date: (s) => [s.patient.birth_date],
  sid: (s) => [s.sid], study_date: (s) => [s.study_date], sdesc: (s) => [s.sdesc], modality: (s) => [s.modality],
  stag: (s) => s.stags, ptag: (s) => s.patient.ptags,
};

function selectStudies(project, q) {
  const tests = [];
  for (const [param, values] of Object.entries(COLUMN)) {
    const text = q.get(param);
    if (!text) continue;
    const expr = parseExpr(text, param);
    tests.push((s) => expr.every((alts) => alts.some((a) => anyMatch(values(s), a))));
  }
  const files = q.get("files");
  if (files) {
    const expr = parseExpr(files, "files");
    tests.push((s) => expr.every((alts) => alts.some((a) => fileAlt(s, a))));
  }
  let rows = project.studies.filter((s) => tests.every((t) => t(s)));
  const sort = q.get("sort");
  if (sort) {
    const desc = sort.startsWith("-");
    const key = desc ? sort.slice(1) : sort;
    if (!COLUMN[key] || ["birth_date", "stag", "ptag"].includes(key)) throw new BadFilter(`sort: unknown column "${key}"`);
    rows = [...rows].sort((a, b) => String(COLUMN[key](a)[0] ?? "").localeCompare(String(COLUMN[key](b)[0] ?? "")) * (desc ? -1 : 1));
  }
  return rows;
}

const rowOf = (s) => ({
  patient_id: s.patient.patient_id, study_id: s.study_id, pid: s.patient.pid, name: s.patient.name,
  birth_date: s.patient.birth_date, sex: s.patient.sex, sid: s.sid, study_date: s.study_date, sdesc: s.sdesc,
  modality: s.modality, ptags: s.patient.ptags, stags: s.stags, n_files: s.files.length, jobs: s.jobs,
});
const fileOf = (project, s, f) => ({
  ...f, study_id: s.study_id, patient_id: s.patient.patient_id,
  url: `/api/projects/${project.name}/files/${f.id}/content`,
});

function applyTags(list, body) {
  const next = list.filter((t) => !(body.remove ?? []).includes(t));
  for (const t of body.add ?? []) if (!next.includes(t)) next.push(t);
  list.splice(0, list.length, ...next);
  return { tags: list };
}

// ---- HTTP ----
const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(body === undefined ? "" : JSON.stringify(body));
};
const readJson = (req) =>
  new Promise((resolve) => {
    let data = "";
    req.on("data", (c) => (data += c));
    req.on("end", () => { try { resolve(data ? JSON.parse(data) : {}); } catch { resolve({}); } });
  });
const userOf = (req) => {
  const m = /nora_session=([^;]+)/.exec(req.headers.cookie ?? "");
  return m ? sessions.get(m[1]) ?? null : null;
};
const projectInfo = (p, user) => ({
  name: p.name, description: p.description, role: USERS[user]?.is_admin ? "admin" : "user",
  readonly: p.name === "archive_ro" || user === "reader", download: true, batchtool: false, deanonym: !p.anonymised,
  anonymised: p.anonymised, public: false, n_patients: p.patients.length, n_studies: p.studies.length,
});

async function api(req, res, url) {
  const path = url.pathname.slice(4);
  if (path === "/auth/login" && req.method === "POST") {
    const body = await readJson(req);
    const user = USERS[body.username];
    if (!user || user.password !== body.password) return send(res, 401, { detail: "Invalid username or password" });
    const sid = Math.random().toString(36).slice(2);
    sessions.set(sid, body.username);
    return send(res, 200, { username: body.username, is_admin: user.is_admin }, { "Set-Cookie": `nora_session=${sid}; HttpOnly; SameSite=Lax; Path=/` });
  }
  const user = userOf(req);
  if (!user) return send(res, 401, { detail: "Not authenticated" });
  if (path === "/auth/logout") return send(res, 204, undefined, { "Set-Cookie": "nora_session=; Max-Age=0; Path=/" });
  if (path === "/auth/me") return send(res, 200, { username: user, is_admin: USERS[user].is_admin });
  if (path === "/projects") return send(res, 200, PROJECTS.map((p) => projectInfo(p, user)));

  const m = /^\/projects\/([^/]+)(\/.*)?$/.exec(path);
  const project = m && PROJECTS.find((p) => p.name === decodeURIComponent(m[1]));
  if (!project) return send(res, 404, { detail: `No project "${m?.[1]}"` });
  const rest = m[2] ?? "";
  const ro = projectInfo(project, user).readonly;
  const study = (pid, sid) => project.studies.find((s) => s.patient.pid === decodeURIComponent(pid) && s.sid === decodeURIComponent(sid));
  let r;
  if (rest === "/studies") {
    try {
      const rows = selectStudies(project, url.searchParams);
      const offset = Number(url.searchParams.get("offset") ?? 0);
      const limit = Math.min(Number(url.searchParams.get("limit") ?? 200), 5000);
      return send(res, 200, { total: rows.length, offset, limit, items: rows.slice(offset, offset + limit).map(rowOf) });
    } catch (err) {
      if (err instanceof BadFilter) return send(res, 400, { detail: err.message });
      throw err;
    }
  }
  if ((r = /^\/patients\/([^/]+)\/studies\/([^/]+)\/files$/.exec(rest))) {
    const s = study(r[1], r[2]);
    return s ? send(res, 200, s.files.map((f) => fileOf(project, s, f))) : send(res, 404, { detail: "No such study" });
  }
  if (req.method === "POST" && (r = /^\/patients\/([^/]+)\/studies\/([^/]+)\/tags$/.exec(rest))) {
    if (ro) return send(res, 403, { detail: "Project is read-only for you" });
    const s = study(r[1], r[2]);
    return s ? send(res, 200, applyTags(s.stags, await readJson(req))) : send(res, 404, { detail: "No such study" });
  }
  if (req.method === "POST" && (r = /^\/patients\/([^/]+)\/tags$/.exec(rest))) {
    if (ro) return send(res, 403, { detail: "Project is read-only for you" });
    const p = project.patients.find((x) => x.pid === decodeURIComponent(r[1]));
    return p ? send(res, 200, applyTags(p.ptags, await readJson(req))) : send(res, 404, { detail: "No such patient" });
  }
  if (req.method === "POST" && (r = /^\/files\/(\d+)\/tags$/.exec(rest))) {
    if (ro) return send(res, 403, { detail: "Project is read-only for you" });
    const f = project.studies.flatMap((s) => s.files).find((x) => x.id === Number(r[1]));
    return f ? send(res, 200, applyTags(f.tags, await readJson(req))) : send(res, 404, { detail: "No such file" });
  }
  if ((r = /^\/files\/(\d+)\/content$/.exec(rest))) {
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    return res.end("fake file content\n");
  }
  return send(res, 404, { detail: `No route ${req.method} ${url.pathname}` });
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  try {
    if (url.pathname.startsWith("/api/")) {
      await new Promise((r) => setTimeout(r, LATENCY_MS));
      return await api(req, res, url);
    }
    const rel = url.pathname === "/" ? "index.html" : normalize(url.pathname).replace(/^[/\\]+/, "");
    const body = await readFile(join(DIST, rel));
    res.writeHead(200, { "Content-Type": TYPES[extname(rel)] ?? "application/octet-stream" });
    res.end(body);
  } catch (err) {
    if (err.code === "ENOENT") return send(res, 404, { detail: "Not found" });
    console.error(err);
    send(res, 500, { detail: String(err) });
  }
}).listen(PORT, "127.0.0.1", () => console.log(`mock NORA on http://127.0.0.1:${PORT}/`));
