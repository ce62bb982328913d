"""``kindbreak resume``: end a pause (a running monitor obeys at once)."""

from __future__ import annotations

from kindbreak.commands.context import Context


def run(ctx: Context) -> int:
    from kindbreak.prompts.pause import clear_pause

    had = clear_pause(ctx.paths.data_dir)
    ctx.output.print(
        "Prompts are back on." if had else "Prompts were not paused; nothing to resume."
    )
    return 0
