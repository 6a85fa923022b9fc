//! Builds the RunTree: a trace's spans nested under their parents, policy decisions
//! under the call they evaluated, on one shared time axis.
use std::collections::HashMap;

use super::EventRow;

/// Deeper spans are shown at this depth (flattened), so neither rendering nor the
/// browser's layout recurses without bound on a pathological trace.
pub const MAX_DEPTH: usize = 40;

/// One span and its children, by index into the events slice.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub index: usize,
    pub depth: usize,
    pub children: Vec<Node>,
}

impl Node {
    /// This node and every descendant.
    pub fn size(&self) -> usize {
        1 + self.children.iter().map(Node::size).sum::<usize>()
    }
}

/// The time axis shared by every row: trace start and total span in microseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    pub start: i64,
    pub span: i64,
}

impl Axis {
    pub fn of(events: &[EventRow]) -> Axis {
        let start = events.iter().map(|e| e.ts_micros).min().unwrap_or(0);
        let end = events
            .iter()
            .map(|e| e.ts_micros + (e.duration_ms.unwrap_or(0.0) * 1000.0) as i64)
            .max()
            .unwrap_or(start);
        Axis {
            start,
            span: (end - start).max(1),
        }
    }

    /// Left offset and width of an event's bar, in percent of the axis (a zero-length
    /// event still gets a sliver).
    pub fn bar(&self, event: &EventRow) -> (f64, f64) {
        let left = (event.ts_micros - self.start) as f64 / self.span as f64 * 100.0;
        let width = event.duration_ms.unwrap_or(0.0) * 1000.0 / self.span as f64 * 100.0;
        let left = if left.is_finite() {
            left.clamp(0.0, 99.7)
        } else {
            0.0
        };
        let width = if width.is_finite() { width } else { 0.0 };
        // At least a sliver, never past the end of the axis.
        (left, width.max(0.3).min(100.0 - left))
    }
}

/// Nests events (given in time order) under their parents. A missing or unknown
/// parent makes a root; a `policy_decision` that is not under a call is moved under
/// the call of the tool it evaluated (the next one in time); parent cycles are broken.
pub fn build(events: &[EventRow]) -> Vec<Node> {
    let n = events.len();
    let by_span: HashMap<&str, usize> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.span_id.as_str(), i))
        .collect();
    let mut parent: Vec<Option<usize>> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            e.parent_span_id
                .as_deref()
                .and_then(|p| by_span.get(p).copied())
                .filter(|p| *p != i)
        })
        .collect();

    for (i, e) in events.iter().enumerate() {
        if e.kind != "policy_decision" {
            continue;
        }
        if parent[i].is_some_and(|p| policy::is_call_kind(&events[p].kind)) {
            continue;
        }
        let Some(tool) = e.evaluates.as_deref() else {
            continue;
        };
        let candidates = events
            .iter()
            .enumerate()
            .filter(|(j, c)| *j != i && c.tool == tool && policy::is_call_kind(&c.kind));
        let after = candidates
            .clone()
            .filter(|(_, c)| c.ts_micros >= e.ts_micros)
            .min_by_key(|(_, c)| c.ts_micros - e.ts_micros);
        let target = after.or_else(|| candidates.max_by_key(|(_, c)| c.ts_micros));
        if let Some((j, _)) = target {
            if !is_ancestor(&parent, i, j) {
                parent[i] = Some(j);
            }
        }
    }

    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    // Spans only reachable through a cycle: the earliest of each becomes a root.
    let mut seen = vec![false; n];
    mark(&roots, &children, &mut seen);
    for i in 0..n {
        if !seen[i] {
            if let Some(p) = parent[i] {
                children[p].retain(|c| *c != i);
            }
            roots.push(i);
            mark(&[i], &children, &mut seen);
        }
    }
    roots.sort_unstable();
    roots.into_iter().map(|r| nest(r, 0, &children)).collect()
}

fn is_ancestor(parent: &[Option<usize>], ancestor: usize, mut node: usize) -> bool {
    let mut steps = 0;
    while let Some(p) = parent[node] {
        if p == ancestor {
            return true;
        }
        node = p;
        steps += 1;
        if steps > parent.len() {
            return true; // a cycle: refuse to attach into it
        }
    }
    false
}

fn mark(from: &[usize], children: &[Vec<usize>], seen: &mut [bool]) {
    let mut stack: Vec<usize> = from.to_vec();
    while let Some(i) = stack.pop() {
        if seen[i] {
            continue;
        }
        seen[i] = true;
        stack.extend(children[i].iter().copied());
    }
}

fn nest(index: usize, depth: usize, children: &[Vec<usize>]) -> Node {
    if depth + 1 >= MAX_DEPTH {
        // Flatten everything below into direct children, in time (index) order.
        let mut below = Vec::new();
        let mut stack: Vec<usize> = children[index].iter().rev().copied().collect();
        while let Some(i) = stack.pop() {
            below.push(i);
            stack.extend(children[i].iter().rev().copied());
        }
        below.sort_unstable();
        return Node {
            index,
            depth,
            children: below
                .into_iter()
                .map(|i| Node {
                    index: i,
                    depth: depth + 1,
                    children: Vec::new(),
                })
                .collect(),
        };
    }
    Node {
        index,
        depth,
        children: children[index]
            .iter()
            .map(|c| nest(*c, depth + 1, children))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use policy::Verdict;

    fn ev(span: &str, parent: Option<&str>, kind: &str, tool: &str, ts: i64) -> EventRow {
        EventRow {
            span_id: span.into(),
            parent_span_id: parent.map(Into::into),
            kind: kind.into(),
            name: tool.into(),
            tool: tool.into(),
            ts_micros: ts,
            duration_ms: Some(1.0),
            status: "ok".into(),
            verdict: Verdict::Allowed,
            agent: None,
            model: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd: None,
            evaluates: None,
        }
    }

    fn shape(nodes: &[Node], events: &[EventRow]) -> String {
        nodes
            .iter()
            .map(|n| {
                let name = &events[n.index].span_id;
                if n.children.is_empty() {
                    name.clone()
                } else {
                    format!("{name}({})", shape(&n.children, events))
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn nests_under_parents_and_keeps_orphans_as_roots() {
        let events = vec![
            ev("root", None, "agent_call", "run", 0),
            ev("llm", Some("root"), "llm_call", "openai.gpt-4o-mini", 1),
            ev("tool", Some("root"), "tool_call", "payments.refund", 2),
            ev("pd", Some("tool"), "policy_decision", "policy.check", 3),
            ev("orphan", Some("gone"), "tool_call", "shell.exec", 4),
        ];
        let tree = build(&events);
        assert_eq!(shape(&tree, &events), "root(llm tool(pd)) orphan");
        assert_eq!(tree[0].children[1].children[0].depth, 2);
        assert_eq!(tree[0].size(), 4);
    }

    #[test]
    fn policy_decisions_move_under_the_call_they_evaluated() {
        let mut pd = ev("pd", Some("root"), "policy_decision", "policy.check", 2);
        pd.evaluates = Some("wire_transfer".into());
        let events = vec![
            ev("root", None, "agent_call", "run", 0),
            ev("w0", Some("root"), "tool_call", "wire_transfer", 1),
            pd,
            ev("w1", Some("root"), "tool_call", "wire_transfer", 3),
        ];
        assert_eq!(shape(&build(&events), &events), "root(w0 w1(pd))");
    }

    #[test]
    fn cycles_are_broken_and_depth_is_capped() {
        let events = vec![
            ev("a", Some("b"), "custom", "a", 0),
            ev("b", Some("a"), "custom", "b", 1),
        ];
        assert_eq!(shape(&build(&events), &events), "a(b)");

        let chain: Vec<EventRow> = (0..200)
            .map(|i| {
                let parent = (i > 0).then(|| format!("s{}", i - 1));
                ev(&format!("s{i}"), parent.as_deref(), "custom", "x", i)
            })
            .collect();
        let tree = build(&chain);
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0].size(), 200);
        fn max_depth(n: &Node) -> usize {
            n.children.iter().map(max_depth).max().unwrap_or(n.depth)
        }
        assert_eq!(max_depth(&tree[0]), MAX_DEPTH);
    }

    #[test]
    fn five_thousand_spans_build_quickly() {
        let mut events = vec![ev("root", None, "agent_call", "run", 0)];
        for i in 0..5000 {
            let parent = if i % 10 == 0 {
                "root".to_string()
            } else {
                format!("c{}", i - i % 10)
            };
            events.push(ev(&format!("c{i}"), Some(&parent), "tool_call", "t", i));
        }
        let started = std::time::Instant::now();
        let tree = build(&events);
        assert_eq!(tree[0].size(), 5001);
        assert!(started.elapsed().as_millis() < 1000);
    }

    #[test]
    fn bars_sit_on_the_shared_axis() {
        let mut a = ev("a", None, "custom", "a", 1_000_000);
        a.duration_ms = Some(1000.0);
        let mut b = ev("b", None, "custom", "b", 1_500_000);
        b.duration_ms = Some(500.0);
        let events = vec![a, b];
        let axis = Axis::of(&events);
        assert_eq!(
            axis,
            Axis {
                start: 1_000_000,
                span: 1_000_000
            }
        );
        assert_eq!(axis.bar(&events[1]), (50.0, 50.0));
        // An instant event at the very end still fits (this used to panic).
        let mut end = ev("c", None, "custom", "c", 2_000_000);
        end.duration_ms = Some(0.0);
        let (left, width) = axis.bar(&end);
        assert!(left + width <= 100.0 + 1e-9 && width > 0.0);
    }
}
