// The standalone WASM module (policy/wasm/pkg, built by scripts/build-policy-wasm)
// against the case corpus, and bit for bit against the native evaluator's outputs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import * as policy from "../pkg/policy_wasm.js";
import { loadCorpus, caseInputs, judgeCase, simulationInputs, judgeSimulation } from "./corpus.mjs";

policy.initSync({ module: readFileSync(new URL("../pkg/policy_wasm_bg.wasm", import.meta.url)) });

const { cases, simulations } = loadCorpus();

test("the corpus has cases and simulations", () => {
  assert.ok(cases.length >= 50, `only ${cases.length} cases`);
  assert.ok(simulations.length >= 3, `only ${simulations.length} simulations`);
});

for (const c of cases) {
  test(`case ${c.file} :: ${c.id}`, () => {
    const [policyJson, subjectsJson] = caseInputs(c);
    assert.equal(judgeCase(c, policy.evaluate(policyJson, subjectsJson), policy.check(policyJson)), null);
  });
}

for (const s of simulations) {
  test(`simulation ${s.file} :: ${s.id}`, () => {
    assert.equal(judgeSimulation(s, policy.simulate(...simulationInputs(s))), null);
  });
}

test("a compiled Policy gives the same answers as one-shot evaluate", () => {
  for (const c of cases) {
    const [policyJson, subjectsJson] = caseInputs(c);
    const compiled = new policy.Policy(policyJson);
    const oneShot = policy.evaluate(policyJson, subjectsJson);
    assert.equal(compiled.ok, JSON.parse(oneShot).ok, c.id);
    assert.equal(compiled.evaluate(subjectsJson), oneShot, c.id);
    compiled.free();
  }
});

test("bad input comes back as data naming the field, never as an exception", () => {
  const broken = JSON.parse(policy.check("{not json"));
  assert.equal(broken.ok, false);
  assert.ok(broken.errors.length > 0);
  const badAction = JSON.parse(policy.check(JSON.stringify({ version: 1, rules: [{ match: "x", action: "deny" }] })));
  assert.equal(badAction.ok, false);
  assert.equal(badAction.errors[0].field, "rules[0].action");
  const badSubjects = JSON.parse(policy.evaluate(JSON.stringify({ action: "block", pattern: "x" }), "42"));
  assert.equal(badSubjects.ok, false);
  const p = new policy.Policy("[1, 2");
  assert.equal(p.ok, false);
  assert.equal(JSON.parse(p.evaluate("[]")).ok, false);
});

// The native evaluator writes its json_api outputs for every corpus case
// (policy/tests/native_outputs.rs); WASM must produce the identical strings.
test("WASM and native outputs are identical for every corpus case", () => {
  const path = new URL("../../../target/policy-corpus-native.json", import.meta.url);
  assert.ok(existsSync(path), "run `cargo test -p policy` first: it writes target/policy-corpus-native.json");
  const native = JSON.parse(readFileSync(path, "utf8"));
  let compared = 0;
  for (const c of cases) {
    const key = `${c.file}::${c.id}`;
    assert.ok(native[key], `native outputs lack ${key}`);
    const [policyJson, subjectsJson] = caseInputs(c);
    assert.equal(policy.evaluate(policyJson, subjectsJson), native[key].evaluate, key);
    assert.equal(policy.check(policyJson), native[key].check, key);
    compared++;
  }
  for (const s of simulations) {
    const key = `${s.file}::${s.id}`;
    assert.equal(policy.simulate(...simulationInputs(s)), native[key].simulate, key);
    compared++;
  }
  assert.ok(compared > 0);
});
