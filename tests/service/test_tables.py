"""Table cells: a span in one row's cell moves to the cell the question names by its row and column."""

import pytest

from groundqa.service.tables import asked_cell
from groundqa.index.terms import words
from groundqa.service.measures import wanted_measures

FEES = ("Return charges\nState | Corvane L3 | Corvane L8\n"
        "Sealed, never fitted | Corvane L3: No charge | Corvane L8: No charge\n"
        "Fitted, every accessory included | Corvane L3: 12% | Corvane L8: 18%\n"
        "Fitted, accessories or box missing | Corvane L3: 22% | Corvane L8: 30%\n"
        "Broken by the owner | Corvane L3: Refused | Corvane L8: Refused\n"
        "Money is paid back within 10 working days.")


def cell_for(question: str, answer: str) -> str:
    start = FEES.index(answer)
    start, end = asked_cell(FEES, start, start + len(answer), frozenset(words(question)))
    return FEES[start:end]


@pytest.mark.parametrize("question, read, answer", [
    ("I'm sending back a fitted L3 whose accessories are missing: what do I get charged?", "12%", "22%"),  # another row
    ("How much is charged for a fitted Corvane L8 with every accessory included?", "12%", "18%"),  # column
    ("How much is charged for a fitted Corvane L8 with every accessory included?", "18%", "18%"),  # as read
    ("What is the charge for an L3 broken by the owner?", "No charge", "Refused"),
    ("Which return charge applies?", "18%", "18%"),  # no row or column named: as read
    ("The box of my lock is missing, what's the charge?", "18%", "30%"),  # its row, the column read
    ("What does an L3 cost to send back?", "30%", "22%"),  # its column, the row read
])
def test_a_cell_read_in_another_row_or_column_moves_to_the_one_asked_about(question, read, answer):
    assert cell_for(question, read) == answer


def test_a_span_outside_a_table_is_left_alone():
    start = FEES.index("10 working days")
    assert asked_cell(FEES, start, start + 15, frozenset(words("How soon is the money paid back for an L8?"))) == \
        (start, start + 15)
    start = FEES.index("Return")
    assert asked_cell(FEES, start, start + 6, frozenset(words("missing accessories L8"))) == (start, start + 6)


SHIPPING = ("Service | Delivery time: 3 to 5 business days | Price: $4.50\n"
            "Express | Delivery time: 1 to 2 business days | Price: $14.95\n")


@pytest.mark.parametrize("question, read, answer", [
    ("How much does Express delivery cost?", "1 to 2 business days", "$14.95"),  # the row's price
    ("How long does Express delivery take?", "1 to 2 business days", "1 to 2 business days"),
    ("How long does Express delivery take?", "$14.95", "1 to 2 business days"),
])
def test_a_cell_of_another_measure_than_asked_moves_to_the_one_in_its_row_that_is(question, read, answer):
    start = SHIPPING.index(read)
    start, end = asked_cell(SHIPPING, start, start + len(read), frozenset(words(question)),
                            frozenset(wanted_measures(question)))
    assert SHIPPING[start:end] == answer


def test_a_cell_ends_before_the_footnote_mark_written_after_its_value():
    from groundqa.service.tables import row_cells

    line = "Carry-on bag | Fee: $12.00[1] | Note: see the rules [b] | Code: [x]"
    assert [line[cell.start:cell.end] for cell in row_cells(line)] == ["$12.00", "see the rules", "[x]"]


ROW = "Opened, missing parts | Nimbus T2: 20% | Nimbus T5: 25%"


def test_a_row_is_told_from_prose_by_its_separators():
    from groundqa.service.tables import in_a_row, label_end, row_label

    assert in_a_row(ROW) and label_end(ROW) == len("Opened, missing parts")
    assert row_label(ROW) == "Opened, missing parts"
    prose = "Press A | B to switch modes."
    assert in_a_row(prose) and row_label(prose) is None  # a pipe in prose is no row: its cells have no header
    assert not in_a_row("Opened items: 20%.") and label_end("Opened items: 20%.") == -1


def test_a_cell_is_read_with_its_row_label():
    from groundqa.service.tables import cell_and_label, cell_end

    assert cell_and_label(ROW, ROW.index("25%")) == "Opened, missing parts Nimbus T5: 25%"
    assert cell_and_label(ROW, ROW.index("20%")) == "Opened, missing parts Nimbus T2: 20%"
    assert cell_and_label("Returns within 30 days.", 3) == "Returns within 30 days."
    start = ROW.index("Nimbus T2")
    assert ROW[start:cell_end(ROW, start, len(ROW))] == "Nimbus T2: 20%"
    assert cell_end(ROW, ROW.index("25%"), len(ROW)) == len(ROW)  # the last cell ends with the line
