"""Table cells: a span in one row's cell moves to the cell the question names by its row and column."""

import pytest

from groundqa.service.tables import asked_cell
from groundqa.index.terms import words
from groundqa.service.measures import wanted_measures

FEES = ("Restocking fees\nCondition | Nimbus T2 | Nimbus T5\n"
        "Unopened, in original packaging | Nimbus T2: No fee | Nimbus T5: No fee\n"
        "Opened, complete with all parts | Nimbus T2: 10% | Nimbus T5: 15%\n"
        "Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%\n"
        "Damaged by the customer | Nimbus T2: Not accepted | Nimbus T5: Not accepted\n"
        "Refunds take 5 to 7 business days.")


def cell_for(question: str, answer: str) -> str:
    start = FEES.index(answer)
    start, end = asked_cell(FEES, start, start + len(answer), frozenset(words(question)))
    return FEES[start:end]


@pytest.mark.parametrize("question, read, answer", [
    ("If I return an opened T2 with missing parts, what restocking fee do I pay?", "10%", "20%"),  # another row
    ("What's the restocking fee on an opened Nimbus T5 that still has all its parts?", "10%", "15%"),  # column
    ("What's the restocking fee on an opened Nimbus T5 that still has all its parts?", "15%", "15%"),  # as read
    ("What is the fee for a T2 damaged by the customer?", "No fee", "Not accepted"),
    ("What restocking fee applies?", "15%", "15%"),  # no row or column named: as read
    ("My thermostat is missing parts, what's the restocking fee?", "15%", "25%"),  # its row, the column read
    ("What does a T2 cost to return?", "25%", "20%"),  # its column, the row read
])
def test_a_cell_read_in_another_row_or_column_moves_to_the_one_asked_about(question, read, answer):
    assert cell_for(question, read) == answer


def test_a_span_outside_a_table_is_left_alone():
    start = FEES.index("5 to 7 business days")
    assert asked_cell(FEES, start, start + 20, frozenset(words("How long do refunds take for a T5?"))) == (start, start + 20)
    start = FEES.index("Restocking")
    assert asked_cell(FEES, start, start + 10, frozenset(words("missing parts T5"))) == (start, start + 10)


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
