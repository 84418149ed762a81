"""Window arithmetic: half-open windows, None as the live edge, the same rules for sweeps and checks."""

from zendesk_assets.windows import Window, merge, moment, subtract


def test_merge_joins_touching_and_overlapping_windows_and_drops_empty_ones() -> None:
    got = merge([Window(30, 40), Window(0, 10), Window(10, 20), Window(15, 18), Window(50, 50)])
    assert got == [Window(0, 20), Window(30, 40)]


def test_a_live_window_swallows_everything_after_its_start() -> None:
    assert merge([Window(0, 10), Window(5), Window(100, 200)]) == [Window(0)]


def test_subtract_leaves_the_gaps_including_one_up_to_the_live_edge() -> None:
    assert subtract([Window(0)], [Window(10, 20), Window(30, 40)]) == [
        Window(0, 10), Window(20, 30), Window(40),
    ]  # fmt: skip
    assert subtract([Window(0, 50)], [Window(20)]) == [Window(0, 20)]
    assert subtract([Window(0)], [Window(0)]) == []


def test_subtract_keeps_windows_nothing_covers_and_ignores_holes_outside() -> None:
    assert subtract([Window(0, 10), Window(20, 30)], [Window(40, 50)]) == [Window(0, 10), Window(20, 30)]


def test_overlap_is_half_open() -> None:
    assert not Window(0, 10).overlaps(Window(10, 20))
    assert Window(0, 11).overlaps(Window(10, 20))
    assert Window(100).overlaps(Window(0, 101)) and not Window(100).overlaps(Window(0, 100))


def test_windows_read_as_utc_moments() -> None:
    assert str(Window(1_704_067_200)) == "2024-01-01 00:00:00 -> live edge"
    assert moment(None) == "live edge"
