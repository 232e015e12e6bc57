"""Builders of raw AWS records, for the demo, the tests and the benchmarks alike.

One module per source, each citing the AWS documentation its shapes follow
(``shared/reference/aws-docs``); values are made up (example account ids, RFC 5737
addresses). Builders are small pure functions with keyword arguments and documented
defaults; where they draw random values they take a seeded :class:`demo.ids.Ids` or
``random.Random``, so the same seed gives the same bytes.

- :mod:`demo.records.cloudtrail`: identities, API calls, console sign-ins, log and digest files;
- :mod:`demo.records.compression`: gzip as delivered (reproducible).

Only the demo, the tests and the benchmarks use this package; production code never does.
"""
