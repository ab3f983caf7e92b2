"""make migration NAME=...: a new, empty, timestamped migration that sorts after the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.new_migration import main


def test_a_migration_is_started_after_the_others(tmp_path: Path) -> None:
    (tmp_path / "20261202000000_baseline.sql").write_text("-- baseline\n")
    assert main(["add_wallet_label", "--dir", str(tmp_path)]) == 0
    created = sorted(tmp_path.glob("*.sql"))[-1]
    assert created.name.endswith("_add_wallet_label.sql")
    assert created.name > "20261202000000_baseline.sql"
    assert "matching supabase/schemas/ file, in the same commit" in created.read_text()


@pytest.mark.parametrize("name", ["", "Add Label", "drop;table", "../escape"])
def test_a_bad_name_is_refused(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([name, "--dir", str(tmp_path)]) == 2
    assert "NAME must be lower-case letters, digits and _ only" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_migration_that_would_not_sort_last_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "99991231235959_from_the_future.sql").write_text("-- later\n")
    assert main(["too_early", "--dir", str(tmp_path)]) == 2
    assert "would not sort after 99991231235959_from_the_future.sql" in capsys.readouterr().err
