//! `rinse run`: the skeleton's invariants (issue 2).
use crate::util::*;

#[test]
fn seeds_are_kept_with_their_fields() {
    let out = scratch("seeds_kept");
    let seeds = data("seeds");
    rinse_ok(&["run", seeds.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"]);
    let kept = records(&out.join("kept"));
    assert_eq!(kept.len(), 5);
    for rec in &kept {
        let keys: Vec<_> = rec.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "source", "text", "lang", "meta"]);
        assert_eq!(rec["source"], "seed-scrape");
        assert_eq!(rec["meta"]["topics"][0], "Nordkorea");
    }
}
