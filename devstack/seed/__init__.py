"""The demo data of the local stack, in five parts:

    spec.py          what the demo clinics hold (clinics, shares, showcase patients, experiments)
    planner.py       the pure planner: deterministic plans per patient, no AWS
    bulk.py          the bulk item builder: a plan's older history as the items the services write
    service_path.py  the service-path writer: a plan replayed through the real services
    demo.py          both clinics seeded end to end (what `make run` calls); __main__.py its CLI
"""
