"""Market-basket analysis: frequent itemsets and association rules, mlxtend-compatible.

``frequent_itemsets`` and ``association_rules`` return DataFrames with exactly the columns of
mlxtend 0.25's ``fpgrowth`` and ``association_rules`` (``support``/``itemsets``; ``antecedents``,
``consequents``, ``antecedent support`` … ``kulczynski``), so code written for mlxtend keeps
working. The miner is different, because mlxtend's needs a dense one-hot frame (baskets × items)
and a pointer-based FP-tree in Python objects, both of which grow badly with a million baskets:

* baskets are encoded once into a sparse CSR matrix (one row per basket, one column per item);
* pair counts come from one sparse product ``XᵀX`` over the frequent items;
* longer itemsets are mined depth-first (Eclat, Zaki 2000) on *vertical bitsets*: one row of
  ``uint64`` words per item, a bit per basket. Extending a prefix is a vectorised AND of the
  prefix's bitset with all its siblings' and a popcount (``numpy.bitwise_count``). At every
  node the words are projected onto those where the prefix has any bit, so deeper levels work
  on ever smaller arrays, and only baskets holding at least three frequent items take part.

Memory is bounded by ``items × baskets / 8`` bytes for the bitsets plus one sibling matrix per
depth level; a few baskets with 50+ items cost nothing extra unless their itemsets are
frequent (which no algorithm can avoid: the output itself is then exponential, and
``max_itemsets`` stops the run with a clear error instead of exhausting memory).

References
----------
Zaki, M. J. (2000). Scalable algorithms for association mining. IEEE TKDE 12(3), 372–390.
Han, J., Pei, J., Yin, Y. (2000). Mining frequent patterns without candidate generation. SIGMOD.
Raschka, S. (2018). MLxtend. JOSS 3(24), 638 (the column names and metric formulas).
"""

from __future__ import annotations

import math
import numbers
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import chain, combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from shopperlens.errors import ShopperlensError
from shopperlens.textfiles import read_text_file

__all__ = [
    "RULE_METRICS",
    "association_rules",
    "confidence_count",
    "frequent_itemsets",
    "support_count",
]

#: the metric columns of mlxtend 0.25's ``association_rules``, in its order
RULE_METRICS: tuple[str, ...] = (
    "antecedent support",
    "consequent support",
    "support",
    "confidence",
    "lift",
    "representativity",
    "leverage",
    "conviction",
    "zhangs_metric",
    "jaccard",
    "certainty",
    "kulczynski",
)

#: stop instead of exhausting memory when the output itself explodes
DEFAULT_MAX_ITEMSETS = 5_000_000


# -- encoding --------------------------------------------------------------------------------
def _sort_key(item: Any) -> tuple[str, Any]:
    """Items sort by value within their type, so mixed ids (1, "a") still have an order."""
    return (type(item).__name__, item)


def _encode(
    baskets: Any, basket_col: str | None, item_col: str | None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Baskets as a boolean CSR matrix (baskets × items) and the item labels of its columns.

    Accepts a list of item lists, a one-hot DataFrame (mlxtend's input: True/False or 0/1),
    or a long DataFrame with one row per (basket, item) such as
    ``order_lines[[order_id, product_id]]``.
    """
    if isinstance(baskets, pd.DataFrame):
        if _is_one_hot(baskets, named=bool(basket_col or item_col)):  # mlxtend's input
            values = baskets.to_numpy(dtype=bool)
            return sparse.csr_matrix(values), np.asarray(baskets.columns, dtype=object)
        if len(baskets.columns) < 2:
            raise ValueError(
                "a DataFrame of baskets is either one-hot (every column True/False or 0/1) or "
                "long, with a basket column and an item column"
            )
        bcol = basket_col or ("order_id" if "order_id" in baskets.columns else baskets.columns[0])
        icol = item_col or ("product_id" if "product_id" in baskets.columns else baskets.columns[1])
        long = baskets[[bcol, icol]].dropna()
        rows, _ = pd.factorize(long[bcol])
        cols, labels = pd.factorize(long[icol], sort=True)
        order = np.argsort(rows, kind="stable")
        cols = cols[order]
        lengths = np.bincount(rows, minlength=int(rows.max()) + 1 if len(rows) else 0)
    else:
        baskets = baskets if isinstance(baskets, list) else list(baskets)
        try:
            lengths = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
        except TypeError:  # baskets given as iterators
            baskets = [list(b) for b in baskets]
            lengths = np.fromiter(map(len, baskets), dtype=np.int64, count=len(baskets))
        # one C-level pass with a dict that numbers items on first sight (not pandas.factorize,
        # whose hash table is sized by the occurrences: ~170 MB for a million baskets)
        vocab: defaultdict[Any, int] = defaultdict()
        vocab.default_factory = vocab.__len__
        seen = np.fromiter(
            map(vocab.__getitem__, chain.from_iterable(baskets)),
            dtype=np.int32,
            count=int(lengths.sum()),
        )
        first_seen = list(vocab)
        order = sorted(range(len(first_seen)), key=lambda i: _sort_key(first_seen[i]))
        rank = np.empty(len(order), dtype=np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        cols = rank[seen]
        labels = [first_seen[i] for i in order]
    # CSR straight from the basket lengths: no COO intermediate, int32 indices
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    labels = np.asarray(labels, dtype=object)
    matrix = sparse.csr_matrix(
        (np.ones(len(cols), dtype=bool), cols.astype(np.int32), indptr),
        shape=(len(lengths), len(labels)),
    )
    matrix.sum_duplicates()  # an item twice in one basket counts once
    matrix.data[:] = True
    return matrix, labels


def _is_one_hot(frame: pd.DataFrame, *, named: bool) -> bool:
    """mlxtend's one-hot input: every column boolean, or numeric holding only 0 and 1 (as
    mlxtend accepts). A numeric 0/1 frame counts as long when the caller named its columns
    (``basket_col``/``item_col``) or it has both ``order_id`` and ``product_id`` columns."""
    dtypes = list(frame.dtypes)
    if not dtypes:
        return False
    if all(pd.api.types.is_bool_dtype(t) for t in dtypes):
        return True
    if named or {"order_id", "product_id"} <= set(frame.columns):
        return False
    if not all(pd.api.types.is_numeric_dtype(t) for t in dtypes) or frame.isna().any().any():
        return False
    values = frame.to_numpy()
    return bool(((values == 0) | (values == 1)).all())


def _bitsets(matrix: sparse.csr_matrix) -> np.ndarray:
    """Vertical bitsets: row ``j`` holds bit ``r`` set when basket ``r`` contains item ``j``."""
    n_rows, n_items = matrix.shape
    n_words = max(1, (n_rows + 63) // 64)
    csc = matrix.tocsc()
    csc.sort_indices()  # rows ascending within each column, so words come out grouped
    out = np.zeros((n_items, n_words), dtype=np.uint64)
    one = np.uint64(1)
    # column by column: temporaries stay the size of one item's baskets, not of the matrix
    for j in range(n_items):
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]].astype(np.int64)
        if not len(rows):
            continue
        words = rows >> 6
        starts = np.flatnonzero(np.r_[True, words[1:] != words[:-1]])
        out[j, words[starts]] = np.bitwise_or.reduceat(
            np.left_shift(one, (rows & 63).astype(np.uint64)), starts
        )
    return out


# -- mining ----------------------------------------------------------------------------------
def support_count(min_support: float, n: int) -> int:
    """The fewest of ``n`` baskets that make a share ``min_support``: ``ceil(min_support · n)``
    in whole numbers.

    The ceiling forgives a relative 1e-9 (far above floating-point error, far below one
    basket): in floating point ``(3 / 187) * 187`` is 3.0000000000000004 and ``0.07 * 100`` is
    7.000000000000001, which a plain ``ceil`` turns into 4 and 8 baskets (as mlxtend's
    ``fpgrowth`` does, outside its single-path shortcut).
    """
    if not 0.0 < min_support <= 1.0:
        raise ValueError(f"min_support must be within (0, 1], got {min_support}")
    return max(1, int(_whole_ceiling(min_support * n)))


def confidence_count(min_confidence: float, antecedent_counts: Any) -> np.ndarray:
    """The fewest baskets holding ``A ∪ C`` that give each rule ``A → C`` a confidence of
    ``min_confidence``, for ``A`` in ``antecedent_counts`` baskets: ``ceil(min_confidence ·
    count(A))`` with :func:`support_count`'s tolerance.

    Comparing the ratio instead loses a rule to the last bit of a float: 3 of 30 baskets is
    ``(3 / 112) / (30 / 112)`` = 0.09999999999999999 as supports, below a confidence of 0.1.
    """
    if not 0.0 <= min_confidence <= 1.0:
        raise ValueError(f"min_confidence must be within [0, 1], got {min_confidence}")
    counts = np.asarray(antecedent_counts, dtype=float)
    return _whole_ceiling(min_confidence * counts)


def _whole_ceiling(product: Any) -> np.ndarray:
    """``ceil(product)`` forgiving a relative 1e-9: far above floating-point error, far below
    one basket."""
    product = np.asarray(product, dtype=float)
    return np.ceil(product - 1e-9 * np.maximum(product, 1.0))


def frequent_itemsets(
    baskets: Any,
    min_support: float | None = 0.5,
    max_len: int | None = None,
    use_colnames: bool = True,
    *,
    basket_col: str | None = None,
    item_col: str | None = None,
    max_itemsets: int | None = DEFAULT_MAX_ITEMSETS,
    min_count: int | None = None,
) -> pd.DataFrame:
    """Every itemset contained in at least ``min_support`` of the baskets.

    Parameters
    ----------
    baskets
        A list of item lists, a long DataFrame of (basket, item) rows — by default the columns
        ``order_id`` and ``product_id``, else the first two, or ``basket_col``/``item_col`` —
        or mlxtend's one-hot DataFrame (every column True/False, or numbers that are all 0 or
        1; name the columns with ``basket_col``/``item_col`` for a long frame of 0/1 ids).
    min_support
        Smallest share of baskets, in (0, 1]; an itemset is kept when its count ``c`` meets
        ``c >= ceil(min_support * n)`` and ``c / n >= min_support`` (mlxtend's two tests). The
        ceiling forgives floating-point error (:func:`support_count`): ``(3 / 187) * 187`` is
        3.0000000000000004, and a share meaning 3 baskets used to ask for 4.
        None: ``min_count`` alone decides.
    max_len
        Longest itemset returned (None: no limit). Unlike mlxtend's ``fpgrowth``, whose third
        argument is ``use_colnames``, this is the third argument: a bool here is refused.
    use_colnames
        Items as their labels (True) or as integer positions in the sorted item list (False).
    max_itemsets
        Raise ``ValueError`` when more itemsets than this would be produced (None: no limit).
    min_count
        Smallest number of baskets, an exact integer test (``c >= min_count``); with
        ``min_support`` also given, an itemset must pass both.

    Returns
    -------
    DataFrame with columns ``support`` (float) and ``itemsets`` (frozenset), ordered by
    itemset length and then by falling support — the same rows ``mlxtend.fpgrowth`` returns.
    """
    if min_support is None and min_count is None:
        raise ValueError("give min_support (a share of baskets) or min_count (a number)")
    if min_support is not None and not 0.0 < min_support <= 1.0:
        raise ValueError(f"min_support must be within (0, 1], got {min_support}")
    if min_count is not None and (
        isinstance(min_count, bool) or not isinstance(min_count, numbers.Integral) or min_count < 1
    ):
        raise ValueError(f"min_count must be a whole number of baskets ≥ 1, got {min_count!r}")
    if isinstance(max_len, bool):
        raise ValueError(
            f"max_len must be a number of items, got {max_len!r}: the third argument here is "
            "max_len (mlxtend's fpgrowth takes use_colnames third); pass use_colnames=… by name"
        )
    if max_len is not None and max_len < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    matrix, labels = _encode(baskets, basket_col, item_col)
    n = matrix.shape[0]
    if n == 0:
        return pd.DataFrame(
            {"support": pd.Series(dtype=float), "itemsets": pd.Series(dtype=object)}
        )
    share = min_support
    least = max(
        support_count(share, n) if share is not None else 1,
        int(min_count) if min_count is not None else 1,
    )

    def frequent(counts: np.ndarray) -> np.ndarray:
        if share is None:
            return counts >= least
        return (counts >= least) & (counts / float(n) >= share)

    item_counts = np.asarray(matrix.sum(axis=0)).ravel()
    # ascending support order keeps Eclat's sibling lists short near the root
    freq = np.flatnonzero(frequent(item_counts))
    freq = freq[np.argsort(item_counts[freq], kind="stable")]
    found_sets: list[tuple[int, ...]] = [(int(i),) for i in freq]
    found_counts: list[int] = [int(item_counts[i]) for i in freq]
    limit = max_itemsets if max_itemsets is not None else math.inf

    def check_limit() -> None:
        if len(found_sets) > limit:
            raise ValueError(
                f"more than {max_itemsets:,} frequent itemsets: raise min_support or set "
                "max_len (a few large, repeated baskets make the output grow exponentially)"
            )

    check_limit()
    if (max_len is None or max_len >= 2) and len(freq) >= 2:
        sub = matrix[:, freq].tocsr()  # columns in ascending-support order
        sub.eliminate_zeros()
        x = sub.astype(np.int32)
        pair_counts = (x.T @ x).tocoo()
        mask = (pair_counts.row < pair_counts.col) & frequent(pair_counts.data)
        pi, pj, pc = pair_counts.row[mask], pair_counts.col[mask], pair_counts.data[mask]
        order = np.lexsort((pj, pi))
        pi, pj, pc = pi[order], pj[order], pc[order]
        for a, b, c in zip(pi.tolist(), pj.tolist(), pc.tolist(), strict=True):
            found_sets.append((int(freq[a]), int(freq[b])))
            found_counts.append(int(c))
        check_limit()
        if (max_len is None or max_len >= 3) and len(pi):
            # only baskets with >= 3 frequent items can hold a frequent triple
            row_len = np.diff(sub.indptr)
            rows = np.flatnonzero(row_len >= 3)
            bits = _bitsets(sub[rows])
            starts = np.searchsorted(pi, np.arange(len(freq) + 1))
            for a in range(len(freq)):
                ext = pj[starts[a] : starts[a + 1]]
                if len(ext) < 2:
                    continue
                words = np.flatnonzero(bits[a])
                ext_bits = bits[ext][:, words] & bits[a, words]
                _eclat(
                    prefix=(int(freq[a]),),
                    items=freq[ext],
                    bits=ext_bits,
                    depth=2,
                    frequent=frequent,
                    max_len=max_len,
                    out_sets=found_sets,
                    out_counts=found_counts,
                    check_limit=check_limit,
                )
    support = np.asarray(found_counts, dtype=float) / float(n)
    names = labels if use_colnames else np.arange(len(labels))
    itemsets = [frozenset(names[list(s)].tolist()) for s in found_sets]
    result = pd.DataFrame({"support": support, "itemsets": itemsets})
    result["_len"] = [len(s) for s in found_sets]
    result = result.sort_values(["_len", "support"], ascending=[True, False], kind="stable")
    return result.drop(columns="_len").reset_index(drop=True)


def _eclat(
    *,
    prefix: tuple[int, ...],
    items: np.ndarray,
    bits: np.ndarray,
    depth: int,
    frequent: Any,
    max_len: int | None,
    out_sets: list[tuple[int, ...]],
    out_counts: list[int],
    check_limit: Any,
) -> None:
    """Extend ``prefix`` (of length ``depth - 1``) by each of ``items``.

    ``bits[k]`` is the bitset of ``prefix + (items[k],)``, already known to be frequent. For
    each ``k`` the candidates ``prefix + (items[k], items[m])`` with ``m > k`` are counted at once.
    """
    if max_len is not None and depth >= max_len:
        return
    for k in range(len(items) - 1):
        base = bits[k]
        words = np.flatnonzero(base)
        if not len(words):
            continue
        cand = bits[k + 1 :][:, words] & base[words]
        counts = np.bitwise_count(cand).sum(axis=1, dtype=np.int64)
        keep = np.flatnonzero(frequent(counts))
        if not len(keep):
            continue
        head = (*prefix, int(items[k]))
        for m in keep.tolist():
            out_sets.append((*head, int(items[k + 1 + m])))
            out_counts.append(int(counts[m]))
        check_limit()
        if len(keep) >= 2:
            _eclat(
                prefix=head,
                items=items[k + 1 :][keep],
                bits=cand[keep],
                depth=depth + 1,
                frequent=frequent,
                max_len=max_len,
                out_sets=out_sets,
                out_counts=out_counts,
                check_limit=check_limit,
            )


# -- rules -----------------------------------------------------------------------------------
def association_rules(
    frequent_itemsets: pd.DataFrame,
    num_itemsets: int | None = None,
    df_orig: pd.DataFrame | None = None,
    null_values: bool = False,
    metric: str = "confidence",
    min_threshold: float = 0.8,
    support_only: bool = False,
    return_metrics: Sequence[str] = RULE_METRICS,
) -> pd.DataFrame:
    """Every rule ``A → C`` from a frequent itemset ``A ∪ C`` whose ``metric`` ≥ ``min_threshold``.

    Takes the output of :func:`frequent_itemsets` (or of ``mlxtend.fpgrowth``) and returns
    mlxtend's columns: ``antecedents``, ``consequents`` (frozensets) and ``return_metrics``.
    With sA, sC, sAC the supports of A, C and A ∪ C (mlxtend's symbols):
    confidence = sAC/sA; lift = confidence/sC; leverage = sAC − sA·sC;
    conviction = (1 − sC)/(1 − confidence) (∞ when confidence is 1);
    zhangs_metric = leverage / max(sAC(1 − sA), sA(sC − sAC)); jaccard = sAC/(sA + sC − sAC);
    certainty = (confidence − sC)/(1 − sC); kulczynski = (sAC/sA + sAC/sC)/2;
    representativity is 1 (no missing values). ``num_itemsets`` (default 1, as in mlxtend)
    enters the ratios as mlxtend writes them, ``(sAC·n)/(sA·n)``, so thresholds decided on
    the last bit of a float come out the same as mlxtend's for the same argument.

    The arguments are mlxtend 0.25's, in its order, so ported calls work as written
    (``association_rules(items, n, metric="lift", min_threshold=1.0)``). ``df_orig`` and
    ``null_values`` are accepted for that; baskets have no missing values, so
    ``null_values=True`` is refused. Code written for mlxtend before 0.23, which took ``metric``
    second, is told to pass it by name.
    """
    if isinstance(num_itemsets, str):
        raise ValueError(
            f"num_itemsets must be a whole number (the number of baskets), got "
            f"{num_itemsets!r}: the second argument is num_itemsets, as in mlxtend 0.23 and "
            "later (mlxtend before 0.23 took metric second); pass metric=… by name"
        )
    if null_values:
        raise ValueError(
            "null_values=True: baskets have no missing values (an item is bought or not), so "
            "there is nothing to correct for; leave it False"
        )
    if not isinstance(metric, str):
        raise ValueError(
            f"metric must be the name of a metric such as 'confidence' or 'lift', got {metric!r}"
        )
    if isinstance(min_threshold, bool) or not isinstance(min_threshold, numbers.Real):
        raise ValueError(f"min_threshold must be a number, got {min_threshold!r}")
    scale = float(num_itemsets) if num_itemsets else 1.0
    if frequent_itemsets is None or not len(frequent_itemsets):
        raise ValueError("the frequent itemsets are empty: lower min_support")
    if not {"support", "itemsets"} <= set(frequent_itemsets.columns):
        raise ValueError("the frequent itemsets need the columns 'support' and 'itemsets'")
    if support_only:
        metric = "support"
    elif metric not in RULE_METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(RULE_METRICS)}")
    unknown = set(return_metrics) - set(RULE_METRICS)
    if unknown:
        raise ValueError(f"unknown metrics {sorted(unknown)}")

    # itemsets as sorted tuples of integer codes: hashing tuples of ints is cheap
    sets = frequent_itemsets["itemsets"].tolist()
    vocab = sorted({item for s in sets for item in s}, key=_sort_key)
    code = {item: i for i, item in enumerate(vocab)}
    keys = [tuple(sorted(map(code.__getitem__, s))) for s in sets]
    sup = dict(zip(keys, frequent_itemsets["support"].to_numpy(dtype=float).tolist(), strict=True))

    ante: list[tuple[int, ...]] = []
    cons: list[tuple[int, ...]] = []
    s_ac: list[float] = []
    s_a: list[float] = []
    s_c: list[float] = []
    for key, s in sup.items():
        if len(key) < 2:
            continue
        if len(key) == 2:  # most itemsets are pairs: both rules directly
            splits: Any = (((key[0],), (key[1],)), ((key[1],), (key[0],)))
        else:
            splits = (
                (a, tuple(i for i in key if i not in a))
                for size in range(len(key) - 1, 0, -1)
                for a in combinations(key, size)
            )
        for a, c in splits:
            ante.append(a)
            cons.append(c)
            s_ac.append(s)
            if support_only:
                continue
            try:
                s_a.append(sup[a])
                s_c.append(sup[c])
            except KeyError as exc:
                raise KeyError(
                    "an antecedent or consequent is missing from the frequent itemsets; "
                    "pass support_only=True for incomplete input"
                ) from exc
    sac = np.asarray(s_ac, dtype=float)
    if support_only:
        values = {m: np.full(len(sac), np.nan) for m in return_metrics}
        values["support"] = sac
        score = sac
    else:
        values = _metrics(sac, np.asarray(s_a, dtype=float), np.asarray(s_c, dtype=float), scale)
        score = values[metric]
    keep = np.flatnonzero(score >= min_threshold)
    made: dict[tuple[int, ...], frozenset[Any]] = {}  # the same side recurs in many rules

    def as_set(t: tuple[int, ...]) -> frozenset[Any]:
        found = made.get(t)
        if found is None:
            found = made[t] = frozenset(map(vocab.__getitem__, t))
        return found

    result = pd.DataFrame(
        {
            "antecedents": [as_set(ante[i]) for i in keep.tolist()],
            "consequents": [as_set(cons[i]) for i in keep.tolist()],
        }
    )
    for m in return_metrics:
        result[m] = values[m][keep] if m in values else np.full(len(keep), np.nan)
    return result


def _metrics(
    sac: np.ndarray, sa: np.ndarray, sc: np.ndarray, n: float = 1.0
) -> dict[str, np.ndarray]:
    """mlxtend 0.25's formulas, term for term, so the floats agree to the last bit."""
    with np.errstate(divide="ignore", invalid="ignore"):
        confidence = (sac * n) / (sa * n)
        lift = confidence / sc
        leverage = sac - sa * sc
        conviction = np.full(len(sac), np.inf)
        below = confidence < 1.0
        conviction[below] = (1.0 - sc[below]) / (1.0 - confidence[below])
        denominator = np.maximum(sac * (1 - sa), sa * (sc - sac))
        zhang = np.where(denominator == 0, 0, leverage / denominator)
        jaccard = sac / (sa + sc - sac)
        cert_denom = 1 - sc
        certainty = np.where(cert_denom == 0, 0, (confidence - sc) / cert_denom)
        kulczynski = ((sac * n) / (sa * n) + (sac * n) / (sc * n)) / 2
    return {
        "antecedent support": sa,
        "consequent support": sc,
        "support": sac,
        "confidence": confidence,
        "lift": lift,
        "representativity": np.ones(len(sac)),
        "leverage": leverage,
        "conviction": conviction,
        "zhangs_metric": zhang,
        "jaccard": jaccard,
        "certainty": certainty,
        "kulczynski": kulczynski,
    }


def read_basket_file(path: Any, sep: str = ",") -> list[list[str]]:
    """Baskets from a file with one basket per line and items separated by ``sep``."""
    p = Path(path)
    try:
        text = read_text_file(p, what="baskets, one per line")
    except OSError as exc:
        raise ShopperlensError(f"cannot read {p}: {exc.strerror}") from None
    return [line.split(sep) for line in text.splitlines() if line.strip()]


def one_hot(baskets: Iterable[Iterable[Any]]) -> pd.DataFrame:
    """mlxtend's input format (a dense boolean frame) — for comparisons on small data only."""
    matrix, labels = _encode(list(baskets), None, None)
    return pd.DataFrame(matrix.toarray(), columns=list(labels))
