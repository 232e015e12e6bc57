"""How records are cut out of an object, each way written once for every source.

- :mod:`~normalizers.framing.json_stream`: one streaming JSON splitter, parameterized by the
  wrapper key of a source's files (``Records``, ``findings``/``Findings``); Firehose's
  concatenated and newline-separated records are read by it as they come;
- :mod:`~normalizers.framing.envelopes`: SNS notifications and EventBridge events around a
  record, unwrapped as steps;
- :mod:`~normalizers.framing.lines`: text as chunks of complete lines, its first line apart;
- :mod:`~normalizers.framing.parquet`: Parquet files, their schema, their rows in batches.
"""
