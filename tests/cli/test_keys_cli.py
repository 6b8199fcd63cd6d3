"""`jjj keys`: init creates what is missing, rotate adds a key with an overlap, list shows the registry."""

from __future__ import annotations

from cli.main import main
from kernel.security.keys import KeyRegistry, owners, registry_path


def test_init_then_rotate_then_list(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("JJJ_DATA_DIR", str(tmp_path))
    assert main(["keys", "list"]) == 1
    assert "jjj keys init" in capsys.readouterr().err
    assert main(["keys", "init"]) == 0
    assert "created for beijing, tianjin, hebei, federation" in capsys.readouterr().out
    assert main(["keys", "init"]) == 0
    assert "all present" in capsys.readouterr().out

    assert main(["keys", "rotate", "hebei", "--overlap-hours", "2"]) == 0
    assert "hebei: new key" in capsys.readouterr().out
    registry = KeyRegistry.from_json(registry_path(tmp_path / "keys").read_text())
    hebei = registry.of("hebei")
    assert len(hebei) == 2 and hebei[0].valid_until is not None and hebei[1].valid_until is None
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == len(owners()) + 1 and all(entry.key_id in "\n".join(listed) for entry in registry.entries)
