"""How records are cut out of an object, each way written once for every source.

- :mod:`~normalizers.framing.json_stream`: one streaming JSON splitter, parameterized by the
  wrapper key of a source's files (``Records``, ``findings``/``Findings``); Firehose's
  concatenated and newline-separated records are read by it as they come;
- :mod:`~normalizers.framing.envelopes`: EventBridge events around a record, unwrapped as a
  step.
"""
