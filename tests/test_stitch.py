"""The connected-components step of identity stitching (omni.identity.stitch), on small graphs."""

from __future__ import annotations

import numpy as np
import pytest

from omni.identity.stitch import components, stitch

TYPES = ["customer_id", "email", "phone"]
NO_LIMITS = np.array([-1, -1, -1])


def graph(edges: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    src, dst = zip(*edges, strict=True)
    return np.array(src), np.array(dst)


def same(labels: np.ndarray, *nodes: int) -> bool:
    return len({int(labels[n]) for n in nodes}) == 1


def test_components_match_scipy_on_a_random_graph():
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(1)
    n = 5_000
    src, dst = rng.integers(0, n, 3_000), rng.integers(0, n, 3_000)
    ours = components(n, src, dst)
    _, theirs = connected_components(coo_matrix((np.ones(3_000), (src, dst)), shape=(n, n)), directed=False)
    # the same partition (labels may be numbered differently)
    pairs = set(zip(ours.tolist(), theirs.tolist(), strict=True))
    assert len(pairs) == len(set(ours.tolist())) == len(set(theirs.tolist()))


def test_without_limits_stitching_is_plain_components():
    # identifiers 0 (email a), 1 (email b), 2 (phone); records 3..6
    node_type = np.array([1, 1, 2, -1, -1, -1, -1])
    src, dst = graph([(3, 0), (4, 0), (4, 2), (5, 2), (6, 1)])
    result = stitch(7, src, dst, node_type, TYPES, NO_LIMITS, np.arange(7))
    assert same(result.component, 3, 4, 5, 0, 2)
    assert not same(result.component, 3, 6)
    assert result.refused == {}


def test_a_limit_refuses_the_weakest_merge_and_says_why():
    # two accounts (0, 1) each with its own e-mail (2, 3), joined only by a phone (4) on a third record:
    # with at most one customer_id per profile the phone's merge is refused, the rest stays linked
    node_type = np.array([0, 0, 1, 1, 2, -1, -1, -1, -1])
    src, dst = graph([(5, 0), (5, 2), (6, 1), (6, 3), (7, 2), (7, 4), (8, 3), (8, 4)])
    limits = np.array([1, 3, 3])
    rank = np.array([0, 1, 2, 3, 4, 9, 9, 9, 9])  # customer ids, then e-mails, then the phone
    result = stitch(9, src, dst, node_type, TYPES, limits, rank)
    assert same(result.component, 5, 0, 2, 7)
    assert same(result.component, 6, 1, 3, 8)
    assert not same(result.component, 5, 6)
    assert set(result.refused) == {4}
    assert "2 customer_id values (max 1)" in result.refused[4]
    # before the limit, everything was one component
    assert same(result.original_component, 5, 6, 7, 8)


def test_untouched_components_keep_their_labels_and_results_are_deterministic():
    node_type = np.array([0, 0, 2, -1, -1, -1, 1, -1])
    src, dst = graph([(3, 0), (4, 1), (3, 2), (4, 2), (5, 6), (7, 6)])
    limits = np.array([1, -1, -1])
    first = stitch(8, src, dst, node_type, TYPES, limits, np.arange(8))
    again = stitch(8, src, dst, node_type, TYPES, limits, np.arange(8))
    assert np.array_equal(first.component, again.component)
    assert first.refused == again.refused
    # the e-mail component (5, 6, 7) had nothing to refuse: its label is the plain one
    assert first.component[5] == first.original_component[5]
    assert same(first.component, 5, 6, 7)


@pytest.mark.parametrize("seed", [3, 4])
def test_limits_hold_on_random_graphs(seed):
    rng = np.random.default_rng(seed)
    n_ident, n_rec = 400, 600
    node_type = np.r_[rng.integers(0, 3, n_ident), np.full(n_rec, -1)]
    src = rng.integers(n_ident, n_ident + n_rec, 900)
    dst = rng.integers(0, n_ident, 900)
    limits = np.array([1, 2, 2])
    result = stitch(n_ident + n_rec, src, dst, node_type, TYPES, limits, np.arange(n_ident + n_rec))
    kept = np.setdiff1d(np.arange(n_ident), np.fromiter(result.refused, dtype=np.int64))
    for t, limit in enumerate(limits):
        of_type = kept[node_type[kept] == t]
        assert np.bincount(result.component[of_type]).max() <= limit
    # refused values link nothing: each is alone
    for node in result.refused:
        assert (result.component == result.component[node]).sum() == 1


WEAK_TYPES = ["customer_id", "member_id", "email", "phone", "first_name"]
STRENGTH = np.array([0, 0, 0, 1, 2])  # strong, strong, strong, weak, attribute
CONFLICT = np.array([True, True, True, False, True])


def test_a_family_phone_does_not_join_two_people():
    # 0 email a, 1 email b, 2 phone, 3 first name anna, 4 first name piotr; records 5..8
    # 5: a + phone + anna (her account); 6: b + piotr (his account); 7: phone + b (his order)
    node_type = np.array([2, 2, 3, 4, 4, -1, -1, -1])
    src, dst = graph([(5, 0), (5, 2), (5, 3), (6, 1), (6, 4), (7, 2), (7, 1)])
    result = stitch(8, src, dst, node_type, WEAK_TYPES, np.full(5, -1), np.arange(8), STRENGTH, CONFLICT)
    assert not same(result.component, 5, 6)
    assert same(result.component, 6, 7)
    assert set(result.refused) == {2}
    assert result.refused[2].startswith("shared:")


def test_a_phone_joins_one_persons_fragments():
    # 0 member id, 1 customer id, 2 email, 3 phone, 4 first name anna; records 5..7
    # 5: member record (no e-mail) + phone + anna; 6: account + email + anna; 7: order with email + phone
    node_type = np.array([1, 0, 2, 3, 4, -1, -1, -1])
    src, dst = graph([(5, 0), (5, 3), (5, 4), (6, 1), (6, 2), (6, 4), (7, 2), (7, 3)])
    result = stitch(8, src, dst, node_type, WEAK_TYPES, np.full(5, -1), np.arange(8), STRENGTH, CONFLICT)
    assert same(result.component, 5, 6, 7)
    assert result.refused == {}
    # the first name links nothing by itself: without the phone the two records stay apart
    src, dst = graph([(5, 0), (5, 4), (6, 1), (6, 4)])
    alone = stitch(8, src, dst, node_type, WEAK_TYPES, np.full(5, -1), np.arange(8), STRENGTH, CONFLICT)
    assert not same(alone.component, 5, 6)
