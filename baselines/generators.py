"""The baselines' trainable generators, one file each (a ``GeneratorSpec`` registered on import).

harmonizer's generator registry imports this module lazily, the first time it is read
(``harmonizer.models.registry.BUILTIN_PLUGINS``); a new baseline generator is one file plus
its line here.
"""
import baselines.dih  # noqa: F401  ("dih")
import baselines.resnet  # noqa: F401  ("resnet")
