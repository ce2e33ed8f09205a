"""Tools above the services: the ``kinerja`` CLI, the demo cycle and ``make run``, the contracts
generator. They may import and start the services; the kernel (``shared``) never imports them."""
