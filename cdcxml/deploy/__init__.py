"""Deploying with confidence, with no broker: verification records, pending contracts, the
``can-i-deploy`` gate and the verification matrix, kept in the contracts' own git repository.

- :mod:`.records`: the record files (verification, deployment), their paths and digests.
- :mod:`.store`: reading and adding records in a git repository or a folder, never rewriting.
- :mod:`.recording`: what ``verify --record`` writes and which contracts are pending.
- :mod:`.gate`: ``can-i-deploy`` for a provider or a consumer version.
- :mod:`.matrix`: consumers × provider versions with their verdicts.
"""
