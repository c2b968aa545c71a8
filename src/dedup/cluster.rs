//! Union-find over document indices whose root is always the smallest index of its set,
//! so a cluster's survivor is the member that came first in the input, whatever order
//! the verified pairs arrive in.
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n as u32).collect(),
        }
    }

    pub fn find(&mut self, mut x: u32) -> u32 {
        let mut root = x;
        while self.parent[root as usize] != root {
            root = self.parent[root as usize];
        }
        while self.parent[x as usize] != root {
            let next = self.parent[x as usize];
            self.parent[x as usize] = root;
            x = next;
        }
        root
    }

    /// Join the sets of `a` and `b`; the smaller root becomes the root.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi as usize] = lo;
        }
    }

    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_smallest_member_in_any_union_order() {
        for pairs in [[(3, 5), (5, 1), (7, 3)], [(7, 3), (3, 5), (5, 1)]] {
            let mut uf = UnionFind::new(8);
            for (a, b) in pairs {
                uf.union(a, b);
            }
            for x in [1, 3, 5, 7] {
                assert_eq!(uf.find(x), 1);
            }
            assert_eq!(uf.find(2), 2);
        }
    }

    /// The smallest member of each node's component, by breadth-first search.
    fn min_labels(n: usize, edges: &[(u32, u32)]) -> Vec<u32> {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
        let mut label = vec![u32::MAX; n];
        for start in 0..n {
            if label[start] != u32::MAX {
                continue;
            }
            // Nodes are visited from the smallest unlabelled one, so it is the minimum.
            label[start] = start as u32;
            let mut queue = std::collections::VecDeque::from([start as u32]);
            while let Some(x) = queue.pop_front() {
                for &y in &adj[x as usize] {
                    if label[y as usize] == u32::MAX {
                        label[y as usize] = start as u32;
                        queue.push_back(y);
                    }
                }
            }
        }
        label
    }

    /// Union-find agrees with a graph search on random graphs made of long paths (in
    /// shuffled and reversed order), stars (centre first or last), cliques and random
    /// edges, whatever order the edges arrive in.
    #[test]
    fn roots_are_component_minima_on_paths_stars_cliques_and_random_graphs() {
        let mut rng = crate::test_rng::XorShift::new(42);
        for round in 0..300 {
            let n = 1 + rng.below(400);
            let mut edges: Vec<(u32, u32)> = Vec::new();
            let node = |rng: &mut crate::test_rng::XorShift| rng.below(n) as u32;
            for _ in 0..rng.below(6) {
                match rng.below(4) {
                    0 => {
                        // A path through random nodes.
                        let len = rng.below(n.min(200)) + 1;
                        let path: Vec<u32> = (0..len).map(|_| node(&mut rng)).collect();
                        edges.extend(path.windows(2).map(|w| (w[0], w[1])));
                    }
                    1 => {
                        let centre = node(&mut rng);
                        for _ in 0..rng.below(50) {
                            edges.push((centre, node(&mut rng)));
                        }
                    }
                    2 => {
                        let members: Vec<u32> =
                            (0..rng.below(12)).map(|_| node(&mut rng)).collect();
                        for a in &members {
                            for b in &members {
                                edges.push((*a, *b));
                            }
                        }
                    }
                    _ => {
                        for _ in 0..rng.below(n) {
                            edges.push((node(&mut rng), node(&mut rng)));
                        }
                    }
                }
            }
            let want = min_labels(n, &edges);
            for order in 0..3 {
                let mut e = edges.clone();
                match order {
                    0 => {}
                    1 => e.reverse(),
                    _ => {
                        for i in (1..e.len()).rev() {
                            e.swap(i, rng.below(i + 1));
                        }
                    }
                }
                let mut uf = UnionFind::new(n);
                for &(a, b) in &e {
                    uf.union(a, b);
                }
                let got: Vec<u32> = (0..n as u32).map(|x| uf.find(x)).collect();
                assert_eq!(got, want, "round {round}, order {order}");
            }
        }
    }
}
