"""Streak rules: unit cases for each rule, and a property test against a reference."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine.streaks import (
    MAX_FREEZES,
    StreakState,
    alive_until,
    local_date,
    record_day,
    view,
)

D0 = date(2026, 3, 1)


def run(days: list[int]) -> StreakState:
    state = StreakState()
    for offset in days:
        state = record_day(state, D0 + timedelta(days=offset))
    return state


def test_consecutive_days_build_a_streak():
    state = run([0, 1, 2])
    assert (state.current, state.longest) == (3, 3)


def test_same_day_twice_counts_once():
    assert run([0, 0, 0]).current == 1


def test_open_day_keeps_yesterdays_streak():
    state = run([0, 1, 2])
    today = D0 + timedelta(days=3)
    shown = view(state, today)
    assert shown.current == 3 and not shown.counted_today


def test_without_freezes_one_missed_day_breaks_the_streak():
    state = run([0, 1, 2])
    assert view(state, D0 + timedelta(days=4)).current == 0
    assert run([0, 1, 2, 4]).current == 1


def test_seven_days_earn_a_freeze_that_covers_one_missed_day():
    state = run(list(range(7)))
    assert state.freezes == 1
    # Day 7 is missed; on day 8 the streak still shows, with the freeze spent.
    shown = view(state, D0 + timedelta(days=8))
    assert (shown.current, shown.freezes) == (7, 0)
    after = record_day(state, D0 + timedelta(days=8))
    assert (after.current, after.freezes) == (8, 0)


def test_two_missed_days_break_the_streak_even_with_freezes():
    state = run(list(range(14)))
    assert state.freezes == 2
    assert view(state, D0 + timedelta(days=16)).current == 0
    after = record_day(state, D0 + timedelta(days=16))
    assert after.current == 1 and after.longest == 14


def test_freezes_are_capped():
    assert run(list(range(28))).freezes == MAX_FREEZES


def test_alive_until_accounts_for_a_freeze():
    assert alive_until(run([0])) == D0 + timedelta(days=1)
    assert alive_until(run(list(range(7)))) == D0 + timedelta(days=8)


def test_midnight_in_the_members_timezone_not_utc():
    # 23:30 UTC on 10 March is already 11 March in Berlin (UTC+1) ...
    late = datetime(2026, 3, 10, 23, 30)
    assert local_date(late, "UTC") == date(2026, 3, 10)
    assert local_date(late, "Europe/Berlin") == date(2026, 3, 11)
    # ... so answers at 22:30 and 23:30 UTC are two Berlin days: a streak of 2.
    days = [
        local_date(datetime(2026, 3, 10, 22, 30), "Europe/Berlin"),
        local_date(late, "Europe/Berlin"),
    ]
    state = StreakState()
    for day in days:
        state = record_day(state, day)
    assert state.current == 2
    # In UTC the same two answers are one day.
    assert record_day(record_day(StreakState(), date(2026, 3, 10)), date(2026, 3, 10)).current == 1


def test_dst_change_does_not_skip_or_double_a_day():
    # Europe/Berlin springs forward on 29 March 2026 (02:00 -> 03:00) and falls back on 25 Oct.
    zone = "Europe/Berlin"
    for change in (datetime(2026, 3, 28, 20, 0), datetime(2026, 10, 24, 20, 0)):
        state = StreakState()
        for n in range(3):
            # 21:00 or 22:00 local each evening around the change
            state = record_day(state, local_date(change + timedelta(days=n), zone))
        assert state.current == 3
    # New York: 01:30 local on the autumn change day happens twice; still one date.
    first = local_date(datetime(2026, 11, 1, 5, 30), "America/New_York")
    second = local_date(datetime(2026, 11, 1, 6, 30), "America/New_York")
    assert first == second == date(2026, 11, 1)


def reference(
    days: set[int], today: int, off: frozenset[int] = frozenset()
) -> tuple[int, int, int]:
    """A day-by-day simulation, written independently of `record_day`.

    Walks every day from the first counted one to today: a counted day extends the run; the
    first missed day after a run is covered by a banked freeze (spent at once); a second
    missed day in a row breaks the run and refunds that freeze. Today, if not counted, is
    still open and changes nothing. A day off that was not practised is skipped entirely.
    """
    current = longest = freezes = 0
    missed = 0
    spent_on_gap = False
    if not days:
        return 0, 0, 0
    for day in range(min(days), today + 1):
        if day in days:
            if missed >= 2 or current == 0:
                current = 1
            else:
                current += 1
            missed = 0
            spent_on_gap = False
            if current % 7 == 0:
                freezes = min(MAX_FREEZES, freezes + 1)
            longest = max(longest, current)
        elif day in off:
            continue
        elif day < today:
            missed += 1
            if missed == 1 and freezes > 0:
                freezes -= 1
                spent_on_gap = True
            elif missed == 1:
                current = 0
            elif missed == 2:
                if spent_on_gap:
                    freezes += 1
                    spent_on_gap = False
                current = 0
    return current, longest, freezes


@settings(max_examples=400, deadline=None)
@given(
    days=st.sets(st.integers(min_value=0, max_value=60), max_size=50),
    extra=st.integers(min_value=0, max_value=4),
)
def test_incremental_rules_match_the_reference(days: set[int], extra: int):
    today = (max(days) if days else 0) + extra
    state = StreakState()
    for offset in sorted(days):
        state = record_day(state, D0 + timedelta(days=offset))
    shown = view(state, D0 + timedelta(days=today))
    assert (shown.current, shown.longest, shown.freezes) == reference(days, today)


def on(*offsets: int) -> frozenset[date]:
    return frozenset(D0 + timedelta(days=n) for n in offsets)


def test_days_off_are_neither_missed_nor_counted():
    state = run([0, 1, 2])
    off = on(3, 4, 5)  # e.g. `schedule skip` or `away 3`
    shown = view(state, D0 + timedelta(days=6), off)
    assert (shown.current, shown.freezes) == (3, 0)
    after = record_day(state, D0 + timedelta(days=6), off)
    assert (after.current, after.freezes) == (4, 0)
    # Without the days off the same gap breaks it.
    assert record_day(state, D0 + timedelta(days=6)).current == 1


def test_days_off_spend_no_freeze_and_keep_the_streak_alive_longer():
    state = run(list(range(7)))
    assert state.freezes == 1
    off = on(7, 8)
    assert alive_until(state) == D0 + timedelta(days=8)
    # Days 7 and 8 are off, day 9 may be open, day 10 is covered by the freeze.
    assert alive_until(state, off) == D0 + timedelta(days=10)
    after = record_day(state, D0 + timedelta(days=9), off)
    assert (after.current, after.freezes) == (8, 1)
    assert alive_until(run([0]), on(1, 2)) == D0 + timedelta(days=3)


def test_practising_on_a_day_off_still_counts():
    state = run([0])
    after = record_day(state, D0 + timedelta(days=1), on(1))
    assert after.current == 2


@settings(max_examples=300, deadline=None)
@given(
    days=st.sets(st.integers(min_value=0, max_value=40), max_size=30),
    off=st.frozensets(st.integers(min_value=0, max_value=44), max_size=15),
    extra=st.integers(min_value=0, max_value=4),
)
def test_rules_with_days_off_match_the_reference(days: set[int], off: frozenset[int], extra: int):
    today = (max(days) if days else 0) + extra
    dates = frozenset(D0 + timedelta(days=n) for n in off)
    state = StreakState()
    for offset in sorted(days):
        state = record_day(state, D0 + timedelta(days=offset), dates)
    shown = view(state, D0 + timedelta(days=today), dates)
    assert (shown.current, shown.longest, shown.freezes) == reference(days, today, off)
    if state.last_day is not None:
        last = alive_until(state, dates)
        assert view(state, last, dates).current == state.current
        assert view(state, last + timedelta(days=1), dates).current == 0
