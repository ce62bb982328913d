"""Self-kindness prompts: the library (data), the chooser, the notification policy, notifiers.

Nothing heavy is imported here: the notifier backends import plyer and desktop-notifier lazily,
so ``import kindbreak.prompts`` stays cheap. Import from the submodules:

- :mod:`kindbreak.prompts.library`: :class:`Prompt`, :func:`load_library`
- :mod:`kindbreak.prompts.chooser`: :func:`choose_prompt`, :func:`weights_from_uptake`
- :mod:`kindbreak.prompts.policy`: :class:`PolicySettings`, :class:`PromptPolicy`
- :mod:`kindbreak.prompts.notifier`: :class:`Notifier`, :func:`make_notifier`
"""
