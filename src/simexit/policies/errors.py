"""Errors of the policy domain. Plain exceptions: the edges decide how to show them."""

from __future__ import annotations


class PolicyPackError(ValueError):
    """A pack that cannot be loaded; the message names the file, the key path and the rule."""

    def __init__(self, file: str, path: str, rule: str) -> None:
        message = f"{file}: {path}: {rule}" if path else f"{file}: {rule}"
        super().__init__(message)
        self.file = file
        self.path = path
        self.rule = rule


class UnknownPack(KeyError):
    """`PackRegistry.get` was asked for a pack id it does not hold."""

    def __init__(self, pack_id: str, known: list[str]) -> None:
        super().__init__(pack_id)
        self.pack_id = pack_id
        self.known = known

    def __str__(self) -> str:
        return f"unknown policy pack {self.pack_id!r}; known packs: {', '.join(self.known)}"
