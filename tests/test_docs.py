"""Docs kept honest: every command and every setting is in the README, and the Quickstart is two commands."""

import re
from dataclasses import fields
from pathlib import Path

from newsdesk.cli import build_parser
from newsdesk.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    for f in fields(Settings):
        assert f"| `{f.name}` | `NEWSDESK_{f.name.upper()}` |" in README, f.name


def test_every_command_is_documented() -> None:
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for name in commands:
        assert f"newsdesk {name}" in README, name
    for action in ("add", "list", "remove"):
        assert f"newsdesk sources {action}" in README


def test_quickstart_is_exactly_two_commands() -> None:
    section = README.split("## Quickstart", 1)[1].split("##", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert [c.split("#")[0].strip() for c in commands] == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    assert "scripts/test.sh" in (Path(__file__).parent.parent / ".ci" / "run").read_text()
