// Importing visits and exam results from the hospital's CSV exports: choose a file, preview what
// would be recorded and the per-line errors (the API's dry run, nothing written), then import.
// A file of more than JOB_ROWS rows is imported as a job (POST /imports): the API answers at once
// and the page follows the job (GET /imports/{id}) every 2 s until it is done, saying so when part
// of it waits to be queued again (chunks_queued < chunks) or has stalled (a chunk failed; the
// requeue sweep or a redrive retries it).
import { useEffect, useState } from "preact/hooks";
import { get, postCsv } from "../api.js";
import { fmtDate, fmtDateTime, fmtNumber, t } from "../i18n.js";
import { flagLabel } from "./engagement.js";
import { html, labels, useAction } from "./shared.js";

const L = labels({
  zh: {
    title: "批量导入", visits: "就诊记录", exams: "体检结果", file: "CSV 文件", preview: "预览",
    commit: "确认导入", again: "重新选择", columnsVisits: "列：patient_id 或 phone、visit_date、department，可选 next_due_date、external_id（医院就诊号，重复导入不会重复登记）；每个文件最多 5,000 行。",
    columnsExams: "列：patient_id 或 phone、taken_on、flags（异常指标，以 ; 分隔，可为空），可选 exam_id（报告编号）；每个文件最多 5,000 行。",
    toRecord: "将登记 {n} 行", duplicates: "已登记过 {n} 行（不会重复）", errorsN: "有问题的 {n} 行（不会导入）",
    shownFirst: "仅显示前 {n} 行", line: "行号", patient: "患者", date: "日期", department: "科室", nextDue: "下次复诊日",
    flags: "异常指标", reference: "编号", problem: "问题", field: "列",
    doneVisits: "已导入 {n} 次就诊，{d} 行已登记过", doneExams: "已导入 {n} 份体检，分配任务 {tasks} 个，{d} 行已登记过",
    normal: "无异常", noFile: "请先选择文件", empty: "没有可导入的行",
    patient_not_found: "找不到该患者", invalid_date: "日期不对", unknown_department: "未知科室",
    missing_patient: "缺少 patient_id 或 phone", too_many_rows: "超过 5,000 行", unknown_flag: "未知的异常指标",
    invalid_exam_id: "报告编号格式不对", visit_exists: "已登记过", invalid_csv: "文件不是有效的 CSV 或缺少必需的列",
    invalid_encoding: "文件须为 UTF-8 编码", body_too_large: "文件太大", concurrent_change: "患者记录刚被修改，请重试",
    try_again: "请重试",
    f_phone: "电话", f_patient_id: "患者编号", f_visit_date: "就诊日期", f_next_due_date: "下次复诊日",
    f_department: "科室", f_taken_on: "体检日期", f_flags: "异常指标", f_exam_id: "报告编号",
    jobRunning: "正在后台导入：已处理 {done} / {rows} 行", jobDone: "导入完成：共 {rows} 行，登记 {n} 行，{d} 行已登记过，{e} 行有问题",
    jobNote: "超过 {n} 行的文件在后台导入，可离开本页，稍后回来查看进度。", recent: "最近的导入",
    startedAt: "开始时间", status: "状态", running: "导入中", done: "已完成", kindCol: "类型", rowsCol: "行数",
    recordedCol: "已登记", errorsCol: "有问题", file_too_large: "文件太大（最大 2 MB）", import_not_found: "找不到该导入任务",
    errorsShown: "仅列出前 {n} 个问题",
    jobWaiting: "部分数据尚未进入处理队列，几分钟内会自动重新排队", jobStalled: "部分数据处理失败，等待重试",
    stalled: "等待重试",
  },
  en: {
    title: "Imports", visits: "Visits", exams: "Exam results", file: "CSV file", preview: "Preview", commit: "Import",
    again: "Choose another file",
    columnsVisits: "Columns: patient_id or phone, visit_date, department, optional next_due_date and external_id (the hospital's visit number: a row imported again is not recorded twice); at most 5,000 rows a file.",
    columnsExams: "Columns: patient_id or phone, taken_on, flags (abnormal flags separated by ;, may be empty), optional exam_id; at most 5,000 rows a file.",
    toRecord: "{n} rows to record", duplicates: "{n} rows already recorded (not again)", errorsN: "{n} rows with problems (not imported)",
    shownFirst: "First {n} rows shown", line: "Line", patient: "Patient", date: "Date", department: "Department",
    nextDue: "Next revisit", flags: "Flags", reference: "Reference", problem: "Problem", field: "Column",
    doneVisits: "{n} visits imported, {d} rows already recorded", doneExams: "{n} exams imported, {tasks} tasks assigned, {d} rows already recorded",
    normal: "Normal", noFile: "Choose a file first", empty: "No rows to import",
    patient_not_found: "No such patient", invalid_date: "Not a valid date", unknown_department: "Unknown department",
    missing_patient: "patient_id or phone missing", too_many_rows: "Over 5,000 rows", unknown_flag: "Unknown flag",
    invalid_exam_id: "Exam id not valid", visit_exists: "Already recorded", invalid_csv: "Not a CSV file with the required columns",
    invalid_encoding: "The file must be UTF-8", body_too_large: "The file is too large",
    concurrent_change: "The record changed meanwhile; try again", try_again: "Try again",
    f_phone: "Phone", f_patient_id: "Patient id", f_visit_date: "Visit date", f_next_due_date: "Next revisit",
    f_department: "Department", f_taken_on: "Exam date", f_flags: "Flags", f_exam_id: "Exam id",
    jobRunning: "Importing in the background: {done} of {rows} rows done", jobDone: "Import finished: {rows} rows, {n} recorded, {d} already recorded, {e} with problems",
    jobNote: "Files over {n} rows are imported in the background; you may leave this page and come back.", recent: "Recent imports",
    startedAt: "Started", status: "Status", running: "Importing", done: "Done", kindCol: "Kind", rowsCol: "Rows",
    recordedCol: "Recorded", errorsCol: "Problems", file_too_large: "The file is too large (2 MB at most)", import_not_found: "No such import",
    errorsShown: "First {n} problems listed",
    jobWaiting: "Some rows have not reached the import queue yet; they are queued again within minutes",
    jobStalled: "Some rows failed to import and wait for a retry", stalled: "Waiting for a retry",
  },
});

const SHOWN = 100;
// Files over this many data rows go through an import job (docs/admin-site.md): a 5,000-row file
// takes minutes to record, longer than one API call may last.
export const JOB_ROWS = 500;
const POLL_MS = 2000;
const dataRows = (text) => text.split(/\r\n|\r|\n/).slice(1).filter((line) => line.trim() !== "").length;
const newKey = () => (globalThis.crypto && crypto.randomUUID ? crypto.randomUUID()
  : `imp-${Date.now()}-${Math.random().toString(36).slice(2)}`);
// The file's column names in a help text, shown as the codes the file's header must hold.
const COLUMNS = new Set(["patient_id", "phone", "visit_date", "department", "next_due_date", "external_id", "taken_on",
  "flags", "exam_id"]);
const asColumns = (text) => text.split(/([a-z_]+)/).map((part) => (COLUMNS.has(part) ? html`<code>${part}</code>` : part));

const KINDS = {
  visits: { path: "/visits/import", columns: "columnsVisits" },
  exams: { path: "/exams/import", columns: "columnsExams" },
};
const problemText = (code) => (L(code) !== code ? L(code) : L("try_again"));

function Imports() {
  const [kind, setKind] = useState("visits");
  const [text, setText] = useState(null);
  const [preview, setPreview] = useState(null);
  const [result, setResult] = useState(null);
  const [job, setJob] = useState(null);
  const [key, setKey] = useState(null);
  const [jobs, setJobs] = useState([]);
  const [action, run] = useAction(L);
  const loadJobs = () => get("/imports").then((answer) => setJobs(answer.items)).catch(() => {});
  useEffect(() => { loadJobs(); }, []);
  // follow a running job every 2 s until it is done
  useEffect(() => {
    if (!job || job.status === "done") return undefined;
    const timer = setTimeout(async () => {
      try { setJob(await get(`/imports/${job.job_id}`)); } catch (err) { setJob({ ...job }); }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job]);
  useEffect(() => { if (job && job.status === "done") loadJobs(); }, [job && job.status]);
  const chosen = KINDS[kind];
  const choose = async (event) => {
    const file = event.target.files && event.target.files[0];
    setPreview(null);
    setResult(null);
    setJob(null);
    setKey(newKey());  // one Idempotency-Key per chosen file: a double click starts one job
    setText(file ? await file.text() : null);
  };
  const check = async () => {
    if (!text) return;
    setResult(null);
    const answer = await run(() => postCsv(`${chosen.path}?dry_run=true`, text));
    if (answer) setPreview(answer);
  };
  const commit = async () => {
    if (dataRows(text) > JOB_ROWS) {
      const started = await run(() => postCsv(`/imports?kind=${kind}`, text, { "Idempotency-Key": key }));
      if (started) { setJob(started); setPreview(null); }
      return;
    }
    const answer = await run(() => postCsv(chosen.path, text));
    if (answer) { setResult(answer); setPreview(null); }
  };
  const switchTo = (next) => { setKind(next); setText(null); setPreview(null); setResult(null); setJob(null); };
  return html`<div>
    <h1>${L("title")}</h1>
    <div class="form-row" role="tablist">
      ${Object.keys(KINDS).map((k) => html`<button class=${k === kind ? "" : "ghost"} role="tab" aria-selected=${k === kind}
        data-testid=${"import-kind-" + k} onClick=${() => switchTo(k)}>${L(k)}</button>`)}
    </div>
    <p class="muted">${asColumns(L(chosen.columns))} ${L("jobNote", { n: fmtNumber(JOB_ROWS) })}</p>
    <div class="form-row">
      <label>${L("file")}<input type="file" accept=".csv,text/csv,text/plain" key=${kind} onChange=${choose}
        data-testid="import-file" /></label>
      <button disabled=${!text || action.busy} onClick=${check} data-testid="import-preview">${L("preview")}</button>
    </div>
    ${action.error && html`<p class="error" data-testid="import-error">${action.error}</p>`}
    ${result && html`<p class="ok" data-testid="import-done">${kind === "visits"
      ? L("doneVisits", { n: fmtNumber(result.imported), d: fmtNumber(result.duplicates) })
      : L("doneExams", { n: fmtNumber(result.exams), tasks: fmtNumber(result.tasks_assigned), d: fmtNumber(result.duplicates) })}</p>`}
    ${job && html`<${JobProgress} job=${job} />`}
    ${preview && html`<${Preview} kind=${kind} preview=${preview} busy=${action.busy} onCommit=${commit} />`}
    ${result && result.errors.length > 0 && html`<${Problems} errors=${result.errors} />`}
    ${jobs.length > 0 && html`<${RecentJobs} jobs=${jobs} />`}
  </div>`;
}

function JobProgress({ job }) {
  const done = job.status === "done";
  return html`<div class="panel section" data-testid="import-job" data-status=${job.status}>
    <p class=${done ? "ok" : ""} data-testid="import-job-text">${done
      ? L("jobDone", { rows: fmtNumber(job.rows), n: fmtNumber(job.recorded), d: fmtNumber(job.duplicates),
        e: fmtNumber(job.error_count) })
      : L("jobRunning", { done: fmtNumber(job.rows_done), rows: fmtNumber(job.rows) })}</p>
    <progress max=${job.rows} value=${job.rows_done} aria-label=${L("status")} data-testid="import-job-progress"></progress>
    ${!done && (job.stalled ? html`<p class="no" data-testid="import-job-stalled">${L("jobStalled")}</p>`
      : job.chunks_queued < job.chunks && html`<p class="muted" data-testid="import-job-waiting">${L("jobWaiting")}</p>`)}
    ${job.errors && job.errors.length > 0 && html`
      ${job.errors.length < job.error_count && html`<p class="muted">${L("errorsShown", { n: fmtNumber(job.errors.length) })}</p>`}
      <${Problems} errors=${job.errors} />`}
  </div>`;
}

function RecentJobs({ jobs }) {
  return html`<div class="section"><h2>${L("recent")}</h2>
    <table data-testid="import-jobs"><thead><tr><th>${L("startedAt")}</th><th>${L("kindCol")}</th><th>${L("status")}</th>
      <th>${L("rowsCol")}</th><th>${L("recordedCol")}</th><th>${L("errorsCol")}</th></tr></thead>
    <tbody>${jobs.map((j) => html`<tr data-testid="import-job-row">
      <td>${fmtDateTime(j.created_at)}</td><td>${L(j.kind)}</td>
      <td>${L(j.status === "running" && j.stalled ? "stalled" : j.status)}</td>
      <td>${fmtNumber(j.rows_done)} / ${fmtNumber(j.rows)}</td><td>${fmtNumber(j.recorded)}</td>
      <td>${fmtNumber(j.error_count)}</td></tr>`)}</tbody></table></div>`;
}

function Preview({ kind, preview, busy, onCommit }) {
  const rows = preview.preview || [];
  return html`<div class="panel section" data-testid="import-preview-panel">
    <p><strong data-testid="import-to-record">${L("toRecord", { n: fmtNumber(rows.length) })}</strong>
      ${preview.duplicates > 0 && html` · <span data-testid="import-duplicates">${L("duplicates", { n: fmtNumber(preview.duplicates) })}</span>`}
      ${preview.errors.length > 0 && html` · <span class="no" data-testid="import-error-count">${L("errorsN", { n: fmtNumber(preview.errors.length) })}</span>`}</p>
    <button disabled=${busy || rows.length === 0} onClick=${onCommit} data-testid="import-commit">${L("commit")}</button>
    ${rows.length === 0 ? html`<p class="muted">${L("empty")}</p>` : html`
      ${rows.length > SHOWN && html`<p class="muted">${L("shownFirst", { n: fmtNumber(SHOWN) })}</p>`}
      <table data-testid="import-rows"><thead><tr><th>${L("line")}</th><th>${L("patient")}</th><th>${L("date")}</th>
        ${kind === "visits" ? html`<th>${L("department")}</th><th>${L("nextDue")}</th>` : html`<th>${L("flags")}</th>`}
        <th>${L("reference")}</th></tr></thead>
      <tbody>${rows.slice(0, SHOWN).map((r) => html`<tr data-testid="import-row">
        <td>${r.line}</td><td>${r.name_masked || "—"}</td><td>${fmtDate(r.date)}</td>
        ${kind === "visits" ? html`<td>${t(r.department)}</td><td>${fmtDate(r.next_due_date)}</td>`
          : html`<td>${r.flags.length ? r.flags.map(flagLabel).join("、") : L("normal")}</td>`}
        <td class="mono">${r.external_id || "—"}</td></tr>`)}</tbody></table>`}
    ${preview.errors.length > 0 && html`<${Problems} errors=${preview.errors} />`}
  </div>`;
}

function Problems({ errors }) {
  return html`<table data-testid="import-problems"><thead><tr><th>${L("line")}</th><th>${L("problem")}</th>
    <th>${L("field")}</th></tr></thead>
    <tbody>${errors.slice(0, SHOWN * 5).map((e) => html`<tr data-testid="import-problem" data-line=${e.line}>
      <td>${e.line}</td><td data-testid="import-problem-text">${problemText(e.code)}</td>
      <td>${e.field ? L("f_" + e.field) : "—"}</td></tr>`)}</tbody></table>`;
}

export default { key: "imports", path: "/imports", label: { zh: "批量导入", en: "Imports" }, component: Imports };
