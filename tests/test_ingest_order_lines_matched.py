"""A stored order given again: its lines are matched by content, not by their position.

A database export without ``ORDER BY`` lists an order's lines in any order. Compared by
position, a re-export of the same orders rejected every line of O1 ("order line already
imported with different content: product_id (stored 'P1', file 'P2')") and, under the default
``abort``, the new order O3 with them. A stored order given with a line it did not have was
either merged into a stored line without a word (same content) or reported as a changed line.
The lines given again are counted in the file's note.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import shopperlens
from _ingest_data import write
from shopperlens.errors import ShopperlensError
from test_ingest_whole_orders import HEAD, _lines

#: O1 with three lines, two of them alike (P1 ×1 at 10), and O2
FIRST = (
    f"{HEAD}\nO1,C1,2024-03-01,P1,1,10\nO1,C1,2024-03-01,P2,2,5\nO1,C1,2024-03-01,P1,1,10\n"
    "O2,C2,2024-03-02,P3,1,7\n"
)
#: the same orders listed in another order, and a new order O3
REORDERED = (
    f"{HEAD}\nO2,C2,2024-03-02,P3,1,7\nO1,C1,2024-03-01,P1,1,10\nO1,C1,2024-03-01,P1,1,10\n"
    "O1,C1,2024-03-01,P2,2,5\nO3,C1,2024-03-05,P2,1,5\n"
)
STORED_O1 = [(1, "P1", 1, 10.0), (2, "P2", 2, 5.0), (3, "P1", 1, 10.0)]


def test_a_reexport_in_another_line_order_adds_only_the_new_order(tmp_path: Path) -> None:
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "first.csv", FIRST))
        res = shop.import_orders(write(tmp_path, "again.csv", REORDERED))
        assert res.rows_rejected == 0 and res.rejects == []
        assert res.added["orders"] == 1 and res.added["order_lines"] == 1
        assert _lines(shop, "O1") == STORED_O1
        assert _lines(shop, "O3") == [(1, "P2", 1, 5.0)]
        assert res.files[0].note == (
            "4 line(s) of orders already stored, the same again: not added (an order's lines "
            "come whole from one file)"
        )


def test_a_line_the_stored_order_lacks_is_refused_not_merged(tmp_path: Path) -> None:
    """O1 given with a fourth line like its first: it cannot be told from a copy of the
    first, and must not vanish into it (nor be added to an order stored whole)."""
    more = FIRST.replace("O2,", "O1,C1,2024-03-01,P1,1,10\nO2,", 1)
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "first.csv", FIRST))
        with pytest.raises(ShopperlensError) as err:
            shop.import_orders(write(tmp_path, "more.csv", more))
        (reject,) = err.value.rejects  # type: ignore[attr-defined]
        assert (reject.line, reject.column, reject.value) == (5, "order_id", "O1")
        assert reject.reason == (
            "order already imported with other lines: it has 3 stored line(s) and none is "
            "this one; an order is imported whole from one file"
        )
        assert _lines(shop, "O1") == STORED_O1


def test_a_changed_line_still_names_what_changed(tmp_path: Path) -> None:
    """The line the file changed is compared with the stored line the file no longer gives."""
    changed = REORDERED.replace("O1,C1,2024-03-01,P2,2,5", "O1,C1,2024-03-01,P2,3,5")
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "first.csv", FIRST))
        res = shop.import_orders(write(tmp_path, "changed.csv", changed), on_error="skip")
        reasons = {r.line: r.reason for r in res.rejects}
        assert reasons[5] == (
            "order line already imported with different content: quantity (stored '2', file '3')"
        )
        assert _lines(shop, "O1") == STORED_O1 and _lines(shop, "O3") == [(1, "P2", 1, 5.0)]


def test_a_blank_in_a_line_given_again_is_no_news(tmp_path: Path) -> None:
    """A re-export that leaves O2's product blank: the same line, not a reject with nothing
    after "different content:"."""
    blank = REORDERED.replace("O2,C2,2024-03-02,P3,1,7", "O2,C2,2024-03-02,,1,7")
    with shopperlens.open(":memory:") as shop:
        shop.import_orders(write(tmp_path, "first.csv", FIRST))
        res = shop.import_orders(write(tmp_path, "blank.csv", blank))
        assert res.rows_rejected == 0 and res.added["order_lines"] == 1  # O3
        assert _lines(shop, "O2") == [(1, "P3", 1, 7.0)]
