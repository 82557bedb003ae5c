"""The CLI's progress bar and news lines on stderr."""

from __future__ import annotations

import pytest

from workbench.api.cli.terminal import MIN_MESSAGE_WIDTH, WIDTH, ProgressBar, say


def test_bar_redraws_one_line_and_ends_it(capsys):
    with ProgressBar() as bar:
        bar(0.5, "half way")
        bar(1.0, "done")
    captured = capsys.readouterr()
    assert captured.out == ""
    first, second = captured.err.split("\r")[1:]
    assert first.startswith("[" + "#" * (WIDTH // 2) + " " * (WIDTH - WIDTH // 2) + "]") and " 50% half way" in first
    assert second.startswith("[" + "#" * WIDTH + "]") and second.endswith("\n") and "100% done" in second


@pytest.mark.parametrize("columns", [80, 120])
def test_fraction_is_clamped_and_a_long_message_cut_so_the_line_never_wraps(capsys, monkeypatch, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    with ProgressBar() as bar:
        bar(1.7, "x" * 500)
        bar(-0.2, "y")
    first, second = capsys.readouterr().err.split("\r")[1:]
    assert len(first) == columns - 1 and first.startswith("[" + "#" * WIDTH + "] 100% x") and first.endswith("x...")
    assert second.startswith("[" + " " * WIDTH + "]") and "  0% y" in second
    assert len(first) == len(second.rstrip("\n"))  # every frame overwrites the whole previous one


def test_a_very_narrow_terminal_still_shows_some_message(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "10")
    with ProgressBar() as bar:
        bar(0.5, "m" * 100)
    assert "m" * (MIN_MESSAGE_WIDTH - 3) + "...\n" in capsys.readouterr().err


def test_disabled_or_unused_bar_writes_nothing(capsys):
    with ProgressBar(enabled=False) as bar:
        bar(0.3, "hidden")
    with ProgressBar():
        pass
    assert capsys.readouterr().err == ""


def test_a_failure_starts_on_a_line_of_its_own(capsys):
    with pytest.raises(RuntimeError), ProgressBar() as bar:
        bar(0.2, "working")
        raise RuntimeError("boom")
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.rstrip().endswith("20% working")


def test_say_writes_one_line_to_stderr_only(capsys):
    say("fetching mpnet part 1 of 5")
    say("[literal] text")
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "fetching mpnet part 1 of 5\n[literal] text\n"
