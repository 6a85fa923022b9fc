// The policy case corpus (policy/tests/cases/*.yaml), judged through any
// JSON-in/JSON-out evaluator: the standalone WASM module in Node, or the
// dashboard's own bundle in Chromium. The native driver reads the same files.
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const casesDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "tests", "cases");

/** Every evaluation case and simulation of the corpus, tagged with its file. */
export function loadCorpus() {
  const files = readdirSync(casesDir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  const cases = [];
  const simulations = [];
  for (const file of files) {
    const doc = parse(readFileSync(join(casesDir, file), "utf8")) ?? {};
    for (const c of doc.cases ?? []) cases.push({ file, ...c });
    for (const s of doc.simulations ?? []) simulations.push({ file, ...s });
  }
  return { cases, simulations };
}

const canonicalAction = (a) => (a === "audit" ? "audit_only" : a ?? null);

/** The evaluator inputs for one case: [policyJson, subjectsJson]. */
export function caseInputs(c) {
  const subject = { tool: c.tool };
  if (c.agent !== undefined) subject.agent = c.agent;
  if (c.cost_usd !== undefined) subject.cost_usd = c.cost_usd;
  return [JSON.stringify(c.policy), JSON.stringify([subject])];
}

/**
 * Compares one case with the evaluator's outputs: `evaluated` from
 * evaluate(policy, subjects) and `checked` from check(policy).
 * Returns null when it passes, else a message.
 */
export function judgeCase(c, evaluated, checked) {
  const out = JSON.parse(evaluated);
  const expect = c.expect ?? {};
  if (expect.error !== undefined) {
    if (out.ok) return `expected error containing ${JSON.stringify(expect.error)}, got ok`;
    const texts = out.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
    return texts.some((t) => t.includes(expect.error))
      ? null
      : `expected error containing ${JSON.stringify(expect.error)}, got ${JSON.stringify(texts)}`;
  }
  if (!out.ok) return `unexpected errors ${JSON.stringify(out.errors)}`;
  const d = out.decisions[0];
  const got = { decision: d.decision, rule: d.rule?.pattern ?? null, rule_kind: canonicalAction(d.rule?.action) };
  const want = { decision: expect.decision, rule: expect.rule ?? null, rule_kind: canonicalAction(expect.rule_kind) };
  if (JSON.stringify(got) !== JSON.stringify(want)) {
    return `expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
  }
  if (c.warnings !== undefined) {
    const warnings = (JSON.parse(checked).warnings ?? []).map((w) => w.message);
    const missing = c.warnings.filter((w) => !warnings.some((m) => m.includes(w)));
    if (missing.length || warnings.length !== c.warnings.length) {
      return `expected warnings ${JSON.stringify(c.warnings)}, got ${JSON.stringify(warnings)}`;
    }
  }
  return null;
}

/** The evaluator inputs for one simulation: [draftJson, eventsJson, unmatched]. */
export function simulationInputs(s) {
  return [JSON.stringify(s.draft), JSON.stringify(s.events ?? []), s.unmatched ?? "keep_recorded"];
}

/** Compares one simulation with simulate(...)'s output; null when it passes. */
export function judgeSimulation(s, simulated) {
  const out = JSON.parse(simulated);
  if (!out.ok) return `unexpected errors ${JSON.stringify(out.errors)}`;
  const summary = out.summary;
  const expect = s.expect ?? {};
  const problems = [];
  for (const key of ["events_scanned", "events_matched", "events_would_have_changed"]) {
    if (expect[key] !== undefined && summary[key] !== expect[key]) {
      problems.push(`${key}: expected ${expect[key]}, got ${summary[key]}`);
    }
  }
  if (expect.transitions !== undefined) {
    const sortObj = (o) => JSON.stringify(Object.fromEntries(Object.entries(o ?? {}).sort()));
    if (sortObj(summary.transitions) !== sortObj(expect.transitions)) {
      problems.push(`transitions: expected ${sortObj(expect.transitions)}, got ${sortObj(summary.transitions)}`);
    }
  }
  if (expect.sample_span_ids !== undefined) {
    const ids = summary.sample_matches.map((m) => m.span_id);
    if (JSON.stringify(ids) !== JSON.stringify(expect.sample_span_ids)) {
      problems.push(`sample_span_ids: expected ${JSON.stringify(expect.sample_span_ids)}, got ${JSON.stringify(ids)}`);
    }
  }
  return problems.length ? problems.join("; ") : null;
}
