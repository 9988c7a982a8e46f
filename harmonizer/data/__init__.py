"""Synthetic "Dancing" video data (paper §III-A) and its on-disk format.

Modules, lowest first: ``format`` (on-disk I/O), ``color`` (colour adjustments),
``procedural`` (embedded scenes), ``sources`` (procedural / folder / coco),
``motion`` (affine + crop motion, rendering, exact flow), ``clips`` (one clip from
(seed, index); foreground/background videos for bench), ``build`` (dataset builder),
``datasets`` (torch datasets), ``training`` (what the training loop reads: pairs,
batches, resizing, frame-count checks), ``show`` (contact sheet), ``__main__`` (CLI).
Importing this package imports no torch; only ``datasets`` and ``training`` do.  The format is
described in docs/design.md.
"""
