"""Interoperability with the field's other dataset formats: Lhotse manifests and audformat databases.

Export modules read a dataset folder built by ``seqd build`` (:mod:`.source`); the import side is a
corpus adapter (``seqd_builder/corpora/audformat.py``), so an imported database goes through the same
build pipeline, checks and accounting as every corpus. lhotse and audformat are optional extras
(``pip install seqd-builder[interop]``).
"""
