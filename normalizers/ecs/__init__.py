"""What every source's mapping shares, each written once.

- :mod:`~normalizers.ecs.getters`: typed access to a raw record (a wrong type is a dead letter);
- :mod:`~normalizers.ecs.values`: leniently read leaves, ``prune``/``compact``, ``flat_object``;
- :mod:`~normalizers.ecs.names`: snake_case keys, ECS style;
- :mod:`~normalizers.ecs.timestamps`: RFC 3339 UTC timestamps;
- :mod:`~normalizers.ecs.ids`: stable ids for records that carry none;
- :mod:`~normalizers.ecs.arn`: the parts of an ARN;
- :mod:`~normalizers.ecs.address`: IP addresses, endpoints (``source``/``destination``), geo;
- :mod:`~normalizers.ecs.actor`: the actor contract (``user.*``, ``related.user``, ``user_identity``);
- :mod:`~normalizers.ecs.activity`: a finding's action (API call, connection, probe, DNS);
- :mod:`~normalizers.ecs.process`: a process as ECS ``process.*``;
- :mod:`~normalizers.ecs.finding`: the 0-100 severity scale, labels and ``rule.*`` of findings;
- :mod:`~normalizers.ecs.fields`: the definitions of the fields every source shares.

The dead-letter reasons and the error a mapper raises are :mod:`normalizers.reasons`.
"""
