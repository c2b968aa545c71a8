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
}
