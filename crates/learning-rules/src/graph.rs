//! The prerequisite graph of an organisation's concepts: "concept A requires concept B" edges that
//! must form a DAG. It answers the questions the rest of the learning rules ask — would this edge
//! close a cycle (and which), what does a goal transitively require, is an imported program
//! acyclic — each in time linear in the part of the graph it touches, never in all concepts.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::fmt::Debug;
use std::hash::Hash;

/// Concepts and their "requires" edges, with adjacency kept both ways and each list sorted by key,
/// so every traversal below visits neighbours in the same order on every run.
#[derive(Clone, Debug)]
pub struct ConceptGraph<K> {
    /// concept → what it requires.
    prerequisites: HashMap<K, Vec<K>>,
    /// concept → what requires it.
    dependents: HashMap<K, Vec<K>>,
}

impl<K> Default for ConceptGraph<K> {
    fn default() -> Self {
        Self { prerequisites: HashMap::new(), dependents: HashMap::new() }
    }
}

impl<K: Copy + Eq + Hash + Ord + Debug> FromIterator<(K, K)> for ConceptGraph<K> {
    fn from_iter<I: IntoIterator<Item = (K, K)>>(edges: I) -> Self {
        Self::new(edges)
    }
}

impl<K: Copy + Eq + Hash + Ord + Debug> ConceptGraph<K> {
    /// Builds the graph from `(concept, requires)` edges; duplicates are kept once.
    pub fn new(edges: impl IntoIterator<Item = (K, K)>) -> Self {
        let mut graph = Self::default();
        for (concept, requires) in edges {
            graph.prerequisites.entry(concept).or_default().push(requires);
            graph.prerequisites.entry(requires).or_default();
            graph.dependents.entry(requires).or_default().push(concept);
            graph.dependents.entry(concept).or_default();
        }
        // Sorting once after the bulk load is O(E log d) instead of a sorted insert per edge.
        for list in graph.prerequisites.values_mut().chain(graph.dependents.values_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        graph
    }

    /// Adds a concept that may have no edges (yet), so it counts in [`Self::len`].
    pub fn add_concept(&mut self, concept: K) {
        self.prerequisites.entry(concept).or_default();
        self.dependents.entry(concept).or_default();
    }

    /// Adds one `(concept, requires)` edge without checking for cycles (see [`Self::cycle_if_added`]).
    pub fn add_edge(&mut self, concept: K, requires: K) {
        self.add_concept(concept);
        self.add_concept(requires);
        insert_sorted(self.prerequisites.get_mut(&concept), requires);
        insert_sorted(self.dependents.get_mut(&requires), concept);
    }

    /// What `concept` directly requires, in key order (empty for an unknown concept).
    pub fn prerequisites(&self, concept: K) -> &[K] {
        self.prerequisites.get(&concept).map_or(&[], Vec::as_slice)
    }

    /// What directly requires `concept`, in key order (empty for an unknown concept).
    pub fn dependents(&self, concept: K) -> &[K] {
        self.dependents.get(&concept).map_or(&[], Vec::as_slice)
    }

    /// Whether the graph knows `concept`.
    pub fn contains(&self, concept: K) -> bool {
        self.prerequisites.contains_key(&concept)
    }

    /// How many concepts the graph holds.
    pub fn len(&self) -> usize {
        self.prerequisites.len()
    }

    /// Whether the graph holds no concept.
    pub fn is_empty(&self) -> bool {
        self.prerequisites.is_empty()
    }

    /// How many distinct edges the graph holds.
    pub fn edge_count(&self) -> usize {
        self.prerequisites.values().map(Vec::len).sum()
    }

    /// The cycle that the edge "`concept` requires `requires`" would close, or `None` if the graph
    /// stays acyclic. The cycle reads along "requires" and starts and ends with `concept`:
    /// `[a, b, c, a]` means a requires b, b requires c, c requires a. A self-edge gives `[k, k]`.
    /// A breadth-first search from `requires` finds the shortest such cycle, visiting only what
    /// `requires` transitively needs.
    pub fn cycle_if_added(&self, concept: K, requires: K) -> Option<Vec<K>> {
        if concept == requires {
            return Some(vec![concept, concept]);
        }
        // The new edge closes a cycle exactly when `concept` is already a transitive prerequisite
        // of `requires`; the BFS parent links give the shortest path requires → … → concept.
        let mut parent: HashMap<K, K> = HashMap::new();
        let mut queue = VecDeque::from([requires]);
        parent.insert(requires, requires);
        while let Some(current) = queue.pop_front() {
            for &next in self.prerequisites(current) {
                if parent.contains_key(&next) {
                    continue;
                }
                parent.insert(next, current);
                if next == concept {
                    let mut path = vec![concept];
                    let mut at = current;
                    while at != requires {
                        path.push(at);
                        at = parent[&at];
                    }
                    path.push(requires);
                    path.push(concept);
                    // Collected backwards from `concept`; reverse to read along "requires".
                    path.reverse();
                    return Some(path);
                }
                queue.push_back(next);
            }
        }
        None
    }

    /// Every transitive prerequisite of `goals`, excluding the goals themselves, each once, in
    /// breadth-first order: nearest first, goals in the order given, siblings in key order.
    pub fn ancestors(&self, goals: &[K]) -> Vec<K> {
        let mut seen: HashSet<K> = goals.iter().copied().collect();
        let mut queue: VecDeque<K> = goals.iter().copied().collect();
        let mut found = Vec::new();
        while let Some(current) = queue.pop_front() {
            for &next in self.prerequisites(current) {
                if seen.insert(next) {
                    found.push(next);
                    queue.push_back(next);
                }
            }
        }
        found
    }

    /// Every concept, each after everything it requires (ties broken by smallest key, so the
    /// order is deterministic), or `Err` with one cycle (same shape as [`Self::cycle_if_added`])
    /// when the graph is not a DAG. Used to accept or refuse an imported program as a whole.
    pub fn topological_order(&self) -> Result<Vec<K>, Vec<K>> {
        // Kahn's algorithm: a concept becomes ready once all its prerequisites are placed.
        let mut waiting: HashMap<K, usize> = self.prerequisites.iter().map(|(&k, p)| (k, p.len())).collect();
        let mut ready: BinaryHeap<Reverse<K>> =
            waiting.iter().filter(|&(_, &n)| n == 0).map(|(&k, _)| Reverse(k)).collect();
        let mut order = Vec::with_capacity(self.len());
        while let Some(Reverse(concept)) = ready.pop() {
            order.push(concept);
            for &dependent in self.dependents(concept) {
                let count = waiting.get_mut(&dependent).expect("every dependent is a concept");
                *count -= 1;
                if *count == 0 {
                    ready.push(Reverse(dependent));
                }
            }
        }
        if order.len() == self.len() {
            return Ok(order);
        }
        // Every concept left over still waits on a prerequisite that is also left over, so walking
        // such prerequisites from any of them must revisit a concept: that repetition is a cycle.
        let placed: HashSet<K> = order.into_iter().collect();
        let start = waiting.iter().filter(|&(k, _)| !placed.contains(k)).map(|(&k, _)| k).min().expect("some left");
        let mut walk = vec![start];
        let mut position: HashMap<K, usize> = HashMap::from([(start, 0)]);
        let mut current = start;
        loop {
            let next = *self
                .prerequisites(current)
                .iter()
                .find(|p| !placed.contains(p))
                .expect("a concept left over waits on a prerequisite left over");
            if let Some(&at) = position.get(&next) {
                let mut cycle = walk.split_off(at);
                cycle.push(next);
                return Err(cycle);
            }
            position.insert(next, walk.len());
            walk.push(next);
            current = next;
        }
    }
}

fn insert_sorted<K: Ord>(list: Option<&mut Vec<K>>, value: K) {
    if let Some(list) = list
        && let Err(at) = list.binary_search(&value)
    {
        list.insert(at, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// a requires b, b requires c, a requires d, d requires c; e is unrelated.
    fn diamond() -> ConceptGraph<char> {
        let mut graph = ConceptGraph::new([('a', 'b'), ('b', 'c'), ('a', 'd'), ('d', 'c'), ('a', 'b')]);
        graph.add_concept('e');
        graph
    }

    #[test]
    fn keeps_adjacency_both_ways_without_duplicates() {
        let graph = diamond();
        assert_eq!(graph.len(), 5);
        assert_eq!(graph.edge_count(), 4);
        assert_eq!(graph.prerequisites('a'), &['b', 'd']);
        assert_eq!(graph.dependents('c'), &['b', 'd']);
        assert!(graph.prerequisites('e').is_empty() && graph.contains('e'));
        assert!(graph.prerequisites('z').is_empty() && !graph.contains('z'));
    }

    #[test]
    fn refuses_an_edge_that_closes_a_cycle_and_names_the_shortest() {
        let graph = diamond();
        // c requires a would give c → a → b → c (or via d); b comes first in key order.
        assert_eq!(graph.cycle_if_added('c', 'a'), Some(vec!['c', 'a', 'b', 'c']));
        // b requires a: a already requires b directly.
        assert_eq!(graph.cycle_if_added('b', 'a'), Some(vec!['b', 'a', 'b']));
        assert_eq!(graph.cycle_if_added('e', 'e'), Some(vec!['e', 'e']));
        // Same direction as existing paths, or between unrelated concepts: no cycle.
        assert_eq!(graph.cycle_if_added('a', 'c'), None);
        assert_eq!(graph.cycle_if_added('e', 'a'), None);
        assert_eq!(graph.cycle_if_added('c', 'e'), None);
    }

    #[test]
    fn shortest_cycle_wins_over_a_longer_one() {
        // x requires y1 → y2 → y3 → z, and x requires z directly.
        let graph = ConceptGraph::new([(1, 2), (2, 3), (3, 4), (1, 4)]);
        assert_eq!(graph.cycle_if_added(4, 1), Some(vec![4, 1, 4]));
    }

    #[test]
    fn added_edges_are_seen_by_later_checks() {
        let mut graph = ConceptGraph::new([(1, 2)]);
        assert_eq!(graph.cycle_if_added(3, 1), None);
        graph.add_edge(3, 1);
        graph.add_edge(3, 1);
        assert_eq!(graph.prerequisites(3), &[1]);
        assert_eq!(graph.cycle_if_added(2, 3), Some(vec![2, 3, 1, 2]));
    }

    #[test]
    fn ancestors_are_transitive_nearest_first_and_exclude_goals() {
        let graph = diamond();
        assert_eq!(graph.ancestors(&['a']), vec!['b', 'd', 'c']);
        assert_eq!(graph.ancestors(&['b']), vec!['c']);
        // A goal that is also an ancestor of another goal is not listed.
        assert_eq!(graph.ancestors(&['a', 'b']), vec!['d', 'c']);
        assert!(graph.ancestors(&['c', 'e']).is_empty());
    }

    #[test]
    fn topological_order_puts_prerequisites_first_with_ties_by_key() {
        let graph = diamond();
        assert_eq!(graph.topological_order(), Ok(vec!['c', 'b', 'd', 'a', 'e']));
    }

    #[test]
    fn topological_order_reports_a_cycle() {
        // 1 → 2 → 3 → 1 is a cycle; 4 requires 1 and hangs off it; 5 is fine.
        let graph = ConceptGraph::new([(1, 2), (2, 3), (3, 1), (4, 1), (5, 6)]);
        let cycle = graph.topological_order().unwrap_err();
        assert_eq!(cycle, vec![1, 2, 3, 1]);
        let self_loop = ConceptGraph::new([(7, 7)]);
        assert_eq!(self_loop.topological_order(), Err(vec![7, 7]));
    }
}
