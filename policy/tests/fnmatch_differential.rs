//! Differential test against CPython's `fnmatch.fnmatchcase`: thousands of
//! deterministic pattern/name pairs, one `python3` process, compared with
//! `glob::fnmatch`, a one-rule compiled policy (tool and agent side), and one
//! many-rule compiled policy (all globs in the same `GlobSet`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use policy::{glob, Action, Rule, RuleSet, Subject};

/// splitmix64: small, seeded, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Characters names are made of: ASCII specials, separators, unicode.
const CHARS: &[&str] = &[
    "a",
    "b",
    "c",
    "z",
    "A",
    "_",
    ".",
    "/",
    "-",
    "!",
    "^",
    "]",
    "[",
    "\\",
    "{",
    "}",
    ",",
    " ",
    "\n",
    "é",
    "日",
    "本",
    "😀",
    "ü",
    "0",
    "9",
    "*",
    "?",
    "&",
    "~",
    "|",
    "\u{7f}",
    "\u{80}",
    "\u{10ffff}",
];

/// Class members, chosen to stress CPython's bracket logic.
const CLASS_BITS: &[&str] = &[
    "a", "b", "c", "z", "-", "]", "!", "^", "[", "\\", "a-c", "z-a", "c-a", "-a", "a-", "--",
    "a--", "!-", "é", "日-本", "本-日", "a-é", "😀", "é-ü", ".", "/", "&&", "~~", "||", "0-9",
    "9-0", "A-z", "!z-a", "^a", "\n", "b-b",
];

/// Pattern pieces outside classes.
const PIECES: &[&str] = &[
    "a",
    "b",
    "c",
    "z",
    "*",
    "**",
    "?",
    ".",
    "..",
    "/",
    "\\",
    "{",
    "}",
    "{a,b}",
    ",",
    "-",
    "!",
    "^",
    "]",
    "[",
    "é",
    "日本",
    "😀",
    "_",
    "A",
    "\n",
    "payments.",
    "wire_",
    "_admin",
    "*.",
    ".*",
    "/..",
    "[",
    "0",
];

fn random_class(rng: &mut Rng) -> String {
    let mut s = String::from("[");
    if rng.chance(30) {
        s.push('!');
    }
    if rng.chance(15) {
        s.push(']');
    }
    for _ in 0..rng.below(4) {
        s.push_str(rng.pick(CLASS_BITS));
    }
    if !rng.chance(8) {
        s.push(']'); // sometimes unclosed
    }
    s
}

fn random_pattern(rng: &mut Rng) -> String {
    let mut s = String::new();
    for _ in 0..rng.below(6) {
        if rng.chance(25) {
            s.push_str(&random_class(rng));
        } else {
            s.push_str(rng.pick(PIECES));
        }
    }
    s
}

fn random_name(rng: &mut Rng) -> String {
    (0..rng.below(7)).map(|_| rng.pick(CHARS)).collect()
}

/// A name shaped after the pattern, so a good share of pairs match.
fn guided_name(rng: &mut Rng, pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' => {
                for _ in 0..rng.below(3) {
                    out.push_str(rng.pick(CHARS));
                }
            }
            '?' => out.push_str(rng.pick(CHARS)),
            '[' if rng.chance(70) => {
                // Take one character from inside the brackets (or a random one).
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| i + 1 + p);
                match end {
                    Some(end) if end > i + 1 && rng.chance(70) => {
                        let inner = &chars[i + 1..end];
                        out.push(inner[rng.below(inner.len())]);
                        i = end;
                    }
                    _ => out.push_str(rng.pick(CHARS)),
                }
            }
            c => {
                if rng.chance(5) {
                    out.push_str(rng.pick(CHARS));
                } else {
                    out.push(c);
                }
            }
        }
        i += 1;
    }
    out
}

const FIXED: &[(&str, &str)] = &[
    ("?_transfer", "a_transfer"),
    ("?_transfer", "ab_transfer"),
    ("*_admin", "root_admin"),
    ("wire_*", "wire_"),
    ("payments.*", "payments.read"),
    ("*", ""),
    ("", ""),
    ("?", ""),
    ("?", "é"),
    ("??", "é"),
    ("[!a]", "é"),
    ("[é]", "é"),
    ("[!é]", "é"),
    ("[a-é]", "b"),
    ("[a-é]", "ü"),
    ("*.", ".."),
    ("?.", ".."),
    ("*.", "a/.."),
    ("x/..", "x/.."),
    ("*", "a\nb"),
    ("a*", "a\n"),
    ("[]", "]"),
    ("[]]", "]"),
    ("[!]]", "a"),
    ("[!]", "[!]"),
    ("[z-a]", "z"),
    ("[!z-a]", "z"),
    ("[!z-a]", "\n"),
    ("[a--]", "-"),
    ("[z-a!b]", "c"),
    ("[z-a!]", "q"),
    ("[^a]", "^"),
    ("[^!]", "!"),
    ("[\\]", "\\"),
    ("\\*", "\\x"),
    ("{a,b}", "a"),
    ("{a,b}", "{a,b}"),
    ("[ab", "[ab"),
    ("日?", "日本"),
    ("😀*", "😀😀"),
    ("[\u{0}-\u{10ffff}]", "😀"),
    ("[!\u{0}-\u{10ffff}]", "a"),
];

fn python_results(pairs: &[(String, String)]) -> Vec<bool> {
    const SCRIPT: &str = "import sys, json, fnmatch\n\
        pairs = json.load(sys.stdin)\n\
        sys.stderr.write('python %s\\n' % sys.version.split()[0])\n\
        print(json.dumps([fnmatch.fnmatchcase(n, p) for p, n in pairs]))\n";
    let mut child = match Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!(
            "fnmatch differential test needs `python3` (CPython 3.11 fnmatch is the reference) but it could not be started: {e}"
        ),
    };
    let input = serde_json::to_vec(pairs).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn one_rule(pattern: &str, as_agent: bool) -> policy::CompiledPolicy {
    let mut rule = Rule::new(if as_agent { "*" } else { pattern }, Action::Block);
    if as_agent {
        rule.agent_pattern = Some(pattern.to_string());
    }
    RuleSet {
        rules: vec![rule],
        ..RuleSet::default()
    }
    .compile()
    .unwrap_or_else(|e| panic!("pattern {pattern:?} did not compile: {e:?}"))
}

#[test]
fn fnmatch_matches_cpython() {
    let mut rng = Rng(0x5EED_F00D);
    let mut pairs: Vec<(String, String)> = FIXED
        .iter()
        .map(|(p, n)| (p.to_string(), n.to_string()))
        .collect();
    for _ in 0..6000 {
        let pattern = random_pattern(&mut rng);
        let name = if rng.chance(60) {
            guided_name(&mut rng, &pattern)
        } else {
            random_name(&mut rng)
        };
        pairs.push((pattern, name));
    }
    // Cross product: these patterns share one GlobSet below.
    let cross_patterns: Vec<String> = (0..90).map(|_| random_pattern(&mut rng)).collect();
    let cross_names: Vec<String> = (0..90)
        .map(|i| {
            if i % 2 == 0 {
                guided_name(&mut rng, &cross_patterns[i])
            } else {
                random_name(&mut rng)
            }
        })
        .collect();
    let single = pairs.len();
    for p in &cross_patterns {
        for n in &cross_names {
            pairs.push((p.clone(), n.clone()));
        }
    }

    let expected = python_results(&pairs);
    assert_eq!(expected.len(), pairs.len());

    let mut failures = Vec::new();
    let mut matched = 0;
    for ((pattern, name), &want) in pairs[..single].iter().zip(&expected) {
        matched += usize::from(want);
        let direct = glob::fnmatch(pattern, name);
        let tool = one_rule(pattern, false)
            .evaluate(&Subject::tool(name))
            .rule
            .is_some();
        let agent = one_rule(pattern, true)
            .evaluate(&Subject {
                tool: "t",
                agent: Some(name),
                cost_usd: None,
            })
            .rule
            .is_some();
        if direct != want || tool != want || agent != want {
            failures.push(format!(
                "pattern {pattern:?} name {name:?}: python {want}, fnmatch {direct}, tool rule {tool}, agent rule {agent}, globset {:?}",
                glob::to_globset_syntax(pattern)
            ));
        }
    }

    let many = RuleSet {
        rules: cross_patterns
            .iter()
            .map(|p| Rule::new(p.clone(), Action::Block))
            .collect(),
        ..RuleSet::default()
    }
    .compile()
    .unwrap();
    for (ni, name) in cross_names.iter().enumerate() {
        let want: Vec<usize> = (0..cross_patterns.len())
            .filter(|pi| expected[single + pi * cross_names.len() + ni])
            .collect();
        let got: Vec<usize> = many
            .matching_rules(&Subject::tool(name))
            .iter()
            .map(|m| m.index)
            .collect();
        matched += want.len();
        if want != got {
            failures.push(format!(
                "name {name:?} in a {}-rule set: python {want:?}, ours {got:?}",
                cross_patterns.len()
            ));
        }
    }

    println!(
        "compared {} pattern/name pairs with CPython fnmatch.fnmatchcase ({matched} matching)",
        pairs.len()
    );
    assert!(
        matched > pairs.len() / 10,
        "too few matching pairs ({matched}) to be a useful test"
    );
    assert!(
        failures.is_empty(),
        "{} mismatches with CPython:\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
