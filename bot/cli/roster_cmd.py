"""Placeholder until this concern lands."""

import argparse


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pass
