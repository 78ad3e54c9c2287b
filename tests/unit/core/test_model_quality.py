"""The shared measure of a model's worth: an edge only when the whole interval clears no-skill."""

import pytest
from tradingstack.core.schemas import has_edge


@pytest.mark.parametrize(
    ("low", "high", "baseline", "higher", "expected"),
    [
        (0.52, 0.60, 0.5, True, True),  # AUC interval above 0.5
        (0.48, 0.60, 0.5, True, False),  # AUC interval contains 0.5
        (0.90, 0.99, 1.0, False, True),  # relative MAE interval below 1
        (0.95, 1.02, 1.0, False, False),  # relative MAE interval contains 1
        (None, 0.9, 1.0, False, False),  # not measured
        (0.5, 0.5, 0.5, True, False),  # on the baseline is no edge
    ],
)
def test_has_edge_needs_the_whole_interval_on_the_better_side(
    low, high, baseline, higher, expected
):
    assert has_edge(low, high, baseline, higher_is_better=higher) is expected
